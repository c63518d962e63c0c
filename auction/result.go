package auction

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/internal/exact"

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
	// GreedyWelfare is the welfare of the Greedy allocation a mechanism
	// started from and improved on ([Improved], [Exact]): the better of
	// Greedy's by value and by density. Welfare − GreedyWelfare is what
	// the improvement gained in the round. Nil where the mechanism has no
	// such start.
	GreedyWelfare *apd.Decimal
}

// Summarize fills the figures of res that follow from its allocations and
// from the round's calendar after booking: Volume, Utilisation, Revenue,
// Surplus and Welfare (winners' limits less the cost of their bundles at
// the round's reserve prices). A mechanism written outside this package
// decides who wins, what each pays and the clearing prices, books the
// winners on r.Calendar, and calls Summarize for the rest, so that its
// result keeps the contract [Verify] checks.
func Summarize(r Round, res *Result) error {
	res.Volume = make(bundle.Quantities)
	for _, name := range r.Calendar.Catalog().Names() {
		res.Volume[name] = 0
	}
	res.Revenue, res.Surplus, res.Welfare = new(apd.Decimal), new(apd.Decimal), new(apd.Decimal)
	for _, a := range res.Allocations {
		if err := addAllocation(r, res, a); err != nil {
			return fmt.Errorf("auction: summary of bid %q: %w", a.Bid.ID, err)
		}
	}
	util, err := utilisation(r)
	res.Utilisation = util
	return err
}

// addAllocation adds a to the totals of res.
func addAllocation(r Round, res *Result, a Allocation) error {
	if a.Bid.Limit == nil || a.Payment == nil {
		return fmt.Errorf("%w: allocation without a limit or a payment", ErrInvalidResult)
	}
	cost, err := bundle.Cost(exact.Context, a.Bundle, r.Reserve)
	if err != nil {
		return err
	}
	var surplus, welfare apd.Decimal
	if err := chain(
		op(exact.Context.Add, res.Revenue, res.Revenue, a.Payment),
		op(exact.Context.Sub, &surplus, a.Bid.Limit, a.Payment),
		op(exact.Context.Add, res.Surplus, res.Surplus, &surplus),
		op(exact.Context.Sub, &welfare, a.Bid.Limit, cost),
		op(exact.Context.Add, res.Welfare, res.Welfare, &welfare),
	); err != nil {
		return err
	}
	for name, q := range a.Bundle.Quantities {
		res.Volume[name] += q
	}
	return nil
}

// summarize fills res's volume, utilisation, revenue, surplus and welfare.
func summarize(res *Result, r Round, winners []*candidate, payments []*apd.Decimal) error {
	names := r.Calendar.Catalog().Names()
	volume := make([]int64, len(names))
	for _, w := range winners {
		for _, q := range w.need {
			volume[q.res] += q.n
		}
	}
	res.Volume = make(bundle.Quantities, len(names))
	for i, name := range names {
		res.Volume[name] = volume[i]
	}
	if !narrowTotals(res, winners, payments) {
		if err := wideTotals(res, winners, payments); err != nil {
			return err
		}
	}
	util, err := utilisation(r)
	res.Utilisation = util
	return err
}

// wideTotals sets res's revenue, surplus and welfare on decimals.
func wideTotals(res *Result, winners []*candidate, payments []*apd.Decimal) error {
	res.Revenue, res.Surplus, res.Welfare = new(apd.Decimal), new(apd.Decimal), new(apd.Decimal)
	var surplus, value apd.Decimal
	for i, w := range winners {
		pay := payments[i]
		if err := chain(
			op(exact.Context.Add, res.Revenue, res.Revenue, pay),
			op(exact.Context.Sub, &surplus, w.bid.Limit, pay),
			op(exact.Context.Add, res.Surplus, res.Surplus, &surplus),
			op(exact.Context.Sub, &value, w.bid.Limit, w.reserveCost()),
			op(exact.Context.Add, res.Welfare, res.Welfare, &value),
		); err != nil {
			return err
		}
	}
	return nil
}

// narrowTotals sets res's revenue, surplus and welfare, exactly as
// wideTotals would, coefficient and exponent alike, on 64-bit integers,
// and reports whether every figure fits; if not, it sets nothing.
func narrowTotals(res *Result, winners []*candidate, payments []*apd.Decimal) bool {
	var limits, pays, reserves tally
	for i, w := range winners {
		limits.add(w.limit)
		pays.add(wordOf(payments[i]))
		reserves.add(w.cost)
	}
	surplus, ok1 := limits.less(pays)
	welfare, ok2 := limits.less(reserves)
	if !ok1 || !ok2 || pays.over {
		return false
	}
	res.Revenue, res.Surplus, res.Welfare = pays.decimal(), surplus.decimal(), welfare.decimal()
	return true
}

// utilisation returns booked/capacity per resource at r.At, rounded down to
// UtilisationPlaces.
func utilisation(r Round) (map[string]*apd.Decimal, error) {
	used := r.Calendar.UsedAt(r.At)
	resources := r.Calendar.Catalog().Resources()
	out := make(map[string]*apd.Decimal, len(resources))
	for _, res := range resources {
		u, err := quoFloor(apd.New(used[res.Name], 0), apd.New(res.Capacity, 0), UtilisationPlaces)
		if err != nil {
			return nil, fmt.Errorf("auction: utilisation of %q: %w", res.Name, err)
		}
		out[res.Name] = u
	}
	return out, nil
}
