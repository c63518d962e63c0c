package scarcity_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// TestReusedOrderIDIsHeld is the regression test of a bid whose id was
// reused after Retention: it must hold its credits again, so that a balance
// of 100 never carries 160 of bids.
func TestReusedOrderIDIsHeld(t *testing.T) {
	f := newFixture(t, scarcity.Config{Retention: time.Minute})
	f.open(t, "alice", 100)
	if err := f.m.Bid(f.ctx, cpuBid("x", "alice", 10, "80")); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Cancel(f.ctx, "alice", "x"); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute)
	if err := f.m.Bid(f.ctx, cpuBid("x", "alice", 10, "80")); err != nil {
		t.Fatalf("x again after Retention: %v", err)
	}
	if got := f.balance(t, "alice"); got.Available.Cmp(dec("20")) != 0 {
		t.Fatalf("alice available = %s after bidding 80 of 100, want 20", got.Available)
	}
	err := f.m.Bid(f.ctx, cpuBid("y", "alice", 10, "80"))
	if !errors.Is(err, scarcity.ErrBidRejected) {
		t.Fatalf("a second bid of 80 on 20 available: %v, want a rejection", err)
	}
	f.tick(t, time.Minute)
	benchkit.AssertInvariants(t, f.log.Events(0))
}

// TestReusedOrderIDKeepsRunningBundle re-bids the id of a bundle that still
// runs: the running bundle must keep its lease and be paid at its end.
func TestReusedOrderIDKeepsRunningBundle(t *testing.T) {
	f := newFixture(t, scarcity.Config{Retention: time.Minute})
	f.open(t, "alice", 100)
	if err := f.m.Bid(f.ctx, cpuBid("x", "alice", 10, "30")); err != nil {
		t.Fatal(err)
	}
	f.tick(t, time.Minute) // x wins a 10-minute bundle
	running := f.m.Scheduler().Active("alice")
	if len(running) != 1 {
		t.Fatalf("active = %v, want x's bundle", running)
	}
	f.tick(t, 2*time.Minute)
	if err := f.m.Bid(f.ctx, cpuBid("x", "alice", 10, "30")); err != nil {
		t.Fatalf("x again while its bundle runs: %v", err)
	}
	f.tick(t, time.Minute) // the new x wins too
	if got := f.m.Scheduler().Active("alice"); len(got) != 2 {
		t.Fatalf("active = %v, want both bundles of x", got)
	}
	f.tick(t, 10*time.Minute) // both end and are paid
	if n := f.m.Scheduler().Unsettled(); n != 0 {
		t.Fatalf("%d payments unsettled", n)
	}
	if got := f.balance(t, "alice"); got.Pending.Sign() != 0 {
		t.Fatalf("alice still holds %s after both bundles ended", got.Pending)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

// TestReusedOrderIDAfterBundleExpired re-uses the id of an expired bundle:
// Run must not stop on a duplicate bundle.
func TestReusedOrderIDAfterBundleExpired(t *testing.T) {
	f := newFixture(t, scarcity.Config{Retention: time.Minute})
	f.open(t, "alice", 100)
	bid := cpuBid("x", "alice", 10, "10")
	bid.Bundle.Window.Duration = time.Minute
	for round := range 3 {
		if err := f.m.Bid(f.ctx, bid); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		f.tick(t, time.Minute)
		f.tick(t, 2*time.Minute)
	}
	allocated := 0
	for _, e := range f.log.Events(0) {
		if e.Type == events.TypeResourcesAllocated {
			allocated++
		}
	}
	if allocated != 3 {
		t.Fatalf("%d allocations, want 3", allocated)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

// TestReusedOrderIDRestores checks that a market restored from a stream with
// reused order ids is the market that wrote it.
func TestReusedOrderIDRestores(t *testing.T) {
	f := newFixture(t, scarcity.Config{Retention: time.Minute})
	f.open(t, "alice", 100)
	for i := range 3 {
		if err := f.m.Bid(f.ctx, cpuBid("x", "alice", 10, "30")); err != nil {
			t.Fatalf("bid %d: %v", i, err)
		}
		if i < 2 {
			if err := f.m.Cancel(f.ctx, "alice", "x"); err != nil {
				t.Fatal(err)
			}
		}
		f.clk.Add(2 * time.Minute)
	}
	r, err := scarcity.Restore(f.ctx, f.cfg, f.log.Events(0))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Ledger().OpenHolds(), f.m.Ledger().OpenHolds(); len(got) != 1 || got[0] != want[0] {
		t.Fatalf("restored open holds %v, want %v", got, want)
	}
	// A fourth x, on both, places the same hold.
	bid := cpuBid("y", "alice", 10, "6")
	if err := f.m.Bid(f.ctx, bid); err != nil {
		t.Fatal(err)
	}
	if err := r.Bid(f.ctx, bid); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Ledger().StateHash(), f.m.Ledger().StateHash(); got != want {
		t.Fatalf("restored ledger %s, live %s", got, want)
	}
}

// TestWindowsBeyondEventTimes checks that a bid whose window reaches beyond
// what an event can carry is rejected as invalid, with nothing held.
func TestWindowsBeyondEventTimes(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 100)
	late := time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)
	for name, w := range map[string]bundle.Window{
		"starts after 9999": {Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Duration: time.Minute},
		"ends after 9999":   {Start: late, Duration: 2 * time.Hour},
		"huge duration":     {Duration: 1 << 62},
	} {
		b := cpuBid("w-"+strings.ReplaceAll(name, " ", "-"), "alice", 10, "1")
		b.Bundle.Window = w
		before := len(f.log.Events(0))
		err := f.m.Bid(f.ctx, b)
		var rej *scarcity.RejectedError
		if !errors.As(err, &rej) || rej.Reason != events.ReasonInvalidBundle {
			t.Errorf("%s: Bid = %v, want an invalid_bundle rejection", name, err)
		}
		for _, e := range f.log.Events(0)[before:] {
			if e.Type != events.TypeBidRejected {
				t.Errorf("%s: published %s", name, e.Type)
			}
		}
	}
	if got := f.balance(t, "alice"); got.Pending.Sign() != 0 {
		t.Errorf("alice holds %s", got.Pending)
	}
	var buf writeCounter
	if err := benchkit.WriteJSONL(&buf, f.log.Events(0)); err != nil {
		t.Fatalf("WriteJSONL: %v", err)
	}
}

type writeCounter int

func (w *writeCounter) Write(p []byte) (int, error) { *w += writeCounter(len(p)); return len(p), nil }

// TestCommitAfterBundleEnded checks that a reservation does not outlive the
// bundle it draws from: once the bundle ends, Commit is refused and no
// usage is recorded against the expired bundle.
func TestCommitAfterBundleEnded(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 100)
	b := scarcity.Bid{ID: "t", Agent: "alice", Limit: dec("10"), Bundle: bundle.Bundle{
		Quantities: bundle.Quantities{"tokens": 1000}, Window: bundle.Window{Duration: time.Minute}}}
	if err := f.m.Bid(f.ctx, b); err != nil {
		t.Fatal(err)
	}
	f.tick(t, time.Minute)
	id, err := f.m.Reserve(f.ctx, "alice", "tokens", 500, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.tick(t, 2*time.Minute) // the bundle expires; the reservation must end with it
	if err := f.m.Commit(f.ctx, "alice", id, 400); err == nil {
		t.Fatal("Commit after the bundle ended succeeded")
	}
	benchkit.AssertInvariants(t, f.log.Events(0))

	// Released early, too.
	b.ID = "t2"
	if err := f.m.Bid(f.ctx, b); err != nil {
		t.Fatal(err)
	}
	f.tick(t, time.Minute)
	id, err = f.m.Reserve(f.ctx, "alice", "tokens", 500, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	active := f.m.Scheduler().Active("alice")
	if _, _, err := f.m.Release(f.ctx, "alice", active[0]); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Commit(f.ctx, "alice", id, 400); err == nil {
		t.Fatal("Commit after the bundle was released succeeded")
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
	_ = apd.New
}
