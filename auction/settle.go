package auction

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

// conclude fills res with Greedy's allocations, in clearing order, and
// rejections, in bid order, books the winners into r.Calendar, and fills
// the round's volume, utilisation, revenue, surplus and welfare. It copies
// the bids, and books them, in bid order: the order in which their
// quantities and limits most likely lie in memory.
func conclude(res *Result, r Round, winners []*candidate, payments []*apd.Decimal, verdicts []verdict) error {
	ids, bundles := report(res, r, winners, payments, verdicts)
	if err := r.Calendar.BookAll(ids, bundles); err != nil {
		return fmt.Errorf("auction: booking the winners: %w", err)
	}
	return summarize(res, r, winners, payments)
}

// report fills res.Allocations and res.Rejections with copies of the bids,
// and returns the winners' IDs and bundles in bid order, the bundles
// sharing the allocations' quantities.
func report(res *Result, r Round, winners []*candidate, payments []*apd.Decimal, verdicts []verdict) ([]string, []bundle.Bundle) {
	place := make([]int32, len(r.Bids)) // 1 + the position of a winner
	for p, w := range winners {
		place[w.index] = int32(p + 1)
	}
	res.Allocations = make([]Allocation, len(winners))
	if n := countRejected(verdicts); n > 0 {
		res.Rejections = make([]Rejection, n)
	}
	ids, bundles := make([]string, 0, len(winners)), make([]bundle.Bundle, 0, len(winners))
	cl, n := newCloner(len(r.Bids)), 0
	for i := range r.Bids {
		if p := place[i] - 1; p >= 0 {
			a := &res.Allocations[p]
			cl.cloneInto(&a.Bid, &r.Bids[i])
			a.Bundle = bundle.Bundle{Quantities: a.Bid.Bundle.Quantities, Window: a.Bid.Bundle.Window.At(r.At)}
			a.Payment = payments[p]
			ids, bundles = append(ids, a.Bid.ID), append(bundles, a.Bundle)
		} else if v := verdicts[i]; v.reason != "" {
			rej := &res.Rejections[n]
			cl.cloneInto(&rej.Bid, &r.Bids[i])
			rej.Reason, rej.Detail = v.reason, v.detail
			n++
		}
	}
	return ids, bundles
}

// countRejected returns the number of bids with a verdict.
func countRejected(verdicts []verdict) int {
	n := 0
	for _, v := range verdicts {
		if v.reason != "" {
			n++
		}
	}
	return n
}

// settle fills res with the winners' allocations and payments, and the
// round's volume, utilisation, revenue, surplus and welfare; the winners
// are already booked.
func settle(res *Result, r Round, winners []*candidate, payments []*apd.Decimal) error {
	res.Allocations = make([]Allocation, 0, len(winners))
	cl := newCloner(len(winners))
	for i, w := range winners {
		bid := cl.clone(*w.bid)
		b := w.bundle
		b.Quantities = bid.Bundle.Quantities // the result's own copy, shared within the allocation
		res.Allocations = append(res.Allocations, Allocation{Bid: bid, Bundle: b, Payment: payments[i]})
	}
	return summarize(res, r, winners, payments)
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
			op(exact.Add, res.Revenue, res.Revenue, pay),
			op(exact.Sub, &surplus, w.bid.Limit, pay),
			op(exact.Add, res.Surplus, res.Surplus, &surplus),
			op(exact.Sub, &value, w.bid.Limit, w.reserveCost()),
			op(exact.Add, res.Welfare, res.Welfare, &value),
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
