package auction

import (
	"maps"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

// Bid is an agent's all-or-nothing offer for a bundle.
type Bid struct {
	// ID identifies the bid; a winning bid's bundle is booked under it.
	ID string
	// Agent is the bidding agent.
	Agent string
	// Bundle is what the agent wants. A zero Window.Start means "as soon as
	// cleared": the round fixes it to its clearing instant.
	Bundle bundle.Bundle
	// Limit is the most the agent will pay for the whole bundle (the
	// bid_placed event's total_cost).
	Limit *apd.Decimal
	// Seq is the arrival order; it breaks ties between equal limits, then
	// ID does.
	Seq uint64
}

// clone returns a deep copy of b, so that a result never shares memory with
// the round it came from.
func (b Bid) clone() Bid {
	b.Bundle = cloneBundle(b.Bundle)
	if b.Limit != nil {
		b.Limit = new(apd.Decimal).Set(b.Limit)
	}
	return b
}

func cloneBundle(b bundle.Bundle) bundle.Bundle {
	b.Quantities = maps.Clone(b.Quantities)
	return b
}

// cloner makes deep copies of bids, as Bid.clone does, taking their
// limits from one allocation.
type cloner struct {
	limits []apd.Decimal
}

// newCloner returns a cloner of n bids.
func newCloner(n int) *cloner { return &cloner{limits: make([]apd.Decimal, n)} }

// clone returns a deep copy of b.
func (c *cloner) clone(b Bid) Bid {
	c.cloneInto(&b, &b)
	return b
}

// cloneInto sets *dst to a deep copy of *b.
func (c *cloner) cloneInto(dst, b *Bid) {
	limit := b.Limit
	*dst = *b
	dst.Bundle.Quantities = maps.Clone(b.Bundle.Quantities)
	if limit != nil {
		dst.Limit = c.limits[0].Set(limit)
		c.limits = c.limits[1:]
	}
}
