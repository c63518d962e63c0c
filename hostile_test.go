package scarcity_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// TestOrderIDsAreEachAgentsOwn checks that an agent cannot squat, cancel or
// learn another agent's order ids: the same id is two orders.
func TestOrderIDsAreEachAgentsOwn(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 100)
	f.open(t, "mallory", 100)
	// mallory takes alice's next id first, and cancels it.
	if err := f.m.Bid(f.ctx, cpuBid("alice-1", "mallory", 1, "1")); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Cancel(f.ctx, "mallory", "alice-1"); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Bid(f.ctx, cpuBid("alice-1", "alice", 10, "30")); err != nil {
		t.Fatalf("alice's own id after mallory used it: %v", err)
	}
	// mallory can neither cancel alice's order nor tell it from none.
	err := f.m.Cancel(f.ctx, "mallory", "alice-1")
	if !errors.Is(err, scarcity.ErrUnknownOrder) || strings.Contains(err.Error(), "alice\"") {
		t.Fatalf("mallory cancels alice-1: %v, want ErrUnknownOrder naming only mallory", err)
	}
	// mallory's own alice-1 is spent in her namespace only.
	if err := f.m.Bid(f.ctx, cpuBid("alice-1", "mallory", 20, "30")); !errors.Is(err, scarcity.ErrDuplicateOrder) {
		t.Fatalf("mallory's alice-1 again: %v, want ErrDuplicateOrder", err)
	}
	if err := f.m.Bid(f.ctx, cpuBid("alice-2", "mallory", 20, "30")); err != nil {
		t.Fatal(err)
	}
	// Both in the book at once under one id: two orders.
	for _, a := range []string{"alice", "mallory"} {
		if err := f.m.Bid(f.ctx, cpuBid("same", a, 5, "10")); err != nil {
			t.Fatalf("%s's same: %v", a, err)
		}
	}
	f.tick(t, time.Minute)
	var won []string
	for _, e := range f.log.Events(0) {
		if a, ok := e.Data.(events.ResourcesAllocated); ok {
			won = append(won, a.AgentID+":"+a.OrderID)
		}
	}
	slices.Sort(won)
	if want := []string{"alice:alice-1", "alice:same", "mallory:alice-2", "mallory:same"}; !slices.Equal(won, want) {
		t.Fatalf("allocations %v, want %v", won, want)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

// TestTransferIDsAreEachAgentsOwn checks that a transfer id taken by another
// agent neither blocks nor reveals a transfer.
func TestTransferIDsAreEachAgentsOwn(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	for _, a := range []string{"bob", "carol", "mallory"} {
		f.open(t, a, 100)
	}
	if err := f.m.Transfer(f.ctx, "pay-1", "mallory", "carol", dec("0.01")); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Transfer(f.ctx, "pay-1", "bob", "carol", dec("7.25")); err != nil {
		t.Fatalf("bob's pay-1 after mallory squatted it: %v", err)
	}
	err := f.m.Transfer(f.ctx, "pay-1", "mallory", "carol", dec("1"))
	if !errors.Is(err, ledger.ErrExistsWithDifferentFields) {
		t.Fatalf("mallory reuses her pay-1: %v", err)
	}
	if strings.Contains(err.Error(), "bob") || strings.Contains(err.Error(), "7.25") {
		t.Fatalf("the error reveals bob's transfer: %v", err)
	}
	if got := f.balance(t, "carol"); got.Posted.Cmp(dec("107.26")) != 0 {
		t.Fatalf("carol has %s, want 107.26", got.Posted)
	}
}

// TestQuotas checks the per-agent limits: bids in the book, bids below the
// reserve cost, and bytes emitted per period.
func TestQuotas(t *testing.T) {
	f := newFixture(t, scarcity.Config{MaxBidsPerAgent: 2, EmitBytes: 1000, EmitPeriod: time.Minute})
	f.open(t, "mallory", 1000)
	f.open(t, "bob", 100)
	for i, id := range []string{"m1", "m2"} {
		if err := f.m.Bid(f.ctx, cpuBid(id, "mallory", 1, "1")); err != nil {
			t.Fatalf("bid %d: %v", i, err)
		}
	}
	if err := f.m.Bid(f.ctx, cpuBid("m3", "mallory", 1, "1")); !errors.Is(err, scarcity.ErrTooManyBids) {
		t.Fatalf("third bid: %v, want ErrTooManyBids", err)
	}
	if err := f.m.Bid(f.ctx, cpuBid("b1", "bob", 1, "1")); err != nil {
		t.Fatalf("bob's bid while mallory is at her limit: %v", err)
	}

	// 10 % of the CPU for 10 minutes costs 6 at the reserve of 0.001.
	var rej *scarcity.RejectedError
	err := f.m.Bid(f.ctx, cpuBid("b2", "bob", 10, "5.999999"))
	if !errors.As(err, &rej) || rej.Reason != events.ReasonBelowReserve {
		t.Fatalf("bid below the reserve cost: %v, want below_reserve", err)
	}
	if err := f.m.Bid(f.ctx, cpuBid("b3", "bob", 10, "6")); err != nil {
		t.Fatalf("bid at the reserve cost: %v", err)
	}

	trace := events.ReasoningTrace{Content: strings.Repeat("x", 300)}
	emitted := 0
	for ; emitted < 10; emitted++ {
		if err := f.m.Emit(f.ctx, "mallory", trace); err != nil {
			if !errors.Is(err, scarcity.ErrEmitQuota) {
				t.Fatalf("emit %d: %v", emitted, err)
			}
			break
		}
	}
	if emitted == 0 || emitted >= 4 {
		t.Fatalf("mallory emitted %d traces of ~330 bytes within 1000 bytes a minute", emitted)
	}
	if err := f.m.Emit(f.ctx, "bob", trace); err != nil {
		t.Fatalf("bob emits while mallory is over her quota: %v", err)
	}
	f.clk.Add(time.Minute)
	if err := f.m.Emit(f.ctx, "mallory", trace); err != nil {
		t.Fatalf("mallory emits a minute later: %v", err)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
	_ = apd.New
}
