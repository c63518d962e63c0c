package auction

import (
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Allocation is a winning bid: its bundle, with the window start fixed, is
// booked, and the agent pays Payment.
type Allocation struct {
	Bid     Bid
	Bundle  bundle.Bundle
	Payment *apd.Decimal
}

// Rejection is a losing bid and why it lost.
type Rejection struct {
	Bid    Bid
	Reason events.RejectReason
	Detail string
}

// Result is the outcome of clearing a round.
type Result struct {
	// Round is the round's number.
	Round uint64
	// Mechanism is the name of the mechanism that cleared it.
	Mechanism string
	// Allocations are the winners, in clearing order.
	Allocations []Allocation
	// Rejections are the losers, in bid order.
	Rejections []Rejection
	// Prices is the clearing price of every resource of the catalog, traded
	// or not, in credits per unit per second.
	Prices bundle.Prices
	// Volume is the quantity allocated per resource this round; every
	// resource of the catalog is present.
	Volume bundle.Quantities
	// Utilisation is booked/capacity per resource at the clearing instant,
	// after clearing, from 0 to 1, rounded down to UtilisationPlaces.
	Utilisation map[string]*apd.Decimal
	// Revenue is the sum of the payments.
	Revenue *apd.Decimal
	// Surplus is the sum over winners of limit less payment: the buyers'
	// surplus.
	Surplus *apd.Decimal
	// Welfare is the realised total surplus of the round: the winners'
	// limits less what the capacity they won costs at its sellers' asks
	// (the reserve prices, for the operator's capacity). Nil where the
	// mechanism does not compute it.
	Welfare *apd.Decimal
	// OptimalWelfare is the largest welfare any feasible allocation of the
	// round's bids reaches, where the mechanism computes it exactly; nil
	// where it does not, so that efficiency, Welfare / OptimalWelfare, is
	// only ever reported when it is known.
	OptimalWelfare *apd.Decimal
}
