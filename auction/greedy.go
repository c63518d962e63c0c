package auction

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Greedy clears a round by admitting bids greedily, by limit (ByValue, the
// default) or by value density (ByDensity), and charges every winner by its
// Payment rule: at uniform per-resource prices (PayUniformPrice, the
// default), its limit (PayAsBid), or its critical value (PayCriticalValue).
// Its zero value is ready to use and is the greedy-by-limit, uniform-price
// mechanism described below.
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
//  2. Take the remaining candidates in the Order: by limit descending (or
//     density descending), then Seq ascending, then ID ascending. Book each
//     into r.Calendar under its bid ID if it fits the capacity left at
//     every instant of its window: it wins. Otherwise it is rejected with
//     [events.ReasonOutbid].
//  3. Set λ = max(1, min(lowest Limit/R of the winners, highest Limit/R of
//     the outbid bids)), or λ = 1 if no bid was outbid; ratios are compared
//     exactly. The clearing price of resource x is λ × Reserve_x rounded
//     down to r.Scale places, computed exactly as Limit_m × Reserve_x / R_m
//     for the bid m that sets λ (or Reserve_x when λ = 1). Every resource of
//     the catalog gets a price, traded or not; under PayAsBid and
//     PayCriticalValue it is the round's indicative price, not what winners
//     pay.
//  4. Each winner pays, by the Payment rule (see [PaymentRule]): the cost
//     of its bundle at the clearing prices; its limit, rounded down to
//     r.Scale places; or its critical value, rounded down to r.Scale places.
//     Every payment is at most the winner's limit and at least its reserve
//     cost R, which has at most r.Scale places.
//  5. Report the volume per resource, the utilisation per resource at r.At
//     after booking (rounded down to [UtilisationPlaces]), the revenue (the
//     sum of the payments), the surplus (the sum of limit less payment),
//     the welfare (the sum of limit less R) and, when at most
//     [MaxOptimalWelfareBids] bids pass screening, the optimal welfare
//     (see [Result]).
//
// Allocations are reported in clearing order (step 2), rejections in bid
// order.
type Greedy struct {
	// Order is the greedy rule; the zero value is ByValue.
	Order Priority
	// Payment is the payment rule; the zero value is PayUniformPrice.
	Payment PaymentRule
}

var _ Mechanism = Greedy{}

// Name returns "greedy" for the zero value, else "greedy/" followed by
// the Order and the Payment rule, such as "greedy/density/critical-value".
func (g Greedy) Name() string {
	if g == (Greedy{}) {
		return "greedy"
	}
	return "greedy/" + g.Order.String() + "/" + g.Payment.String()
}

// Validate reports whether g's Order and Payment are known. Errors wrap
// ErrInvalidMechanism.
func (g Greedy) Validate() error {
	if g.Order != ByValue && g.Order != ByDensity {
		return fmt.Errorf("%w: greedy order %v", ErrInvalidMechanism, g.Order)
	}
	if g.Payment < PayUniformPrice || g.Payment > PayCriticalValue {
		return fmt.Errorf("%w: greedy payment %v", ErrInvalidMechanism, g.Payment)
	}
	return nil
}

// Clear clears r as the type's documentation describes, booking the winners
// into r.Calendar. It returns an error wrapping ErrInvalidRound, and books
// nothing, if r is malformed, and one wrapping ErrInvalidMechanism if g is.
func (g Greedy) Clear(r Round) (Result, error) {
	if err := g.Validate(); err != nil {
		return Result{}, err
	}
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	verdicts, cs := screenAll(r)
	occ := newOccupancy(r.Calendar, cs)
	k := newRanking(g.Order, cs, occ.capacity)
	var optimal *apd.Decimal
	if len(cs) <= MaxOptimalWelfareBids {
		optimal = optimalWelfare(occ, cs)
	}
	order := k.order(cs)
	winners, outbid := g.admit(r, occ, order, verdicts)
	prices, err := clearingPrices(r, newRatios(k, winners, outbid), winners, outbid)
	if err != nil {
		return Result{}, err
	}
	payments, err := g.payments(r, k, order, winners, prices)
	if err != nil {
		return Result{}, err
	}
	res := Result{Round: r.Number, Mechanism: g.Name(), Prices: prices, OptimalWelfare: optimal}
	if err := conclude(&res, r, winners, payments, verdicts); err != nil {
		return Result{}, err
	}
	return res, nil
}

// admit admits the candidates in clearing order and records the verdict
// on each that does not fit. It returns the winners in clearing order and
// the outbid candidates; it books nothing.
func (g Greedy) admit(r Round, occ *occupancy, order []*candidate, verdicts []verdict) (winners, outbid []*candidate) {
	explain := newExplainer(occ, r.Calendar.Catalog().Names())
	var blocks []blockingOf
	winners, outbid = make([]*candidate, 0, len(order)), make([]*candidate, 0, len(order))
	for pos, c := range order {
		c.pos = int32(pos)
		if !occ.fits(c) {
			verdicts[c.index] = verdict{events.ReasonOutbid, explain.shortfall(c)}
			if g.Payment == PayCriticalValue {
				from := len(blocks)
				blocks = occ.blockings(c, blocks)
				c.blocks = blocks[from:len(blocks):len(blocks)]
			}
			outbid = append(outbid, c)
			continue
		}
		occ.add(c, 1)
		c.won = true
		winners = append(winners, c)
	}
	return winners, outbid
}

// clearingPrices returns λ × Reserve_x rounded down to r.Scale places for
// every resource x of the catalog, less ordering the candidates' Limit/R:
// λ is the least of the highest ratio among the outbid and the lowest
// among the winners, and 1 when that is at most 1 or none was outbid.
func clearingPrices(r Round, less ratioOrder, winners, outbid []*candidate) (bundle.Prices, error) {
	m, err := priceSetter(less, winners, outbid)
	if err != nil {
		return nil, err
	}
	one := apd.New(1, 0)
	names := r.Calendar.Catalog().Names()
	prices := make(bundle.Prices, len(names))
	for _, name := range names {
		num, den := r.Reserve[name], one
		if m != nil {
			num, den = new(apd.Decimal), m.reserveCost()
			if _, err := exact.Context.Mul(num, m.bid.Limit, r.Reserve[name]); err != nil {
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
func priceSetter(less ratioOrder, winners, outbid []*candidate) (*candidate, error) {
	if len(outbid) == 0 {
		return nil, nil
	}
	m := outbid[0]
	for _, c := range outbid[1:] {
		less, err := less(m, c)
		if err != nil {
			return nil, err
		}
		if less {
			m = c
		}
	}
	for _, c := range winners {
		less, err := less(c, m)
		if err != nil {
			return nil, err
		}
		if less {
			m = c
		}
	}
	if m.bid.Limit.Cmp(m.reserveCost()) <= 0 {
		return nil, nil
	}
	return m, nil
}

// ratioOrder reports whether a.Limit/a.R < b.Limit/b.R.
type ratioOrder func(a, b *candidate) (bool, error)

// newRatios returns the exact comparison of Limit/R ratios: on integers
// where every limit and reserve cost of winners and outbid fits 64 bits,
// else ratioLess.
func newRatios(k *ranking, winners, outbid []*candidate) ratioOrder {
	if !k.small || len(outbid) == 0 {
		return ratioLess
	}
	var exp int32
	for _, set := range [][]*candidate{winners, outbid} {
		for _, c := range set {
			if !c.cost.ok {
				return ratioLess
			}
			exp = min(exp, c.cost.exp)
		}
	}
	units := make([]uint64, len(winners)+len(outbid)) // by position in the clearing order
	for _, set := range [][]*candidate{winners, outbid} {
		for _, c := range set {
			u, ok := wordUnits(c.cost, exp)
			if !ok {
				return ratioLess
			}
			units[c.pos] = u
		}
	}
	return func(a, b *candidate) (bool, error) {
		xh, xl := bits.Mul64(a.rank.units, units[b.pos])
		yh, yl := bits.Mul64(b.rank.units, units[a.pos])
		return xh < yh || (xh == yh && xl < yl), nil
	}
}

// ratioLess reports whether a.Limit/a.R < b.Limit/b.R, exactly.
func ratioLess(a, b *candidate) (bool, error) {
	var x, y apd.Decimal
	if _, err := exact.Context.Mul(&x, a.bid.Limit, b.reserveCost()); err != nil {
		return false, fmt.Errorf("auction: comparing bids: %w", err)
	}
	if _, err := exact.Context.Mul(&y, b.bid.Limit, a.reserveCost()); err != nil {
		return false, fmt.Errorf("auction: comparing bids: %w", err)
	}
	return x.Cmp(&y) < 0, nil
}

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

// MaxOptimalWelfareBids is the most bids that may pass screening in a round
// for Greedy to compute its optimal welfare exactly, by a branch and bound
// over the feasible subsets of them (at most 2^MaxOptimalWelfareBids);
// beyond it Result.OptimalWelfare is nil.
const MaxOptimalWelfareBids = 16

// optimalWelfare returns the largest Σ (limit − R) over the subsets of cs
// that fit occ together, occ holding only what was booked before the
// round; occ is left as it was. Every candidate adds a non-negative amount,
// since screening rejects limits below R.
func optimalWelfare(occ *occupancy, cs []candidate) *apd.Decimal {
	s := search{occ: occ, best: new(apd.Decimal)}
	for i := range cs {
		v := new(apd.Decimal)
		if _, err := exact.Context.Sub(v, cs[i].bid.Limit, cs[i].reserveCost()); err != nil || v.Sign() <= 0 {
			continue
		}
		s.items = append(s.items, item{c: &cs[i], value: v})
	}
	slices.SortFunc(s.items, func(a, b item) int { return b.value.Cmp(a.value) })
	s.rest = make([]*apd.Decimal, len(s.items)+1)
	s.rest[len(s.items)] = new(apd.Decimal)
	for i := len(s.items) - 1; i >= 0; i-- {
		s.rest[i] = new(apd.Decimal)
		exactAdd(s.rest[i], s.rest[i+1], s.items[i].value)
	}
	s.walk(0, new(apd.Decimal))
	return s.best
}

// exactAdd sets d to x + y. Sums of bounded decimals are exact in the
// unlimited-precision exact context, so it cannot fail.
func exactAdd(d, x, y *apd.Decimal) {
	_, _ = exact.Context.Add(d, x, y)
}

// item is a candidate of the optimal-welfare search and its welfare.
type item struct {
	c     *candidate
	value *apd.Decimal
}

// search is a depth-first branch and bound over include/exclude decisions,
// items by welfare descending.
type search struct {
	occ   *occupancy
	items []item
	rest  []*apd.Decimal // rest[i]: the welfare of items[i:] together
	best  *apd.Decimal
}

// walk decides items[i:], having reached welfare got with the earlier ones.
func (s *search) walk(i int, got *apd.Decimal) {
	if got.Cmp(s.best) > 0 {
		s.best.Set(got)
	}
	if i == len(s.items) {
		return
	}
	var bound apd.Decimal
	if exactAdd(&bound, got, s.rest[i]); bound.Cmp(s.best) <= 0 {
		return
	}
	it := s.items[i]
	if s.occ.fits(it.c) {
		s.occ.add(it.c, 1)
		var with apd.Decimal
		exactAdd(&with, got, it.value)
		s.walk(i+1, &with)
		s.occ.add(it.c, -1)
	}
	s.walk(i+1, got)
}
