package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// testingT is the part of testing.TB the helpers use. They take it rather
// than testing.TB because *rapid.T, which the state machine passes, lacks
// testing.TB's newer methods (ArtifactDir) and so is not a testing.TB.
type testingT interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
}

var (
	_ testingT = testing.TB(nil)
	_ testingT = (*rapid.T)(nil)
)

// fixture is a ledger that publishes to an in-memory log, on a mock clock.
type fixture struct {
	l     *Ledger
	log   *events.Log
	clock *clock.Mock
	opts  Options
}

// newFixture returns a ledger built from opts with its Clock and Publisher
// replaced by a mock clock and a log.
func newFixture(tb testingT, opts Options) *fixture {
	tb.Helper()
	mock := clock.NewMock()
	mock.Set(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	log := events.NewLog(events.LogOptions{})
	opts.Clock, opts.Publisher = mock, log
	l, err := New(context.Background(), opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return &fixture{l: l, log: log, clock: mock, opts: opts}
}

// dec parses s with apd, accepting anything apd accepts (NaN, exponents).
func dec(tb testingT, s string) *apd.Decimal {
	tb.Helper()
	d, _, err := apd.NewFromString(s)
	if err != nil {
		tb.Fatalf("apd.NewFromString(%q): %v", s, err)
	}
	return d
}

// must fails the test on err.
func must(tb testingT, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// decimalEqual compares decimals by value, so "5" equals "5.000".
var decimalEqual = cmp.Comparer(func(a, b *apd.Decimal) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Cmp(b) == 0
})

// state is what a rejected operation must leave unchanged.
type state struct {
	Balances  map[string]Balance
	Histories map[string][]Entry // the newest page of each account
	Holds     map[string]string  // what each open hold holds
	Next      time.Time          // NextExpiry
	Sequence  uint64
	Events    uint64
}

func (f *fixture) state() state {
	s := state{
		Balances:  f.l.Balances(),
		Histories: map[string][]Entry{},
		Holds:     map[string]string{},
		Sequence:  f.l.LastSequence(),
		Events:    f.log.Len(),
	}
	for id := range s.Balances {
		s.Histories[id], _, _ = f.l.History(id, "", MaxHistoryLimit)
	}
	f.l.mu.RLock()
	for id, h := range f.l.holds {
		if h.state == holdOpen {
			s.Holds[id] = h.remaining.Text('f')
		}
	}
	f.l.mu.RUnlock()
	s.Next, _ = f.l.NextExpiry()
	return s
}

// assertUnchanged fails the test if the ledger's state differs from before.
func (f *fixture) assertUnchanged(tb testingT, before state) {
	tb.Helper()
	if diff := cmp.Diff(before, f.state(), decimalEqual); diff != "" {
		tb.Errorf("state changed (-want +got):\n%s", diff)
	}
}

// posted returns the posted balances of the given accounts as strings.
func (f *fixture) posted(tb testingT, ids ...string) map[string]string {
	tb.Helper()
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		b, err := f.l.Balance(id)
		if err != nil {
			tb.Fatalf("Balance(%q): %v", id, err)
		}
		out[id] = b.Posted.Text('f')
	}
	return out
}

// lastEvents returns the events published after the first n.
func (f *fixture) eventsAfter(n uint64) []events.Event {
	return f.log.Events(n + 1)
}

// standard builds the ledger most operation tests start from: alice (agent)
// with 100 minted as t0 and 30 held as h0, bob (agent) with nothing, esc
// (escrow) and op (operator).
func standard(tb testingT) *fixture {
	tb.Helper()
	f := newFixture(tb, Options{Correlation: "run-1"})
	ctx := context.Background()
	must(tb, f.l.Open(ctx, "alice", KindAgent))
	must(tb, f.l.Open(ctx, "bob", KindAgent))
	must(tb, f.l.Open(ctx, "esc", KindEscrow))
	must(tb, f.l.Open(ctx, "op", KindOperator))
	must(tb, f.l.Mint(ctx, "t0", "alice", dec(tb, "100"), "grant"))
	must(tb, f.l.Hold(ctx, "h0", "alice", dec(tb, "30")))
	return f
}
