package scarcity_test

import (
	"errors"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity"
)

// TestRetentionFreesOrderIDs checks that with a Retention an order id is a
// duplicate while it is remembered, and may be used again once the market
// has forgotten it, whatever the ledger still remembers.
func TestRetentionFreesOrderIDs(t *testing.T) {
	f := newFixture(t, scarcity.Config{Retention: time.Hour})
	f.open(t, "alice", 100)
	f.open(t, "bob", 100)
	if err := f.m.Bid(f.ctx, cpuBid("o1", "alice", 10, "30")); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Cancel(f.ctx, "alice", "o1"); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(30 * time.Minute)
	if err := f.m.Bid(f.ctx, cpuBid("o1", "alice", 10, "30")); !errors.Is(err, scarcity.ErrDuplicateOrder) {
		t.Fatalf("o1 again within Retention: %v, want ErrDuplicateOrder", err)
	}
	f.clk.Add(31 * time.Minute)
	if err := f.m.Bid(f.ctx, cpuBid("o1", "alice", 10, "30")); err != nil {
		t.Fatalf("o1 again after Retention: %v, want a new bid", err)
	}
	if got := f.m.Orders(); len(got) != 1 {
		t.Fatalf("orders %v, want o1", got)
	}
}
