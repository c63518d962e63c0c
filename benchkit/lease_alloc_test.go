package benchkit_test

import (
	"strings"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// allocateLeased publishes the market's allocation of an order paid by the
// lease hold leaseID, under the payment id payID.
func (b *streamBuilder) allocateLeased(agent string, amount, bid int64, leaseID, payID string) {
	b.publish(b.market, agent, events.ResourcesAllocated{
		OrderID: b.id("o"), AgentID: agent, BundleID: b.id("b"), Round: 1,
		Quantities: events.Quantities{"cpu": 10}, Window: events.Window{Start: b.now, DurationSeconds: 60},
		Amount: cents(amount), Bid: cents(bid), PaymentID: payID, LeaseID: leaseID,
	})
}

func TestCheckAllocationsPaidLeases(t *testing.T) {
	for _, tt := range []struct {
		name  string
		build func(b *streamBuilder)
		want  string // a fragment of the violation; "" for none
	}{
		{"running lease, no payment yet", func(b *streamBuilder) {
			h := b.hold("alice", 2000)
			b.allocateLeased("alice", 2000, 3000, h, "pay/x")
		}, ""},
		{"paid in full at expiry", func(b *streamBuilder) {
			h := b.hold("alice", 2000)
			b.allocateLeased("alice", 2000, 3000, h, b.capture(h, "market", 2000))
		}, ""},
		{"paid pro rata after an early release", func(b *streamBuilder) {
			h := b.hold("alice", 2000)
			b.allocateLeased("alice", 2000, 3000, h, b.capture(h, "market", 500))
		}, ""},
		{"released before it started", func(b *streamBuilder) {
			h := b.hold("alice", 2000)
			b.allocateLeased("alice", 2000, 3000, h, "pay/x")
			b.release(h)
		}, ""},
		{"lease missing", func(b *streamBuilder) {
			b.allocateLeased("alice", 2000, 3000, "h-none", "pay/x")
		}, "is not on the stream"},
		{"lease of another agent", func(b *streamBuilder) {
			h := b.hold("bob", 2000)
			b.allocateLeased("alice", 2000, 3000, h, "pay/x")
		}, "holds credits of"},
		{"lease of another amount", func(b *streamBuilder) {
			h := b.hold("alice", 1000)
			b.allocateLeased("alice", 2000, 3000, h, "pay/x")
		}, "for an amount of"},
		{"payment above the lease", func(b *streamBuilder) {
			h := b.hold("alice", 2000)
			pay := b.transfer("alice", "market", 2500)
			b.allocateLeased("alice", 2000, 3000, h, pay)
		}, "leased for"},
		{"payment from another agent", func(b *streamBuilder) {
			h := b.hold("alice", 2000)
			pay := b.transfer("bob", "market", 100)
			b.allocateLeased("alice", 2000, 3000, h, pay)
		}, "not from"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newLedger(t, "alice", "bob")
			b.mint("alice", 10_000)
			b.mint("bob", 10_000)
			tt.build(b)
			vs := found(t, benchkit.CheckAllocationsPaid(b.events()))
			switch {
			case tt.want == "" && len(vs) > 0:
				t.Errorf("violations %v, want none", vs)
			case tt.want != "" && (len(vs) != 1 || !strings.Contains(vs[0].Error(), tt.want)):
				t.Errorf("violations %v, want one about %q", vs, tt.want)
			}
		})
	}
}
