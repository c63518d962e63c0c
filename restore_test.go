package scarcity_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// marketState is what a market shows of itself.
type marketState struct {
	MarketHash string // Market.StateHash: the whole state
	StateHash  string
	LastHash   string
	Balances   map[string]ledger.Balance
	Round      uint64
	Prices     bundle.Prices
	Reserve    bundle.Prices
	Next       time.Time
	Orders     []scarcity.Bid
	Active     map[string][]string
	Bundles    map[string]sched.Info
	Unsettled  int
	// Allowances is what each of rewardHumans may still give this period.
	Allowances map[string]string
}

// rewardHumans are the humans who give rewards in the tests.
var rewardHumans = []string{"h0", "h1"}

// capture returns f's market state; agents and order ids name what to
// look at.
func (f *fixture) capture(agents, orders []string) marketState {
	l := f.m.Ledger()
	st := marketState{MarketHash: f.m.StateHash(), StateHash: l.StateHash(), LastHash: l.LastHash(), Balances: l.Balances(), Round: f.m.Round(),
		Prices: f.m.Prices(), Reserve: f.m.ReservePrices(), Next: f.m.Next(), Orders: f.m.Orders(), Active: map[string][]string{},
		Bundles: map[string]sched.Info{}, Unsettled: f.m.Scheduler().Unsettled(), Allowances: map[string]string{}}
	for _, h := range rewardHumans {
		left, _ := f.m.RewardAllowance(h)
		st.Allowances[h] = left.Text('f')
	}
	for _, a := range agents {
		st.Active[a] = f.m.Scheduler().Active(a)
		for _, in := range f.m.Scheduler().Bundles(a) {
			if slices.Contains(orders, in.OrderID) {
				st.Bundles[in.ID] = in
			}
		}
	}
	return st
}

// restore replaces the machine's market with one restored from its stream,
// as after a crash, checks that nothing observable changed and that
// nothing was published, and goes on with it.
//
// A market that keeps snapshots is also reopened from its newest snapshot
// and the tail after it (Reopen): that market must equal both the live one
// and the one replayed from the whole stream, and the machine goes on with
// one of the two at random.
func (mm *marketMachine) restore(t *rapid.T) {
	before := mm.f.capture(agentPool, mm.placed)
	published := mm.f.log.Len()
	m, err := scarcity.Restore(mm.f.ctx, mm.f.cfg, mm.f.log.Events(0))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	mm.f.m = m
	if mm.f.cfg.Snapshots != nil {
		reopened, report, err := scarcity.Reopen(mm.f.ctx, mm.f.cfg)
		if err != nil {
			t.Fatalf("Reopen: %v", err)
		}
		if report.FullReplay() != (mm.snapshots == 0) || len(report.Rejected) > 0 {
			t.Fatalf("Reopen after %d snapshots: from %q, rejected %v", mm.snapshots, report.Snapshot.Name, report.Rejected)
		}
		full := mm.f.capture(agentPool, mm.placed)
		mm.f.m = reopened
		if diff := cmp.Diff(full, mm.f.capture(agentPool, mm.placed), cmp.Comparer(decEqual)); diff != "" {
			t.Fatalf("market from snapshot %q and %d events differs from the whole stream's (-full +snapshot):\n%s",
				report.Snapshot.Name, report.Events, diff)
		}
		if rapid.Bool().Draw(t, "go on with the replayed market") {
			mm.f.m = m
		}
	}
	if n := mm.f.log.Len(); n != published {
		t.Fatalf("Restore of a whole stream published %d events", n-published)
	}
	after := mm.f.capture(agentPool, mm.placed)
	if diff := cmp.Diff(before, after, cmp.Comparer(decEqual)); diff != "" {
		t.Fatalf("restored market differs (-before +after):\n%s", diff)
	}
}

// snapshot takes a snapshot of a market that keeps them: it holds the
// market's whole state as it is.
func (mm *marketMachine) snapshot(t *rapid.T) {
	if mm.f.cfg.Snapshots == nil {
		t.Skip("no snapshots")
	}
	info, err := mm.f.m.Snapshot(mm.f.ctx)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	mm.snapshots++
	if got := mm.f.m.StateHash(); got != info.StateHash {
		t.Fatalf("snapshot %s holds state %s, the market %s", info.Name, info.StateHash, got)
	}
	names, err := mm.f.cfg.Snapshots.ListSnapshots(mm.f.ctx, "")
	if err != nil || len(names) > mm.f.cfg.KeepSnapshots || names[len(names)-1] != info.Name {
		t.Fatalf("after snapshot %s the store holds %v (%v), at most %d", info.Name, names, err, mm.f.cfg.KeepSnapshots)
	}
}

// TestRestoreNeverHoldsHalfACommand cuts a market's stream after every one
// of its events, as a crash in the middle of a publish would: the market
// restored from each prefix is the market of the last whole group of it —
// the events of a group cut short are void — and its stream passes every
// check.
func TestRestoreNeverHoldsHalfACommand(t *testing.T) {
	live := newFixture(t, scarcity.Config{})
	live.open(t, "alice", 100)
	live.open(t, "bob", 100)
	for _, b := range []scarcity.Bid{cpuBid("a1", "alice", 10, "30"), cpuBid("b1", "bob", 95, "30")} {
		if err := live.m.Bid(live.ctx, b); err != nil && !errors.Is(err, scarcity.ErrBidRejected) {
			t.Fatal(err)
		}
	}
	live.tick(t, time.Minute)
	if err := live.m.Transfer(live.ctx, "t1", "alice", "bob", dec("5")); err != nil {
		t.Fatal(err)
	}
	live.tick(t, 10*time.Minute)
	evs := live.log.Events(0)
	// Before the first whole group the market never was: a restore makes
	// it anew.
	fresh := newFixture(t, scarcity.Config{})
	fresh.clk.Set(live.clk.Now())
	sealed := fresh.capture([]string{"alice", "bob"}, []string{"a1", "b1"})
	sealed.Next = time.Time{}
	sealed.MarketHash = "" // a market made anew at the restore is created then
	for n := 1; n <= len(evs); n++ {
		f := newFixture(t, scarcity.Config{})
		f.clk.Set(live.clk.Now())
		m, err := scarcity.Restore(f.ctx, f.cfg, evs[:n])
		if err != nil {
			t.Fatalf("Restore of the first %d events: %v", n, err)
		}
		f.m = m
		got := f.capture([]string{"alice", "bob"}, []string{"a1", "b1"})
		got.Next = time.Time{}
		if sealed.MarketHash == "" {
			got.MarketHash = ""
		}
		if evs[n-1].Seal {
			sealed = got
		} else if diff := cmp.Diff(sealed, got, cmp.Comparer(decEqual)); diff != "" {
			t.Fatalf("cut after event %d, inside a group: the restored market is not the last group's (-want +got):\n%s", n, diff)
		}
		benchkit.AssertInvariants(t, evs[:n])
	}
}

func TestRestoreRefusesABrokenStream(t *testing.T) {
	live := newFixture(t, scarcity.Config{})
	live.open(t, "alice", 100)
	if err := live.m.Bid(live.ctx, cpuBid("a1", "alice", 10, "30")); err != nil {
		t.Fatal(err)
	}
	live.tick(t, time.Minute)
	evs := live.log.Events(0)
	var broken []events.Event
	for _, e := range evs {
		if e.Type != events.TypeBidPlaced { // the market's first event is lost
			broken = append(broken, e)
		}
	}
	if _, err := scarcity.Restore(live.ctx, live.cfg, broken); !errors.Is(err, scarcity.ErrRestore) {
		t.Fatalf("Restore of a stream missing an event = %v, want ErrRestore", err)
	}
	tampered := append([]events.Event(nil), evs...)
	for i, e := range tampered {
		if m, ok := e.Data.(events.CreditsMinted); ok {
			m.Amount = events.DecimalOf(apd.New(1000, 0))
			tampered[i].Data = m
		}
	}
	var ce *events.ChainError
	if _, err := scarcity.Restore(live.ctx, live.cfg, tampered); !errors.Is(err, scarcity.ErrRestore) || !errors.As(err, &ce) {
		t.Errorf("Restore of a tampered ledger = %v, want ErrRestore naming the event", err)
	}
}
