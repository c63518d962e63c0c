package auction

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

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
	cost, err := bundle.Cost(exact, a.Bundle, r.Reserve)
	if err != nil {
		return err
	}
	var surplus, welfare apd.Decimal
	if err := chain(
		op(exact.Add, res.Revenue, res.Revenue, a.Payment),
		op(exact.Sub, &surplus, a.Bid.Limit, a.Payment),
		op(exact.Add, res.Surplus, res.Surplus, &surplus),
		op(exact.Sub, &welfare, a.Bid.Limit, cost),
		op(exact.Add, res.Welfare, res.Welfare, &welfare),
	); err != nil {
		return err
	}
	for name, q := range a.Bundle.Quantities {
		res.Volume[name] += q
	}
	return nil
}
