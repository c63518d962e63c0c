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
