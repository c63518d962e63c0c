package ledger

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

// chained is busy plus an account with an overdraft limit and a closed
// account, so that every ledger payload type is in its stream.
func chained(tb testing.TB) *fixture {
	tb.Helper()
	ctx := context.Background()
	f := busy(tb)
	must(tb, f.l.OpenWith(ctx, "v", AccountOptions{Kind: "vendor", OverdraftLimit: dec(tb, "5")}))
	must(tb, f.l.Transfer(ctx, "t-v", "v", "bob", dec(tb, "2"), ""))
	must(tb, f.l.Open(ctx, "gone", KindAgent))
	must(tb, f.l.Close(ctx, "gone"))
	return f
}

func TestEventsCarryTheHashChain(t *testing.T) {
	f := chained(t)
	evs := f.log.Events(0)
	prev := ""
	for _, e := range evs {
		got, ok := prevHash(e.Data)
		if !ok {
			t.Fatalf("%v: %T is not a ledger payload", e, e.Data)
		}
		if got != prev {
			t.Fatalf("%v: prev_hash %q, want %q", e, got, prev)
		}
		prev = EventHash(e)
		if len(prev) != HashLen {
			t.Fatalf("EventHash = %q, want %d hex digits", prev, HashLen)
		}
	}
	if got := f.l.LastHash(); got != prev {
		t.Errorf("LastHash() = %q, want %q", got, prev)
	}
	// The chain survives the codec.
	var decoded []events.Event
	for _, e := range evs {
		b, err := events.Encode(e)
		must(t, err)
		d, err := events.Decode(b)
		must(t, err)
		if EventHash(d) != EventHash(e) {
			t.Fatalf("%v hashes differently after a round trip through the codec", e)
		}
		decoded = append(decoded, d)
	}
	r, err := Replay(f.replayOpts(), decoded)
	must(t, err)
	if r.LastHash() != f.l.LastHash() || r.StateHash() != f.l.StateHash() {
		t.Errorf("replayed hashes differ: last %s vs %s, state %s vs %s", r.LastHash(), f.l.LastHash(), r.StateHash(), f.l.StateHash())
	}
}

// tampered returns copies of evs, each with one attribute of one event or
// one field of its payload changed, named for the change.
func tampered(evs []events.Event) map[string][]events.Event {
	out := map[string][]events.Event{}
	for i, e := range evs {
		envelope := map[string]func(*events.Event){
			"id":          func(e *events.Event) { e.ID += "x" },
			"type":        func(e *events.Event) { e.Type += "x" },
			"source":      func(e *events.Event) { e.Source = events.SourceMarket },
			"subject":     func(e *events.Event) { e.Subject += "x" },
			"time":        func(e *events.Event) { e.Time = e.Time.Add(time.Nanosecond) },
			"sequence":    func(e *events.Event) { e.Sequence++ },
			"correlation": func(e *events.Event) { e.Correlation += "x" },
			"causation":   func(e *events.Event) { e.Causation += "x" },
			"traceparent": func(e *events.Event) { e.TraceParent += "x" },
			"schema":      func(e *events.Event) { e.Schema++ },
		}
		for name, change := range envelope {
			c := append([]events.Event(nil), evs...)
			change(&c[i])
			out[fmt.Sprintf("%d %s %s", i, e.Type, name)] = c
		}
		for name, p := range tamperedPayloads(e) {
			c := append([]events.Event(nil), evs...)
			c[i].Data = p
			out[fmt.Sprintf("%d %s %s", i, e.Type, name)] = c
		}
	}
	return out
}

// tamperedPayloads returns e's payload with each of its fields changed.
func tamperedPayloads(e events.Event) map[string]events.Payload {
	out := map[string]events.Payload{}
	var walk func(v reflect.Value, path []int, name string)
	root := reflect.ValueOf(e.Data)
	walk = func(v reflect.Value, path []int, name string) {
		for i := range v.NumField() {
			f, sf := v.Field(i), v.Type().Field(i)
			p := append(append([]int(nil), path...), i)
			if sf.Anonymous {
				walk(f, p, name)
				continue
			}
			c := reflect.New(root.Type()).Elem()
			c.Set(root)
			field := c.FieldByIndex(p)
			switch x := field.Interface().(type) {
			case events.Decimal:
				field.Set(reflect.ValueOf(x + "1"))
			case string:
				field.SetString(x + "x")
			case bool:
				field.SetBool(!x)
			case time.Time:
				if x.IsZero() {
					x = e.Time.Add(time.Hour)
				}
				field.Set(reflect.ValueOf(x.Add(time.Nanosecond)))
			default:
				panic(fmt.Sprintf("no tamper for %s of type %s", sf.Name, sf.Type))
			}
			out[name+sf.Name] = c.Interface().(events.Payload)
		}
	}
	walk(root, nil, "")
	return out
}

func TestReplayDetectsTampering(t *testing.T) {
	f := chained(t)
	evs := f.log.Events(0)
	want := f.l.LastHash()
	cases := tampered(evs)
	for i := range evs {
		dropped := append(append([]events.Event(nil), evs[:i]...), evs[i+1:]...)
		cases[fmt.Sprintf("%d dropped", i)] = dropped
		if i+1 < len(evs) {
			swapped := append([]events.Event(nil), evs...)
			swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
			cases[fmt.Sprintf("%d swapped with the next", i)] = swapped
		}
	}
	if len(cases) < 10*len(evs) {
		t.Fatalf("only %d tampered streams of %d events", len(cases), len(evs))
	}
	for name, c := range cases {
		r, err := Replay(f.replayOpts(), c)
		switch {
		case err == nil && r.LastHash() == want:
			t.Errorf("%s: not detected", name)
		case err == nil && !strings.HasPrefix(name, fmt.Sprint(len(evs)-1)):
			// Only the last event can vanish unnoticed by Replay itself
			// (a stream cut short); its LastHash tells.
			t.Errorf("%s: Replay = nil, want %v", name, ErrReplayMismatch)
		case err != nil && !errors.Is(err, ErrReplayMismatch):
			t.Errorf("%s: Replay = %v, want %v", name, err, ErrReplayMismatch)
		}
	}
}

func TestReplayDetectsBrokenChain(t *testing.T) {
	f := chained(t)
	evs := f.log.Events(0)
	i := len(evs) / 2
	m := evs[i].Data
	evs[i].Data = withPrev(m, strings.Repeat("0", HashLen))
	_, err := Replay(f.replayOpts(), evs)
	if !errors.Is(err, ErrReplayMismatch) || !strings.Contains(err.Error(), "broken hash chain") {
		t.Fatalf("Replay = %v, want a broken hash chain", err)
	}
}

func TestStateHash(t *testing.T) {
	ctx := context.Background()
	a, b := standard(t), standard(t)
	if a.l.StateHash() != b.l.StateHash() {
		t.Fatal("equal ledgers hash differently")
	}
	if len(a.l.StateHash()) != HashLen {
		t.Fatalf("StateHash() = %q", a.l.StateHash())
	}
	changes := map[string]func(l *Ledger) error{
		"transfer": func(l *Ledger) error { return l.Transfer(ctx, "x", "alice", "bob", dec(t, "1"), "") },
		"hold":     func(l *Ledger) error { return l.Hold(ctx, "hx", "alice", dec(t, "1")) },
		"release":  func(l *Ledger) error { return l.Release(ctx, "h0", "") },
		"open":     func(l *Ledger) error { return l.Open(ctx, "z", KindAgent) },
		"close":    func(l *Ledger) error { return l.Close(ctx, "esc") },
	}
	for name, change := range changes {
		c := standard(t)
		must(t, change(c.l))
		if c.l.StateHash() == a.l.StateHash() {
			t.Errorf("%s leaves the state hash unchanged", name)
		}
	}
	// A query changes the sequence, not the state.
	_, err := b.l.QueryBalance(ctx, "alice")
	must(t, err)
	if a.l.StateHash() != b.l.StateHash() {
		t.Error("a balance query changed the state hash")
	}
}

func TestReplayFrom(t *testing.T) {
	ctx := context.Background()
	f := chained(t)
	snap := f.l.Snapshot()
	must(t, f.l.Transfer(ctx, "after-1", "alice", "bob", dec(t, "1"), ""))
	must(t, f.l.HoldWithTimeout(ctx, "after-h", "bob", dec(t, "1"), time.Minute))
	must(t, f.l.Transfer(ctx, "after-2", "v", "bob", dec(t, "3"), ""))
	evs := f.log.Events(0)

	r, err := ReplayFrom(f.replayOpts(), snap, evs)
	must(t, err)
	if diff := cmp.Diff(f.l.Balances(), r.Balances(), decimalEqual); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
	if r.StateHash() != f.l.StateHash() || r.LastHash() != f.l.LastHash() || r.LastSequence() != f.l.LastSequence() {
		t.Error("ReplayFrom differs from the ledger in its hashes or sequence")
	}
	next, _ := f.l.NextExpiry()
	if got, _ := r.NextExpiry(); !got.Equal(next) {
		t.Errorf("NextExpiry = %v, want %v", got, next)
	}
	// A retry of a transfer before the snapshot is still a retry.
	before := r.StateHash()
	must(t, r.Transfer(ctx, "t1", "alice", "bob", dec(t, "25.5"), "pay"))
	if r.StateHash() != before {
		t.Error("retry of a transfer from before the snapshot changed the state")
	}

	bad := map[string]func(s *Snapshot){
		"balance changed":    func(s *Snapshot) { s.Accounts[0].Posted = dec(t, "7") },
		"state hash changed": func(s *Snapshot) { s.StateHash = strings.Repeat("0", HashLen) },
		"last hash changed":  func(s *Snapshot) { s.LastHash = strings.Repeat("0", HashLen) },
		"last hash short":    func(s *Snapshot) { s.LastHash = s.LastHash[1:] },
		"last hash not hex":  func(s *Snapshot) { s.LastHash = strings.Repeat("g", HashLen) },
		"last hash empty":    func(s *Snapshot) { s.LastHash = "" },
		"sequence changed":   func(s *Snapshot) { s.LastSequence-- },
		"hold state unknown": func(s *Snapshot) { s.Holds[0].State = "lost" },
		"no accounts":        func(s *Snapshot) { s.Accounts = nil },
		"transfer dropped":   func(s *Snapshot) { s.Transfers = s.Transfers[1:] },
	}
	for name, change := range bad {
		s := snap
		s.Accounts = append([]AccountState(nil), snap.Accounts...)
		s.Holds = append([]HoldState(nil), snap.Holds...)
		s.Transfers = append([]TransferState(nil), snap.Transfers...)
		change(&s)
		if _, err := ReplayFrom(f.replayOpts(), s, evs); !errors.Is(err, ErrReplayMismatch) {
			t.Errorf("%s: ReplayFrom = %v, want %v", name, err, ErrReplayMismatch)
		}
	}
}
