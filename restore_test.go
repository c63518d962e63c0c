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
	StateHash string
	LastHash  string
	Balances  map[string]ledger.Balance
	Round     uint64
	Prices    bundle.Prices
	Reserve   bundle.Prices
	Next      time.Time
	Orders    []scarcity.Bid
	Active    map[string][]string
	Bundles   map[string]sched.Info
	Unsettled int
}

// capture returns f's market state; agents and order ids name what to
// look at.
func (f *fixture) capture(agents, orders []string) marketState {
	l := f.m.Ledger()
	st := marketState{StateHash: l.StateHash(), LastHash: l.LastHash(), Balances: l.Balances(), Round: f.m.Round(),
		Prices: f.m.Prices(), Reserve: f.m.ReservePrices(), Next: f.m.Next(), Orders: f.m.Orders(), Active: map[string][]string{},
		Bundles: map[string]sched.Info{}, Unsettled: f.m.Scheduler().Unsettled()}
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
func (mm *marketMachine) restore(t *rapid.T) {
	before := mm.f.capture(agentPool, mm.placed)
	published := mm.f.log.Len()
	m, err := scarcity.Restore(mm.f.ctx, mm.f.cfg, mm.f.log.Events(0))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	mm.f.m = m
	if n := mm.f.log.Len(); n != published {
		t.Fatalf("Restore of a whole stream published %d events", n-published)
	}
	after := mm.f.capture(agentPool, mm.placed)
	if diff := cmp.Diff(before, after, cmp.Comparer(decEqual)); diff != "" {
		t.Fatalf("restored market differs (-before +after):\n%s", diff)
	}
}

// cut returns the events of evs up to and including the first event
// matching stop and the rest of its batch: the stream as a crash just after
// that publish left it. (A crash part-way through a batch leaves a void
// batch: see events.Complete.)
func cut(evs []events.Event, stop func(events.Event) bool) []events.Event {
	for i, e := range evs {
		if !stop(e) {
			continue
		}
		for i+1 < len(evs) && evs[i+1].Source == e.Source && evs[i+1].Sequence <= e.BatchLast {
			i++
		}
		return evs[:i+1]
	}
	return evs
}

func TestRestoreCompletesWhatACrashCutShort(t *testing.T) {
	for _, tt := range []struct {
		name  string
		crash func(events.Event) bool // the last event before the crash
		check func(t *testing.T, f *fixture)
	}{
		{"after a bid's hold", func(e events.Event) bool {
			return e.Type == events.TypeHoldPlaced && e.Subject == "alice"
		}, func(t *testing.T, f *fixture) {
			if b := f.balance(t, "alice"); !b.Pending.IsZero() || len(f.m.Orders()) != 0 {
				t.Errorf("the orphan hold was not released: %+v, orders %v", b, f.m.Orders())
			}
		}},
		{"after the bid's hold became a lease", func(e events.Event) bool {
			h, ok := e.Data.(events.HoldPlaced)
			return ok && h.HoldID == "lease/a1/1"
		}, func(t *testing.T, f *fixture) {
			if b := f.balance(t, "alice"); !b.Pending.IsZero() || len(f.m.Orders()) != 0 {
				t.Errorf("the lease of an unscheduled bundle was not returned: %+v", b)
			}
		}},
		{"after the bundle was scheduled", func(e events.Event) bool {
			return e.Type == events.TypeBundleScheduled
		}, func(t *testing.T, f *fixture) {
			var allocated bool
			for _, e := range f.log.Events(0) {
				allocated = allocated || e.Type == events.TypeResourcesAllocated
			}
			if !allocated || len(f.m.Scheduler().Active("alice")) != 1 {
				t.Errorf("the allocation was not completed: published %v, active %v", allocated, f.m.Scheduler().Active("alice"))
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			live := newFixture(t, scarcity.Config{})
			live.open(t, "alice", 100)
			if err := live.m.Bid(live.ctx, cpuBid("a1", "alice", 10, "30")); err != nil {
				t.Fatal(err)
			}
			live.tick(t, time.Minute)

			// A new market on a stream that stops at the crash.
			f := newFixture(t, scarcity.Config{})
			f.clk.Set(live.clk.Now())
			if err := f.log.Publish(f.ctx, cut(live.log.Events(0), tt.crash)...); err != nil {
				t.Fatal(err)
			}
			m, err := scarcity.Restore(f.ctx, f.cfg, f.log.Events(0))
			if err != nil && !sched.Aftermath(err) {
				t.Fatalf("Restore: %v", err)
			}
			f.m = m
			tt.check(t, f)
			if sum := m.Ledger().Sum(); !sum.IsZero() {
				t.Errorf("credits not conserved: sum %s", sum)
			}
			f.tick(t, 20*time.Minute) // the market goes on
			benchkit.AssertInvariants(t, f.log.Events(0))
		})
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
	if _, err := scarcity.Restore(live.ctx, live.cfg, tampered); !errors.Is(err, ledger.ErrReplayMismatch) {
		t.Errorf("Restore of a tampered ledger = %v, want ledger.ErrReplayMismatch", err)
	}
}
