package scarcity_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
	"pgregory.net/rapid"
)

var agentPool = []string{"a0", "a1", "a2", "a3", "a4"}

// marketMachine drives a market with random commands and checks the
// invariants after every step.
type marketMachine struct {
	f      *fixture
	placed []string // order ids placed, for cancels and retries
	next   int
}

func (mm *marketMachine) open(t *rapid.T) {
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	credits := rapid.Int64Range(0, 500).Draw(t, "credits")
	err := mm.f.m.Open(mm.f.ctx, agent, apd.New(credits, 0))
	if err != nil && !errors.Is(err, ledger.ErrAccountExists) && !errors.Is(err, ledger.ErrExistsWithDifferentFields) {
		t.Fatalf("Open(%s, %d): %v", agent, credits, err)
	}
}

func (mm *marketMachine) bid(t *rapid.T) {
	mm.next++
	id := fmt.Sprintf("o%d", mm.next)
	if len(mm.placed) > 0 && rapid.IntRange(0, 9).Draw(t, "reuse") == 0 {
		id = rapid.SampledFrom(mm.placed).Draw(t, "reused id")
	}
	q := bundle.Quantities{}
	for _, r := range testResources {
		if rapid.Bool().Draw(t, "wants "+r.Name) {
			q[r.Name] = rapid.Int64Range(1, r.Capacity*6/5).Draw(t, r.Name)
		}
	}
	w := bundle.Window{Duration: time.Duration(rapid.IntRange(1, 300).Draw(t, "seconds")) * time.Second}
	if rapid.Bool().Draw(t, "future") {
		w.Start = mm.f.clk.Now().Add(time.Duration(rapid.IntRange(-30, 600).Draw(t, "offset")) * time.Second)
	}
	limit := apd.New(rapid.Int64Range(-1, 200_000_000).Draw(t, "micro-credits"), -6)
	b := scarcity.Bid{ID: id, Agent: rapid.SampledFrom(agentPool).Draw(t, "agent"), Bundle: bundle.Bundle{Quantities: q, Window: w}, Limit: limit}
	err := mm.f.m.Bid(mm.f.ctx, b)
	switch {
	case err == nil:
		mm.placed = append(mm.placed, id)
	case errors.Is(err, scarcity.ErrBidRejected), errors.Is(err, scarcity.ErrUnknownAgent),
		errors.Is(err, scarcity.ErrDuplicateOrder), errors.Is(err, scarcity.ErrBookFull):
	default:
		t.Fatalf("Bid(%+v): %v", b, err)
	}
}

func (mm *marketMachine) cancel(t *rapid.T) {
	if len(mm.placed) == 0 {
		t.Skip("nothing placed")
	}
	id := rapid.SampledFrom(mm.placed).Draw(t, "order")
	err := mm.f.m.Cancel(mm.f.ctx, rapid.SampledFrom(agentPool).Draw(t, "agent"), id)
	if err != nil && !errors.Is(err, scarcity.ErrUnknownOrder) {
		t.Fatalf("Cancel(%s): %v", id, err)
	}
}

func (mm *marketMachine) mint(t *rapid.T) {
	mm.next++
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	err := mm.f.m.Mint(mm.f.ctx, fmt.Sprintf("reward-%d", mm.next), agent, apd.New(rapid.Int64Range(1, 1000).Draw(t, "cents"), -2), "reward")
	if err != nil && !errors.Is(err, scarcity.ErrUnknownAgent) {
		t.Fatalf("Mint: %v", err)
	}
}

// clear runs a round; afterwards no bid holds credits, since every bid
// leaves the book in the round that clears it (a winner's credits move to
// the lease hold that pays for its bundle).
func (mm *marketMachine) clear(t *rapid.T) {
	if _, err := mm.f.m.Clear(mm.f.ctx); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	for _, id := range mm.placed {
		if held, open := mm.f.m.Ledger().HoldAmount("bid/" + id); open {
			t.Fatalf("bid %s still holds %s after a round", id, held)
		}
	}
}

func (mm *marketMachine) advance(t *rapid.T) {
	mm.f.clk.Add(time.Duration(rapid.IntRange(1, 180).Draw(t, "seconds")) * time.Second)
	if err := mm.f.m.Tick(mm.f.ctx); err != nil {
		t.Fatalf("Tick: %v", err)
	}
}

func (mm *marketMachine) use(t *rapid.T) {
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	err := mm.f.m.Use(mm.f.ctx, agent, "tokens", rapid.Int64Range(1, 5000).Draw(t, "tokens"))
	if err != nil && !errors.Is(err, sched.ErrServiceDenied) {
		t.Fatalf("Use: %v", err)
	}
}

func (mm *marketMachine) report(t *rapid.T) {
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	err := mm.f.m.Report(mm.f.ctx, agent, "cpu", rapid.Int64Range(0, 100).Draw(t, "cpu"))
	if err != nil && !errors.Is(err, sched.ErrTerminated) {
		t.Fatalf("Report: %v", err)
	}
}

// check asserts the market's invariants.
func (mm *marketMachine) check(t *rapid.T) {
	l := mm.f.m.Ledger()
	if sum := l.Sum(); !sum.IsZero() {
		t.Fatalf("sum of balances = %s, want 0", sum)
	}
	for id, b := range l.Balances() {
		if b.Kind == ledger.KindMint {
			continue
		}
		if b.Posted.Sign() < 0 || b.Available.Sign() < 0 {
			t.Fatalf("account %s below zero: %+v", id, b)
		}
	}
	cal := mm.f.m.Scheduler().Snapshot()
	peak := cal.Peak(bundle.Window{Start: mm.f.clk.Now().Add(-time.Hour), Duration: 48 * time.Hour})
	for _, r := range testResources {
		if peak[r.Name] > r.Capacity {
			t.Fatalf("%s booked %d at some instant, capacity %d", r.Name, peak[r.Name], r.Capacity)
		}
	}
	if err := benchkit.Check(mm.f.log.Events(0)); err != nil {
		t.Fatalf("benchkit: %v", err)
	}
}

func TestMarketStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		settlement := rapid.SampledFrom([]scarcity.Settlement{scarcity.SettleToOperator, scarcity.SettleBurn}).Draw(t, "settlement")
		mm := &marketMachine{f: newFixture(t, scarcity.Config{MaxBids: 8, Settlement: settlement})}
		t.Repeat(map[string]func(*rapid.T){
			"open":    mm.open,
			"mint":    mm.mint,
			"bid":     mm.bid,
			"cancel":  mm.cancel,
			"clear":   mm.clear,
			"advance": mm.advance,
			"use":     mm.use,
			"report":  mm.report,
			"restore": mm.restore,
			"":        mm.check,
		})
	})
}

// simulate runs a seeded market of agents for a number of rounds and
// returns its fixture.
func simulate(tb testing.TB, seed uint64, rounds int) *fixture {
	tb.Helper()
	f := newFixture(tb, scarcity.Config{Correlation: fmt.Sprintf("sim-%d", seed)})
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, a := range agentPool {
		f.open(tb, a, int64(50+rng.IntN(200)))
	}
	for round := range rounds {
		for i, a := range agentPool {
			b := scarcity.Bid{
				ID: fmt.Sprintf("%s-%d", a, round), Agent: a, Limit: apd.New(int64(rng.IntN(30_000_000)+1), -6),
				Bundle: bundle.Bundle{
					Quantities: bundle.Quantities{"cpu": int64(1 + rng.IntN(60)), "tokens": int64(1 + rng.IntN(4000))},
					Window:     bundle.Window{Duration: time.Duration(30+rng.IntN(120)) * time.Second},
				},
			}
			if err := f.m.Bid(f.ctx, b); err != nil && !errors.Is(err, scarcity.ErrBidRejected) {
				tb.Fatalf("Bid: %v", err)
			}
			if err := f.m.Use(f.ctx, a, "tokens", int64(1+rng.IntN(1500))); err != nil && !errors.Is(err, sched.ErrServiceDenied) {
				tb.Fatalf("Use: %v", err)
			}
			if i == round%len(agentPool) && rng.IntN(4) == 0 {
				if err := f.m.Report(f.ctx, a, "cpu", int64(rng.IntN(70))); err != nil && !errors.Is(err, sched.ErrTerminated) {
					tb.Fatalf("Report: %v", err)
				}
			}
		}
		f.tick(tb, time.Minute)
	}
	return f
}

func TestReplayRebuildsLedger(t *testing.T) {
	f := simulate(t, 7, 30)
	replayed, err := ledger.Replay(ledger.Options{Correlation: "sim-7"}, f.log.Events(0))
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if diff := cmp.Diff(f.m.Ledger().Balances(), replayed.Balances(), cmp.Comparer(decEqual)); diff != "" {
		t.Errorf("replayed balances (-live +replayed):\n%s", diff)
	}
	if replayed.LastSequence() != f.m.Ledger().LastSequence() {
		t.Errorf("replayed sequence %d, live %d", replayed.LastSequence(), f.m.Ledger().LastSequence())
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func TestSameSeedSameEvents(t *testing.T) {
	encode := func(f *fixture) []byte {
		var buf bytes.Buffer
		for _, e := range f.log.Events(0) {
			b, err := events.Encode(e)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		return buf.Bytes()
	}
	a, b := encode(simulate(t, 42, 20)), encode(simulate(t, 42, 20))
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs with seed 42 differ (%d and %d bytes)", len(a), len(b))
	}
	if c := encode(simulate(t, 43, 20)); bytes.Equal(a, c) {
		t.Errorf("seeds 42 and 43 gave the same events")
	}
}
