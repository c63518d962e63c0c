package auction

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Greedy clears a round by admitting bids greedily by limit, and charges
// every winner at uniform per-resource prices that are a common multiple λ
// of the reserve prices. Its zero value is ready to use.
//
// The algorithm, for a round r:
//
//  1. Screen each bid, in bid order. Its window start, if zero, is fixed to
//     r.At. It is rejected with
//     [events.ReasonExpired] if its window starts before r.At;
//     [events.ReasonInvalidBundle] if [bundle.Bundle.Validate] fails for a
//     reason other than [bundle.ErrExceedsCapacity], or its limit is
//     missing, not positive, or beyond [MaxDigits];
//     [events.ReasonExceedsCapacity] if it asks for more of a resource than
//     the resource's capacity, so that it could never fit; and
//     [events.ReasonBelowReserve] if its limit is below its reserve cost
//     R = [bundle.Cost] of its bundle at r.Reserve.
//  2. Take the remaining candidates by limit descending, then Seq
//     ascending, then ID ascending. Book each into r.Calendar under its bid
//     ID if it fits the capacity left at every instant of its window: it
//     wins. Otherwise it is rejected with [events.ReasonOutbid].
//  3. Set λ = max(1, min(lowest Limit/R of the winners, highest Limit/R of
//     the outbid bids)), or λ = 1 if no bid was outbid; ratios are compared
//     exactly. The clearing price of resource x is λ × Reserve_x rounded
//     down to r.Scale places, computed exactly as Limit_m × Reserve_x / R_m
//     for the bid m that sets λ (or Reserve_x when λ = 1). Every resource of
//     the catalog gets a price, traded or not.
//  4. Each winner pays the cost of its bundle at the clearing prices, which
//     is exact: prices have r.Scale places, quantities and seconds are
//     integers. Since λ is at most every winner's Limit/R, no winner pays
//     more than its limit; since λ >= 1 and reserve prices have at most
//     r.Scale places, every winner pays at least its reserve cost.
//  5. Report the volume per resource, the utilisation per resource at r.At
//     after booking (rounded down to [UtilisationPlaces]), the revenue (the
//     sum of the payments) and the surplus (the sum of limit less payment).
//
// Allocations are reported in clearing order (step 2), rejections in bid
// order.
type Greedy struct{}

var _ Mechanism = Greedy{}

// Name returns "greedy".
func (Greedy) Name() string { return "greedy" }

// Clear clears r as the type's documentation describes, booking the winners
// into r.Calendar. It returns an error wrapping ErrInvalidRound, and books
// nothing, if r is malformed.
func (g Greedy) Clear(r Round) (Result, error) {
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	rejections := make([]*Rejection, len(r.Bids))
	candidates := make([]candidate, 0, len(r.Bids))
	for i, b := range r.Bids {
		c, rej := screen(r, i, b)
		if rej != nil {
			rejections[i] = rej
			continue
		}
		candidates = append(candidates, c)
	}
	winners, outbid, err := admit(r.Calendar, candidates)
	if err != nil {
		return Result{}, err
	}
	for _, o := range outbid {
		rejections[o.index] = o.rejection
	}
	prices, err := clearingPrices(r, winners, outbid)
	if err != nil {
		return Result{}, err
	}
	res := Result{Round: r.Number, Mechanism: g.Name(), Prices: prices}
	if err := settle(&res, r, winners); err != nil {
		return Result{}, err
	}
	for _, rej := range rejections {
		if rej != nil {
			res.Rejections = append(res.Rejections, *rej)
		}
	}
	return res, nil
}

// loser is a candidate that did not fit.
type loser struct {
	candidate
	rejection *Rejection
}

// admit books the candidates into cal in clearing order and returns the
// winners in that order and the outbid candidates.
func admit(cal *bundle.Calendar, cs []candidate) (winners []candidate, outbid []loser, err error) {
	slices.SortFunc(cs, clearingOrder)
	occ := newOccupancy(cal)
	for _, c := range cs {
		err := occ.shortfall(c.bundle)
		if err == nil {
			err = cal.Book(c.bid.ID, c.bundle)
		}
		switch {
		case err == nil:
			occ.booked(c.bundle)
			winners = append(winners, c)
		case errors.Is(err, bundle.ErrExceedsCapacity):
			outbid = append(outbid, loser{c, &Rejection{
				Bid: c.bid.clone(), Reason: events.ReasonOutbid, Detail: err.Error(),
			}})
		default:
			return nil, nil, fmt.Errorf("auction: booking bid %q: %w", c.bid.ID, err)
		}
	}
	return winners, outbid, nil
}

// clearingOrder sorts by limit descending, then Seq, then ID ascending.
func clearingOrder(a, b candidate) int {
	if c := b.bid.Limit.Cmp(a.bid.Limit); c != 0 {
		return c
	}
	if c := cmp.Compare(a.bid.Seq, b.bid.Seq); c != 0 {
		return c
	}
	return strings.Compare(a.bid.ID, b.bid.ID)
}

// clearingPrices returns λ × Reserve_x rounded down to r.Scale places for
// every resource x of the catalog.
func clearingPrices(r Round, winners []candidate, outbid []loser) (bundle.Prices, error) {
	m, err := priceSetter(winners, outbid)
	if err != nil {
		return nil, err
	}
	one := apd.New(1, 0)
	names := r.Calendar.Catalog().Names()
	prices := make(bundle.Prices, len(names))
	for _, name := range names {
		num, den := r.Reserve[name], one
		if m != nil {
			num, den = new(apd.Decimal), m.reserve
			if _, err := exact.Mul(num, m.bid.Limit, r.Reserve[name]); err != nil {
				return nil, fmt.Errorf("auction: price of %q: %w", name, err)
			}
		}
		p, err := quoFloor(num, den, r.Scale)
		if err != nil {
			return nil, fmt.Errorf("auction: price of %q: %w", name, err)
		}
		prices[name] = p
	}
	return prices, nil
}

// priceSetter returns the candidate m whose Limit/R is λ, or nil when λ is
// 1: no bid was outbid, or the ratio chosen is at most 1.
func priceSetter(winners []candidate, outbid []loser) (*candidate, error) {
	if len(outbid) == 0 {
		return nil, nil
	}
	m := &outbid[0].candidate
	for i := range outbid[1:] {
		less, err := ratioLess(m, &outbid[i+1].candidate)
		if err != nil {
			return nil, err
		}
		if less {
			m = &outbid[i+1].candidate
		}
	}
	for i := range winners {
		less, err := ratioLess(&winners[i], m)
		if err != nil {
			return nil, err
		}
		if less {
			m = &winners[i]
		}
	}
	if m.bid.Limit.Cmp(m.reserve) <= 0 {
		return nil, nil
	}
	return m, nil
}

// ratioLess reports whether a.Limit/a.R < b.Limit/b.R, exactly.
func ratioLess(a, b *candidate) (bool, error) {
	var x, y apd.Decimal
	if _, err := exact.Mul(&x, a.bid.Limit, b.reserve); err != nil {
		return false, fmt.Errorf("auction: comparing bids: %w", err)
	}
	if _, err := exact.Mul(&y, b.bid.Limit, a.reserve); err != nil {
		return false, fmt.Errorf("auction: comparing bids: %w", err)
	}
	return x.Cmp(&y) < 0, nil
}

// settle fills res with the winners' allocations and payments at
// res.Prices, and the round's volume, utilisation, revenue and surplus.
func settle(res *Result, r Round, winners []candidate) error {
	cat := r.Calendar.Catalog()
	res.Volume = make(bundle.Quantities)
	for _, name := range cat.Names() {
		res.Volume[name] = 0
	}
	res.Revenue, res.Surplus = new(apd.Decimal), new(apd.Decimal)
	for _, w := range winners {
		pay, err := bundle.Cost(exact, w.bundle, res.Prices)
		if err != nil {
			return fmt.Errorf("auction: payment of bid %q: %w", w.bid.ID, err)
		}
		var surplus apd.Decimal
		if err := chain(
			op(exact.Add, res.Revenue, res.Revenue, pay),
			op(exact.Sub, &surplus, w.bid.Limit, pay),
			op(exact.Add, res.Surplus, res.Surplus, &surplus),
		); err != nil {
			return err
		}
		for name, q := range w.bundle.Quantities {
			res.Volume[name] += q
		}
		res.Allocations = append(res.Allocations, Allocation{Bid: w.bid.clone(), Bundle: w.bundle, Payment: pay})
	}
	util, err := utilisation(r)
	res.Utilisation = util
	return err
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
