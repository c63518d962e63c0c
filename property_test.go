package scarcity_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
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
	f            *fixture
	placed       []string // order ids placed, for cancels and retries
	transfers    []string // transfer ids used, for retries
	rewards      []string // reward ids used, for retries
	reservations []string // reservation ids made, for commits after their end
	snapshots    int      // snapshots taken
	next         int
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
	for _, id := range mm.f.m.Ledger().OpenHolds() {
		if strings.HasPrefix(id, "bid/") {
			t.Fatalf("bid hold %s still open after a round", id)
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
	mm.checkHolds(t)
	opts := invariant.ResourceOptions(testResources...)
	opts.Retention = mm.f.cfg.Retention
	if err := invariant.CheckWith(mm.f.log.Events(0), opts); err != nil {
		t.Fatalf("benchkit: %v", err)
	}
}

// checkHolds checks that every bid in the book is backed by its open hold
// of its limit, and every bundle that has not ended by its open lease.
func (mm *marketMachine) checkHolds(t *rapid.T) {
	l, s := mm.f.m.Ledger(), mm.f.m.Scheduler()
	account := make(map[string]string) // hold id -> account it holds
	for _, e := range mm.f.log.Events(0) {
		if p, ok := e.Data.(events.HoldPlaced); ok {
			account[p.HoldID] = p.AccountID
		}
	}
	open := make(map[string]string) // agent/order id -> open bid hold
	for _, id := range l.OpenHolds() {
		if rest, ok := strings.CutPrefix(id, "bid/"); ok {
			order := account[id] + "/" + rest[:strings.LastIndexByte(rest, '/')]
			if other, dup := open[order]; dup {
				t.Fatalf("order %s has two open bid holds: %s and %s", order, other, id)
			}
			open[order] = id
		}
	}
	for _, b := range mm.f.m.Orders() {
		hold := open[b.Agent+"/"+b.ID]
		held, ok := l.HoldAmount(hold)
		if !ok || held.Cmp(b.Limit) != 0 {
			t.Fatalf("bid %s of %s for %s is held by %q (%v, open %t)", b.ID, b.Agent, b.Limit, hold, held, ok)
		}
	}
	for _, a := range agentPool {
		for _, in := range s.Bundles(a) {
			if in.State != sched.Scheduled && in.State != sched.Active {
				continue
			}
			lease := "lease/" + strings.TrimPrefix(in.ID, "bundle/")
			if _, ok := l.HoldAmount(lease); !ok {
				t.Fatalf("bundle %s of %s is %s but its lease %s is not open", in.ID, a, in.State, lease)
			}
		}
	}
}

// transfer pays another agent, sometimes under a transfer id used before:
// within Retention a retry, after it a new transfer.
func (mm *marketMachine) transfer(t *rapid.T) {
	mm.next++
	id := fmt.Sprintf("x%d", mm.next)
	if len(mm.transfers) > 0 && rapid.Bool().Draw(t, "reuse transfer id") {
		id = rapid.SampledFrom(mm.transfers).Draw(t, "reused transfer id")
	}
	from, to := rapid.SampledFrom(agentPool).Draw(t, "from"), rapid.SampledFrom(agentPool).Draw(t, "to")
	amount := apd.New(rapid.Int64Range(1, 3000).Draw(t, "cents"), -2)
	err := mm.f.m.Transfer(mm.f.ctx, id, from, to, amount)
	switch {
	case err == nil:
		mm.transfers = append(mm.transfers, id)
	case errors.Is(err, scarcity.ErrUnknownAgent), errors.Is(err, ledger.ErrSameAccount),
		errors.Is(err, ledger.ErrInsufficientCredit), errors.Is(err, ledger.ErrExistsWithDifferentFields):
	default:
		t.Fatalf("Transfer(%s, %s→%s, %s): %v", id, from, to, amount, err)
	}
}

// reward gives a human's reward, sometimes under a reward id used before:
// within Retention a retry (or a conflict), after it a new reward.
func (mm *marketMachine) reward(t *rapid.T) {
	mm.next++
	id := fmt.Sprintf("w%d", mm.next)
	if len(mm.rewards) > 0 && rapid.Bool().Draw(t, "reuse reward id") {
		id = rapid.SampledFrom(mm.rewards).Draw(t, "reused reward id")
	}
	human := rapid.SampledFrom(rewardHumans).Draw(t, "human")
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	amount := apd.New(rapid.Int64Range(1, 3000).Draw(t, "cents"), -2)
	err := mm.f.m.Reward(mm.f.ctx, id, human, agent, amount, "well done")
	switch {
	case err == nil:
		mm.rewards = append(mm.rewards, id)
	case errors.Is(err, scarcity.ErrUnknownAgent), errors.Is(err, scarcity.ErrRewardBudget),
		errors.Is(err, ledger.ErrExistsWithDifferentFields):
	default:
		t.Fatalf("Reward(%s, %s→%s, %s): %v", id, human, agent, amount, err)
	}
}

// reserve sets tokens aside for a call of unknown cost.
func (mm *marketMachine) reserve(t *rapid.T) {
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	ttl := time.Duration(rapid.IntRange(1, 600).Draw(t, "ttl seconds")) * time.Second
	id, err := mm.f.m.Reserve(mm.f.ctx, agent, "tokens", rapid.Int64Range(1, 3000).Draw(t, "worst case"), ttl)
	switch {
	case err == nil:
		mm.reservations = append(mm.reservations, id)
	case errors.Is(err, sched.ErrServiceDenied), errors.Is(err, scarcity.ErrUnknownAgent):
	default:
		t.Fatalf("Reserve(%s): %v", agent, err)
	}
}

// commit commits a reservation, which may have ended since: lapsed, its
// bundle gone, committed or cancelled before. An ended one is refused and
// records nothing.
func (mm *marketMachine) commit(t *rapid.T) {
	if len(mm.reservations) == 0 {
		t.Skip("no reservation")
	}
	id := rapid.SampledFrom(mm.reservations).Draw(t, "reservation")
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	before := mm.f.log.Len()
	var err error
	if rapid.Bool().Draw(t, "cancel") {
		err = mm.f.m.CancelReservation(mm.f.ctx, agent, id)
	} else {
		err = mm.f.m.Commit(mm.f.ctx, agent, id, rapid.Int64Range(0, 3000).Draw(t, "actual"))
	}
	switch {
	case err == nil:
	case errors.Is(err, sched.ErrUnknownReservation), errors.Is(err, sched.ErrReservationLapsed), errors.Is(err, sched.ErrOverCommit):
		if n := mm.f.log.Len(); n != before {
			t.Fatalf("a refused commit of %s published %d events", id, n-before)
		}
	default:
		t.Fatalf("Commit(%s, %s): %v", agent, id, err)
	}
}

// release ends one of an agent's bundles early.
func (mm *marketMachine) release(t *rapid.T) {
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	bundles := mm.f.m.Scheduler().Bundles(agent)
	if len(bundles) == 0 {
		t.Skip("no bundle")
	}
	id := rapid.SampledFrom(bundles).Draw(t, "bundle").ID
	_, _, err := mm.f.m.Release(mm.f.ctx, rapid.SampledFrom(agentPool).Draw(t, "caller"), id)
	if err != nil && !errors.Is(err, scarcity.ErrUnknownBundle) && !errors.Is(err, sched.ErrWindowEnded) {
		t.Fatalf("Release(%s): %v", id, err)
	}
}

// views uses every query the market hands out: none may publish or change
// any state.
func (mm *marketMachine) views(t *rapid.T) {
	l, s := mm.f.m.Ledger(), mm.f.m.Scheduler()
	before, published := l.StateHash(), mm.f.log.Len()
	agent := rapid.SampledFrom(agentPool).Draw(t, "agent")
	_, _ = l.Balance(agent)
	_, _, _ = l.History(agent, "", 10)
	_, _ = l.Balances(), l.Totals()
	_, _ = l.NextExpiry()
	snap := s.Snapshot()
	snap.Cancel("anything") // a clone: changing it changes nothing
	_, _ = s.Active(agent), s.Bundles(agent)
	_ = s.Remaining(agent, "tokens")
	_ = s.Check(bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Duration: time.Second}})
	_, _ = s.Next()
	if after := l.StateHash(); after != before {
		t.Fatalf("queries changed the ledger: %s -> %s", before, after)
	}
	if n := mm.f.log.Len(); n != published {
		t.Fatalf("queries published %d events", n-published)
	}
}

// edgeWindow bids for a window at the limits of what events carry: one
// that fits is placed, one that does not is rejected with nothing held.
func (mm *marketMachine) edgeWindow(t *rapid.T) {
	mm.next++
	end := events.MaxTime.Truncate(time.Second).Add(time.Duration(rapid.IntRange(-2, 2).Draw(t, "end offset")) * time.Second)
	w := bundle.Window{Start: end.Add(-time.Minute), Duration: time.Minute}
	b := scarcity.Bid{ID: fmt.Sprintf("edge%d", mm.next), Agent: rapid.SampledFrom(agentPool).Draw(t, "agent"),
		Limit: apd.New(1, 0), Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: w}}
	err := mm.f.m.Bid(mm.f.ctx, b)
	var rej *scarcity.RejectedError
	switch {
	case err == nil:
		if w.End().After(events.MaxTime) {
			t.Fatalf("a window ending %v was placed", w.End())
		}
		mm.placed = append(mm.placed, b.ID)
	case errors.As(err, &rej), errors.Is(err, scarcity.ErrUnknownAgent), errors.Is(err, scarcity.ErrBookFull):
	default:
		t.Fatalf("Bid(%+v): %v", b, err)
	}
}

func TestMarketStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		settlement := rapid.SampledFrom([]scarcity.Settlement{scarcity.SettleToOperator, scarcity.SettleBurn}).Draw(t, "settlement")
		// Retention is off, or short enough for ids to be forgotten and
		// used again within a run.
		retention := time.Duration(rapid.SampledFrom([]int{0, 1, 30, 90, 300}).Draw(t, "retention seconds")) * time.Second
		cfg := scarcity.Config{MaxBids: 8, Settlement: settlement, Retention: retention,
			RewardBudget: "50", RewardPeriod: 5 * time.Minute}
		if rapid.Bool().Draw(t, "snapshots") { // taken by the machine, not by count: a run must be repeatable
			cfg.Snapshots, cfg.SnapshotEvery = events.NewMemorySnapshots(), -1
			cfg.KeepSnapshots = rapid.IntRange(1, 3).Draw(t, "snapshots kept")
		}
		mm := &marketMachine{f: newFixture(t, cfg)}
		t.Repeat(map[string]func(*rapid.T){
			"open":       mm.open,
			"mint":       mm.mint,
			"bid":        mm.bid,
			"cancel":     mm.cancel,
			"clear":      mm.clear,
			"advance":    mm.advance,
			"use":        mm.use,
			"report":     mm.report,
			"transfer":   mm.transfer,
			"reward":     mm.reward,
			"reserve":    mm.reserve,
			"commit":     mm.commit,
			"release":    mm.release,
			"views":      mm.views,
			"edgeWindow": mm.edgeWindow,
			"restore":    mm.restore,
			"snapshot":   mm.snapshot,
			"":           mm.check,
		})
	})
}

// simulate runs a seeded market of agents for a number of rounds and
// returns its fixture.
func simulate(tb testing.TB, seed uint64, rounds int) *fixture {
	tb.Helper()
	// The signing key is an input like the seed: same key, same events.
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(seed)}, ed25519.SeedSize))
	f := newFixture(tb, scarcity.Config{Correlation: fmt.Sprintf("sim-%d", seed), SigningKey: key})
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
	replayed, err := ledger.Restore(context.Background(), ledger.Options{Correlation: "sim-7"}, f.log.Events(0))
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
