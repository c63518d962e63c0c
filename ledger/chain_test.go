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

// unchain returns copies of evs without their chain: a stream written
// elsewhere.
func unchain(evs []events.Event) []events.Event {
	out := make([]events.Event, len(evs))
	for i, e := range evs {
		e.Hash, e.Seal, e.Signature = "", false, ""
		out[i] = e
	}
	return out
}

func TestEventsCarryTheHashChain(t *testing.T) {
	f := chained(t)
	evs := f.log.Events(0)
	for _, e := range evs {
		if len(e.Hash) != HashLen || e.Signature != "" {
			t.Fatalf("%v: hash %q, signature %q; want a hash of %d hex digits, unsigned", e, e.Hash, e.Signature, HashLen)
		}
	}
	// New's two openings are one group: only the second is sealed.
	if evs[0].Seal || !evs[1].Seal {
		t.Errorf("openings sealed %v, %v; want the second only", evs[0].Seal, evs[1].Seal)
	}
	if got, want := f.l.LastHash(), evs[len(evs)-1].Hash; got != want {
		t.Errorf("LastHash() = %q, want the last event's %q", got, want)
	}
	// The chain survives the codec, and every event is trusted.
	decoded := roundTrip(t, evs)
	v, err := events.Verify(decoded, events.VerifyOptions{})
	must(t, err)
	if len(v.Trusted) != len(evs) || len(v.Void) != 0 || v.Heads["run-1"] != f.l.LastHash() {
		t.Errorf("Verify: %d trusted, %d void, head %q; want %d, 0, %q",
			len(v.Trusted), len(v.Void), v.Heads["run-1"], len(evs), f.l.LastHash())
	}
	r, err := Restore(context.Background(), f.replayOpts(), decoded)
	must(t, err)
	if r.LastHash() != f.l.LastHash() || r.StateHash() != f.l.StateHash() {
		t.Errorf("replayed hashes differ: last %s vs %s, state %s vs %s", r.LastHash(), f.l.LastHash(), r.StateHash(), f.l.StateHash())
	}
	// The replayed ledger goes on with the chain.
	must(t, r.Transfer(context.Background(), "after", "alice", "bob", dec(t, "1"), ""))
	if r.LastHash() == f.l.LastHash() {
		t.Error("LastHash() did not move with a transfer")
	}
}

func TestFailedPublishRewindsTheChain(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	head := f.l.LastHash()
	p := f.counting()
	p.fail = errors.New("stream down")
	if err := f.l.Transfer(ctx, "t1", "alice", "bob", dec(t, "1"), ""); !errors.Is(err, p.fail) {
		t.Fatalf("Transfer = %v, want %v", err, p.fail)
	}
	if got := f.l.LastHash(); got != head {
		t.Fatalf("LastHash() = %q after a failed publish, want %q", got, head)
	}
	p.fail = nil
	must(t, f.l.Transfer(ctx, "t1", "alice", "bob", dec(t, "1"), ""))
	r, err := Restore(context.Background(), f.replayOpts(), f.log.Events(0))
	must(t, err)
	assertSameLedger(t, f.l, r)
}

// tamperedCase is a stream changed in one place, and where Restore must
// find the chain broken: the index, in the events of the correlation, of
// the first bad event (-1: the change cannot be told from a stream cut
// short after a seal, and only LastHash tells).
type tamperedCase struct {
	evs []events.Event
	at  int
}

// tampered returns copies of evs, each with one attribute of one event or
// one field of its payload changed, named for the change.
func tampered(evs []events.Event) map[string]tamperedCase {
	out := map[string]tamperedCase{}
	last := len(evs) - 1
	for i, e := range evs {
		envelope := map[string]func(*events.Event){
			"id":          func(e *events.Event) { e.ID += "x" },
			"type":        func(e *events.Event) { e.Type += "x" },
			"source":      func(e *events.Event) { e.Source = events.SourceMarket },
			"subject":     func(e *events.Event) { e.Subject += "x" },
			"time":        func(e *events.Event) { e.Time = e.Time.Add(time.Nanosecond) },
			"sequence":    func(e *events.Event) { e.Sequence++ },
			"causation":   func(e *events.Event) { e.Causation += "x" },
			"traceparent": func(e *events.Event) { e.TraceParent += "x" },
			"schema":      func(e *events.Event) { e.Schema++ },
			"hash":        func(e *events.Event) { e.Hash = strings.Repeat("0", HashLen) },
			"seal":        func(e *events.Event) { e.Seal = !e.Seal },
			"signature":   func(e *events.Event) { e.Signature = "c2ln" },
		}
		for name, change := range envelope {
			c := append([]events.Event(nil), evs...)
			change(&c[i])
			out[fmt.Sprintf("%d %s %s", i, e.Type, name)] = tamperedCase{c, i}
		}
		// An event moved to another correlation leaves its own: the next
		// event does not follow the one before.
		c := append([]events.Event(nil), evs...)
		c[i].Correlation += "x"
		out[fmt.Sprintf("%d %s correlation", i, e.Type)] = tamperedCase{c, cutShort(i, last)}
		for name, p := range tamperedPayloads(e) {
			c := append([]events.Event(nil), evs...)
			c[i].Data = p
			out[fmt.Sprintf("%d %s %s", i, e.Type, name)] = tamperedCase{c, i}
		}
	}
	return out
}

// cutShort returns i, the index at which the stream breaks when the event
// at i is gone, or -1 if i is the last: the stream is then cut short after
// a seal.
func cutShort(i, last int) int {
	if i == last {
		return -1
	}
	return i
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
	last := len(evs) - 1
	for i := range evs {
		dropped := append(append([]events.Event(nil), evs[:i]...), evs[i+1:]...)
		cases[fmt.Sprintf("%d dropped", i)] = tamperedCase{dropped, cutShort(i, last)}
		duplicated := append(append([]events.Event(nil), evs[:i+1]...), evs[i:]...)
		cases[fmt.Sprintf("%d duplicated", i)] = tamperedCase{duplicated, i + 1}
		if i < last {
			swapped := append([]events.Event(nil), evs...)
			swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
			cases[fmt.Sprintf("%d swapped with the next", i)] = tamperedCase{swapped, i}
		}
	}
	if len(cases) < 15*len(evs) {
		t.Fatalf("only %d tampered streams of %d events", len(cases), len(evs))
	}
	t.Logf("%d tampered streams of %d events", len(cases), len(evs))
	for name, c := range cases {
		r, err := Restore(context.Background(), f.replayOpts(), c.evs)
		if c.at < 0 {
			if err != nil || r.LastHash() == want {
				t.Errorf("%s: Restore = %v; want the shorter stream, its LastHash not %s", name, err, want)
			}
			continue
		}
		var ce *events.ChainError
		switch {
		case !errors.Is(err, ErrRestore) || !errors.Is(err, events.ErrTampered):
			t.Errorf("%s: Restore = %v, want %v wrapping %v", name, err, ErrRestore, events.ErrTampered)
		case !errors.As(err, &ce) || ce.Index != c.at:
			t.Errorf("%s: Restore = %v, want the chain broken at #%d", name, err, c.at)
		case ce.EventID != chainEvent(c.evs, "run-1", c.at).ID:
			t.Errorf("%s: Restore = %v, want it to name %s", name, err, chainEvent(c.evs, "run-1", c.at).ID)
		}
	}
}

// chainEvent returns the event at index i among those of correlation.
func chainEvent(evs []events.Event, correlation string, i int) events.Event {
	for _, e := range evs {
		if e.Correlation != correlation {
			continue
		}
		if i == 0 {
			return e
		}
		i--
	}
	return events.Event{}
}

func TestReplayRefusesForeignEvents(t *testing.T) {
	f := chained(t)
	evs := f.log.Events(0)
	market := events.NewSequencer(events.SourceMarket, "run-1", 0).Batch(f.clock.Now())
	market.Add("alice", events.BidRejected{OrderID: "b1", AgentID: "alice", Reason: events.ReasonOutbid})
	mixed := append(append(append([]events.Event(nil), evs[:5]...), market.Events()...), evs[5:]...)
	_, err := Restore(context.Background(), f.replayOpts(), mixed)
	var ce *events.ChainError
	if !errors.Is(err, ErrRestore) || !errors.As(err, &ce) || ce.Index != 5 {
		t.Fatalf("Restore with an unchained market event = %v, want the chain broken at #5", err)
	}
}

func TestReplayVoidsGroupCutShort(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.Transfer(ctx, "t1", "alice", "bob", dec(t, "10"), ""))
	before := f.l.Snapshot()
	// The last batch is stored in part: two of its three events.
	f.l.pub = events.PublisherFunc(func(ctx context.Context, evs ...events.Event) error {
		must(t, f.log.Publish(ctx, evs[:2]...))
		return fmt.Errorf("%w: the connection dropped", events.ErrInDoubt)
	})
	err := f.l.Apply(ctx,
		TransferOp{TransferID: "t2", From: "alice", To: "bob", Amount: dec(t, "5")},
		MintOp{TransferID: "m1", To: "esc", Amount: dec(t, "7")},
		ReleaseOp{HoldID: "h0"},
	)
	if !errors.Is(err, events.ErrFenced) || !f.l.Fenced() {
		t.Fatalf("Apply = %v, fenced %v; want %v", err, f.l.Fenced(), events.ErrFenced)
	}
	evs := f.log.Events(0)
	r, err := Restore(context.Background(), f.replayOpts(), evs)
	must(t, err)
	if r.StateHash() != before.StateHash || r.LastHash() != before.LastHash {
		t.Errorf("replayed state %s, head %s; want the state before the batch %s, %s",
			r.StateHash(), r.LastHash(), before.StateHash, before.LastHash)
	}
	// The replayed ledger numbers after the void events and links to the
	// last seal; the stream it goes on writing replays again.
	if got, want := r.LastSequence(), before.LastSequence+2; got != want {
		t.Errorf("replayed LastSequence() = %d, want %d, after the void events", got, want)
	}
	r.pub = f.log
	must(t, r.Transfer(ctx, "t3", "alice", "bob", dec(t, "1"), ""))
	evs = f.log.Events(0)
	again, err := Restore(context.Background(), f.replayOpts(), evs)
	must(t, err)
	assertSameLedger(t, r, again, "h0")
	if again.LastHash() != r.LastHash() {
		t.Errorf("LastHash() = %s, want %s", again.LastHash(), r.LastHash())
	}
	// And from a snapshot taken before the void group.
	from, err := RestoreFrom(context.Background(), f.replayOpts(), before, evs)
	must(t, err)
	assertSameLedger(t, r, from, "h0")
	if _, err := r.Balance("esc"); err != nil || r.Balances()["esc"].Posted.Sign() != 0 {
		t.Errorf("the void mint reached esc: %v", r.Balances()["esc"])
	}
}

func TestReplayUnchainedStream(t *testing.T) {
	ctx := context.Background()
	f := chained(t)
	evs := unchain(f.log.Events(0))
	r, err := Restore(context.Background(), f.replayOpts(), evs)
	must(t, err)
	if r.StateHash() != f.l.StateHash() || r.LastHash() != "" {
		t.Fatalf("replayed state %s, head %q; want %s and no head", r.StateHash(), r.LastHash(), f.l.StateHash())
	}
	// A stream from elsewhere has no chain to go on with: the replayed
	// ledger starts a new one.
	log := events.NewLog(events.LogOptions{})
	r.pub = log
	must(t, r.Transfer(ctx, "after", "alice", "bob", dec(t, "1"), ""))
	got := log.Events(0)
	if len(got) != 1 || !got[0].Seal || got[0].Hash != r.LastHash() {
		t.Fatalf("event after the replay %+v, want the sealed start of a new chain, LastHash %s", got, r.LastHash())
	}
	if _, err := events.Verify(got, events.VerifyOptions{}); err != nil {
		t.Errorf("the new chain does not verify: %v", err)
	}
}

func TestStagedLedgerDoesNotChain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{Correlation: "run-1", Staged: true})
	must(t, f.l.Open(ctx, "alice", KindAgent))
	must(t, f.l.Mint(ctx, "t0", "alice", dec(t, "10"), ""))
	evs := f.log.Events(0)
	for _, e := range evs {
		if e.Hash != "" || e.Seal || e.Signature != "" {
			t.Fatalf("a Staged ledger chained %v", e)
		}
	}
	if f.l.LastHash() != "" || f.l.Snapshot().LastHash != "" {
		t.Errorf("LastHash() = %q, want none", f.l.LastHash())
	}
	// The writer chains the events; a Staged replay takes them as trusted,
	// with the last sequence the writer read (void events after them).
	chain, err := events.NewChain("", nil)
	must(t, err)
	chain.Link(evs)
	opts := f.replayOpts()
	opts.LastSequence = uint64(len(evs)) + 3
	r, err := Restore(context.Background(), opts, evs)
	must(t, err)
	if r.StateHash() != f.l.StateHash() || r.LastHash() != "" || r.LastSequence() != opts.LastSequence {
		t.Errorf("Staged replay: state %s, head %q, last %d; want %s, none, %d",
			r.StateHash(), r.LastHash(), r.LastSequence(), f.l.StateHash(), opts.LastSequence)
	}
	// A gap in the trusted events is the writer's void events: here a
	// balance query the writer's stream did not keep.
	f.l.pub = events.Discard
	_, err = f.l.QueryBalance(ctx, "alice")
	must(t, err)
	f.l.pub = f.log
	must(t, f.l.Burn(ctx, "t1", "alice", dec(t, "1"), ""))
	r, err = Restore(context.Background(), f.replayOpts(), f.log.Events(0))
	must(t, err)
	if r.StateHash() != f.l.StateHash() || r.LastSequence() != f.l.LastSequence() {
		t.Errorf("Staged replay over a gap: state %s, last %d; want %s, %d",
			r.StateHash(), r.LastSequence(), f.l.StateHash(), f.l.LastSequence())
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

	for name, stream := range map[string][]events.Event{"whole stream": evs, "tail": evs[snap.LastSequence:]} {
		r, err := RestoreFrom(context.Background(), f.replayOpts(), snap, stream)
		if err != nil {
			t.Fatalf("%s: RestoreFrom: %v", name, err)
		}
		if diff := cmp.Diff(f.l.Balances(), r.Balances(), decimalEqual); diff != "" {
			t.Errorf("%s: balances (-want +got):\n%s", name, diff)
		}
		if r.StateHash() != f.l.StateHash() || r.LastHash() != f.l.LastHash() || r.LastSequence() != f.l.LastSequence() {
			t.Errorf("%s: RestoreFrom differs from the ledger in its hashes or sequence", name)
		}
		next, _ := f.l.NextExpiry()
		if got, _ := r.NextExpiry(); !got.Equal(next) {
			t.Errorf("%s: NextExpiry = %v, want %v", name, got, next)
		}
		// A retry of a transfer before the snapshot is still a retry.
		before := r.StateHash()
		must(t, r.Transfer(ctx, "t1", "alice", "bob", dec(t, "25.5"), "pay"))
		if r.StateHash() != before {
			t.Errorf("%s: retry of a transfer from before the snapshot changed the state", name)
		}
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
		if _, err := RestoreFrom(context.Background(), f.replayOpts(), s, evs); !errors.Is(err, ErrRestore) {
			t.Errorf("%s: RestoreFrom = %v, want %v", name, err, ErrRestore)
		}
	}
	// A tail that does not link to the snapshot is tampering.
	tail := append([]events.Event(nil), evs[snap.LastSequence+1:]...)
	if _, err := RestoreFrom(context.Background(), f.replayOpts(), snap, tail); !errors.Is(err, events.ErrTampered) {
		t.Errorf("RestoreFrom of a tail without its first event = %v, want %v", err, events.ErrTampered)
	}
	if _, err := RestoreFrom(context.Background(), f.replayOpts(), snap, unchain(evs[snap.LastSequence:])); !errors.Is(err, events.ErrTampered) {
		t.Errorf("RestoreFrom of an unchained tail = %v, want %v", err, events.ErrTampered)
	}
}
