package invariant_test

import (
	"strings"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// allocateLeased publishes the market's allocation of an order paid by the
// lease hold leaseID, under the payment id payID.
func allocateLeased(b *streamtest.Builder, agent string, amount, bid int64, leaseID, payID string) {
	b.Publish(b.Market, agent, events.ResourcesAllocated{
		OrderID: b.ID("o"), AgentID: agent, BundleID: b.ID("b"), Round: 1,
		Quantities: events.Quantities{"cpu": 10}, Window: events.Window{Start: b.Now, DurationSeconds: 60},
		Amount: streamtest.Cents(amount), Bid: streamtest.Cents(bid), PaymentID: payID, LeaseID: leaseID,
	})
}

func TestCheckAllocationsPaidLeases(t *testing.T) {
	for _, tt := range []struct {
		name  string
		build func(b *streamtest.Builder)
		want  string // a fragment of the violation; "" for none
	}{
		{"running lease, no payment yet", func(b *streamtest.Builder) {
			h := b.Hold("alice", 2000)
			allocateLeased(b, "alice", 2000, 3000, h, "pay/x")
		}, ""},
		{"paid in full at expiry", func(b *streamtest.Builder) {
			h := b.Hold("alice", 2000)
			allocateLeased(b, "alice", 2000, 3000, h, b.Capture(h, "market", 2000))
		}, ""},
		{"paid pro rata after an early release", func(b *streamtest.Builder) {
			h := b.Hold("alice", 2000)
			allocateLeased(b, "alice", 2000, 3000, h, b.Capture(h, "market", 500))
		}, ""},
		{"released before it started", func(b *streamtest.Builder) {
			h := b.Hold("alice", 2000)
			allocateLeased(b, "alice", 2000, 3000, h, "pay/x")
			b.Release(h)
		}, ""},
		{"lease missing", func(b *streamtest.Builder) {
			allocateLeased(b, "alice", 2000, 3000, "h-none", "pay/x")
		}, "is not on the stream"},
		{"lease of another agent", func(b *streamtest.Builder) {
			h := b.Hold("bob", 2000)
			allocateLeased(b, "alice", 2000, 3000, h, "pay/x")
		}, "holds credits of"},
		{"lease of another amount", func(b *streamtest.Builder) {
			h := b.Hold("alice", 1000)
			allocateLeased(b, "alice", 2000, 3000, h, "pay/x")
		}, "for an amount of"},
		{"payment above the lease", func(b *streamtest.Builder) {
			h := b.Hold("alice", 2000)
			pay := b.Transfer("alice", "market", 2500)
			allocateLeased(b, "alice", 2000, 3000, h, pay)
		}, "leased for"},
		{"payment from another agent", func(b *streamtest.Builder) {
			h := b.Hold("alice", 2000)
			pay := b.Transfer("bob", "market", 100)
			allocateLeased(b, "alice", 2000, 3000, h, pay)
		}, "not from"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := streamtest.NewLedger(t, "alice", "bob")
			b.Mint("alice", 10_000)
			b.Mint("bob", 10_000)
			tt.build(b)
			vs := found(t, invariant.CheckAllocationsPaid(b.Events()))
			switch {
			case tt.want == "" && len(vs) > 0:
				t.Errorf("violations %v, want none", vs)
			case tt.want != "" && (len(vs) != 1 || !strings.Contains(vs[0].Error(), tt.want)):
				t.Errorf("violations %v, want one about %q", vs, tt.want)
			}
		})
	}
}
