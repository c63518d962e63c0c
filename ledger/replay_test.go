package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

// busy returns the standard fixture after one of every operation.
func busy(tb testing.TB) *fixture {
	tb.Helper()
	ctx := context.Background()
	f := standard(tb)
	steps := []func() error{
		func() error { return f.l.Transfer(ctx, "t1", "alice", "bob", dec(tb, "25.5"), "pay") },
		func() error { return f.l.Hold(ctx, "h1", "bob", dec(tb, "20")) },
		func() error { return f.l.Capture(ctx, "h1", "t2", "esc", dec(tb, "12.25"), "won") },
		func() error { return f.l.Burn(ctx, "t3", "esc", dec(tb, "2.25"), "fee") },
		func() error { return f.l.Hold(ctx, "h2", "alice", dec(tb, "10")) },
		func() error { return f.l.Release(ctx, "h2", "expired") },
		func() error { _, err := f.l.QueryBalance(ctx, "bob"); return err },
		func() error { return f.l.Mint(ctx, "t4", "op", dec(tb, "0.000001"), "") },
		func() error { return f.l.HoldWithTimeout(ctx, "lease", "alice", dec(tb, "5"), 90*time.Second) },
		func() error { return f.l.CapturePartial(ctx, "lease", "t5", "bob", dec(tb, "1.5"), "tick") },
		func() error {
			return f.l.Apply(ctx,
				HoldOp{HoldID: "short", Account: "bob", Amount: dec(tb, "2"), Timeout: time.Second},
				MintOp{TransferID: "t6", To: "op", Amount: dec(tb, "1")},
			)
		},
		func() error { f.clock.Add(2 * time.Minute); return f.l.Expire(ctx) },
	}
	for _, step := range steps {
		f.clock.Add(time.Second)
		must(tb, step())
	}
	return f
}

// replayOpts returns the options of f without its clock and publisher.
func (f *fixture) replayOpts() Options {
	o := f.opts
	o.Clock, o.Publisher = nil, nil
	return o
}

// assertSameLedger fails if got differs from want in balances, sequence or
// holds.
func assertSameLedger(tb testing.TB, want, got *Ledger, holdIDs ...string) {
	tb.Helper()
	if diff := cmp.Diff(want.Balances(), got.Balances(), decimalEqual); diff != "" {
		tb.Errorf("replayed balances (-want +got):\n%s", diff)
	}
	if w, g := want.LastSequence(), got.LastSequence(); w != g {
		tb.Errorf("replayed LastSequence() = %d, want %d", g, w)
	}
	wn, wok := want.NextExpiry()
	if gn, gok := got.NextExpiry(); wok != gok || !wn.Equal(gn) {
		tb.Errorf("replayed NextExpiry() = %v, %v; want %v, %v", gn, gok, wn, wok)
	}
	for _, id := range holdIDs {
		wa, wok := want.HoldAmount(id)
		ga, gok := got.HoldAmount(id)
		if wok != gok || (wok && wa.Cmp(ga) != 0) {
			tb.Errorf("replayed HoldAmount(%q) = %v, %v; want %v, %v", id, ga, gok, wa, wok)
		}
	}
}

func TestReplay(t *testing.T) {
	ctx := context.Background()
	f := busy(t)
	must(t, f.l.Hold(ctx, "h3", "alice", dec(t, "5")))
	evs := f.log.Events(0)

	mock := clock.NewMock()
	mock.Set(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	log := events.NewLog(events.LogOptions{})
	opts := f.replayOpts()
	opts.Clock, opts.Publisher = mock, log
	r, err := Restore(context.Background(), opts, evs)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if log.Len() != 0 {
		t.Fatalf("Restore published %d events", log.Len())
	}
	assertSameLedger(t, f.l, r, "h0", "h1", "h2", "h3")

	// Idempotency records are rebuilt.
	if err := r.Transfer(ctx, "t1", "alice", "bob", dec(t, "25.5"), "pay"); err != nil {
		t.Errorf("retry of t1 after replay: %v", err)
	}
	if err := r.Capture(ctx, "h1", "t2", "esc", dec(t, "12.25"), "won"); err != nil {
		t.Errorf("retry of capture h1 after replay: %v", err)
	}
	if err := r.Transfer(ctx, "t2", "alice", "bob", dec(t, "1"), ""); !errors.Is(err, ErrExistsWithDifferentFields) {
		t.Errorf("reuse of t2 after replay: %v, want %v", err, ErrExistsWithDifferentFields)
	}
	if log.Len() != 0 {
		t.Fatalf("retries published %d events", log.Len())
	}

	// The replayed ledger continues the sequence, on its own clock and
	// publisher.
	must(t, r.Capture(ctx, "h3", "t9", "bob", dec(t, "5"), ""))
	got := log.Events(0)
	if len(got) != 1 || got[0].Sequence != uint64(len(evs))+1 || !got[0].Time.Equal(mock.Now()) ||
		got[0].Correlation != "run-1" {
		t.Fatalf("event after replay %v at %v, want sequence %d at %v, correlation run-1",
			got, got[0].Time, len(evs)+1, mock.Now())
	}
	// And the original stream plus the new event replays too.
	again, err := Restore(context.Background(), opts, append(evs, got...))
	if err != nil {
		t.Fatalf("Restore of the continued stream: %v", err)
	}
	assertSameLedger(t, r, again, "h3")
}

func TestReplayThroughCodec(t *testing.T) {
	f := busy(t)
	var decoded []events.Event
	for _, e := range f.log.Events(0) {
		b, err := events.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		d, err := events.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, d)
	}
	r, err := Restore(context.Background(), f.replayOpts(), decoded)
	if err != nil {
		t.Fatalf("Restore of decoded events: %v", err)
	}
	assertSameLedger(t, f.l, r, "h0", "h1", "h2")
}

func TestReplaySkipsOtherStreams(t *testing.T) {
	f := busy(t)
	other := newFixture(t, Options{Correlation: "run-2"})
	must(t, other.l.Open(context.Background(), "zed", KindAgent))
	market := events.NewSequencer(events.SourceMarket, "run-3", 0).Batch(f.clock.Now())
	market.Add("alice", events.BidRejected{OrderID: "b1", AgentID: "alice", Reason: events.ReasonOutbid})

	var mixed []events.Event
	theirs := other.log.Events(0)
	for i, e := range f.log.Events(0) {
		mixed = append(mixed, e)
		if i < len(theirs) {
			mixed = append(mixed, theirs[i])
		}
		if i == 3 {
			mixed = append(mixed, market.Events()...)
		}
	}
	for _, staged := range []bool{false, true} {
		opts := f.replayOpts()
		opts.Staged = staged
		r, err := Restore(context.Background(), opts, mixed)
		if err != nil {
			t.Fatalf("Restore (Staged %v): %v", staged, err)
		}
		assertSameLedger(t, f.l, r, "h0", "h1", "h2")
		if _, err := r.Balance("zed"); !errors.Is(err, ErrUnknownAccount) {
			t.Errorf("account of another correlation replayed: %v", err)
		}
	}
}

func TestReplayMismatch(t *testing.T) {
	f := busy(t)
	base := f.log.Events(0)
	find := func(typ events.Type) int {
		for i, e := range base {
			if e.Type == typ {
				return i
			}
		}
		t.Fatalf("no %s event", typ)
		return -1
	}
	transfer := find(events.TypeCreditsTransferred)
	captured := find(events.TypeHoldCaptured)
	queried := find(events.TypeBalanceQueried)
	released := find(events.TypeHoldReleased)
	placed := find(events.TypeHoldPlaced)

	tests := []struct {
		name   string
		tamper func(evs []events.Event) []events.Event
	}{
		{"changed amount", setData(transfer, func(p events.Payload) events.Payload {
			m := p.(events.CreditsTransferred)
			m.Amount = "26"
			return m
		})},
		{"changed balance", setData(transfer, func(p events.Payload) events.Payload {
			m := p.(events.CreditsTransferred)
			m.ToBalance = "25.6"
			return m
		})},
		{"missing amount", setData(transfer, func(p events.Payload) events.Payload {
			m := p.(events.CreditsTransferred)
			m.Amount = ""
			return m
		})},
		{"malformed amount", setData(transfer, func(p events.Payload) events.Payload {
			m := p.(events.CreditsTransferred)
			m.Amount = "lots"
			return m
		})},
		{"transfer beyond what the stream gave", setData(transfer, func(p events.Payload) events.Payload {
			m := p.(events.CreditsTransferred)
			m.Amount, m.FromBalance, m.ToBalance = "200", "-100", "200"
			return m
		})},
		{"changed released", setData(captured, func(p events.Payload) events.Payload {
			c := p.(events.HoldCaptured)
			c.Released = "0"
			return c
		})},
		{"changed pending", setData(placed, func(p events.Payload) events.Payload {
			h := p.(events.HoldPlaced)
			h.Pending = "0"
			return h
		})},
		{"changed released amount", setData(released, func(p events.Payload) events.Payload {
			h := p.(events.HoldReleased)
			h.Amount = "9"
			return h
		})},
		{"changed queried balance", setData(queried, func(p events.Payload) events.Payload {
			q := p.(events.BalanceQueried)
			q.Available = "1000"
			return q
		})},
		{"mint posing as a transfer", setData(transfer, func(p events.Payload) events.Payload {
			return events.CreditsMinted(p.(events.CreditsTransferred))
		})},
		{"raw data", setData(transfer, func(p events.Payload) events.Payload {
			b, _ := json.Marshal(p)
			return events.Raw{Type: events.TypeCreditsTransferred, JSON: b}
		})},
		{"pointer data", setData(transfer, func(p events.Payload) events.Payload {
			m := p.(events.CreditsTransferred)
			return &m
		})},
		{"changed subject", setEvent(transfer, func(e *events.Event) { e.Subject = "bob" })},
		{"changed time", setEvent(transfer, func(e *events.Event) { e.Time = e.Time.Add(time.Nanosecond) })},
		{"changed id", setEvent(transfer, func(e *events.Event) { e.ID += "x" })},
		{"changed causation", setEvent(transfer, func(e *events.Event) { e.Causation = "x" })},
		{"sequence gap", func(evs []events.Event) []events.Event {
			return append(evs[:transfer:transfer], evs[transfer+1:]...)
		}},
		{"sequence renumbered", setEvent(transfer, func(e *events.Event) { e.Sequence += 1 })},
		{"duplicate event", func(evs []events.Event) []events.Event {
			out := append([]events.Event{}, evs[:transfer+1]...)
			out = append(out, evs[transfer])
			return append(out, evs[transfer+1:]...)
		}},
		{"swapped events", func(evs []events.Event) []events.Event {
			evs[transfer], evs[transfer+1] = evs[transfer+1], evs[transfer]
			return evs
		}},
		{"no mint opening", func(evs []events.Event) []events.Event { return evs[1:] }},
		{"burn opening only", func(evs []events.Event) []events.Event { return evs[1:2] }},
		{"second mint", func(evs []events.Event) []events.Event {
			e := evs[0]
			e.Sequence, e.ID = uint64(len(evs))+1, e.ID+"-again"
			return append(evs, e)
		}},
		{"empty stream", func([]events.Event) []events.Event { return nil }},
	}
	// Each change breaks the chain of the ledger's stream, or, in an
	// unchained stream, the re-enactment.
	streams := map[string][]events.Event{"chained": base, "unchained": unchain(base)}
	for _, tt := range tests {
		for kind, stream := range streams {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				evs := tt.tamper(append([]events.Event{}, stream...))
				r, err := Restore(context.Background(), f.replayOpts(), evs)
				if !errors.Is(err, ErrRestore) {
					t.Fatalf("Restore = %v, want %v", err, ErrRestore)
				}
				if r != nil {
					t.Error("Restore returned a ledger with its error")
				}
			})
		}
	}
}

// TestReplayComparesDecimalsByValue rewrites decimals in a stream written
// elsewhere (unchained: in a chained one, any change breaks the chain).
func TestReplayComparesDecimalsByValue(t *testing.T) {
	f := busy(t)
	evs := unchain(f.log.Events(0))
	for i, e := range evs {
		if m, ok := e.Data.(events.CreditsTransferred); ok {
			m.Amount, m.FromBalance = "25.500", "74.50"
			evs[i].Data = m
		}
	}
	r, err := Restore(context.Background(), f.replayOpts(), evs)
	if err != nil {
		t.Fatalf("Restore with equal decimals written differently: %v", err)
	}
	assertSameLedger(t, f.l, r, "h0")
}

func TestReplayOtherScale(t *testing.T) {
	f := busy(t) // has a mint of 0.000001
	opts := f.replayOpts()
	opts.Scale = 2
	if _, err := Restore(context.Background(), opts, f.log.Events(0)); !errors.Is(err, ErrRestore) || !errors.Is(err, ErrInvalidAmount) {
		t.Fatalf("Restore at a coarser scale = %v, want %v wrapping %v", err, ErrRestore, ErrInvalidAmount)
	}
}

func setData(i int, f func(events.Payload) events.Payload) func([]events.Event) []events.Event {
	return setEvent(i, func(e *events.Event) { e.Data = f(e.Data) })
}

func setEvent(i int, f func(*events.Event)) func([]events.Event) []events.Event {
	return func(evs []events.Event) []events.Event {
		f(&evs[i])
		return evs
	}
}

// FuzzReplay feeds Restore with streams of decoded events, one JSON event a
// line, chained or not: it must never panic, and a stream it accepts must
// rebuild a ledger that holds the invariants and replays again to the same
// state.
func FuzzReplay(f *testing.F) {
	stream := chained(f)
	var seed bytes.Buffer
	for _, e := range stream.log.Events(0) {
		b, err := events.Encode(e)
		if err != nil {
			f.Fatal(err)
		}
		seed.Write(b)
		seed.WriteByte('\n')
	}
	var unchained bytes.Buffer
	for _, e := range unchain(stream.log.Events(0)) {
		b, err := events.Encode(e)
		if err != nil {
			f.Fatal(err)
		}
		unchained.Write(b)
		unchained.WriteByte('\n')
	}
	for _, s := range [][]byte{seed.Bytes(), unchained.Bytes()} {
		f.Add(s)
		f.Add(bytes.Replace(s, []byte(`"amount":"25.5"`), []byte(`"amount":"26"`), 1))
		f.Add(bytes.Replace(s, []byte(`"sequence":"7"`), []byte(`"sequence":"8"`), 1))
		f.Add(bytes.Replace(s, []byte(`"overdraft_limit":"5"`), []byte(`"overdraft_limit":"500"`), 1))
	}
	f.Add(bytes.Replace(seed.Bytes(), []byte(`"chainhash":"`), []byte(`"chainhash":"0`), 3))
	f.Add(bytes.Replace(seed.Bytes(), []byte(`"chainseal":true,`), nil, 1))
	f.Add([]byte{})
	opts := stream.replayOpts()
	f.Fuzz(func(t *testing.T, data []byte) {
		var evs []events.Event
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			if e, err := events.Decode(line); err == nil {
				evs = append(evs, e)
			}
		}
		l, err := Restore(context.Background(), opts, evs)
		if err != nil {
			if !errors.Is(err, ErrRestore) {
				t.Fatalf("Restore error %v does not wrap %v", err, ErrRestore)
			}
			return
		}
		if s := l.Sum(); !s.IsZero() {
			t.Fatalf("replayed ledger sums to %s", s.Text('f'))
		}
		for id, b := range l.Balances() {
			floor := new(apd.Decimal)
			if b.OverdraftLimit != nil {
				floor.Neg(b.OverdraftLimit)
			}
			if !b.AllowNegative && (b.Posted.Cmp(floor) < 0 || b.Available.Cmp(floor) < 0) {
				t.Fatalf("replayed account %q is below its floor: %+v", id, b)
			}
		}
		again, err := Restore(context.Background(), opts, evs)
		if err != nil {
			t.Fatalf("second replay of an accepted stream: %v", err)
		}
		assertSameLedger(t, l, again)
	})
}
