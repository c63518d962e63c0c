package auction

import (
	"slices"

	"github.com/cockroachdb/apd/v3"
)

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
		if _, err := exact.Sub(v, cs[i].bid.Limit, cs[i].reserveCost()); err != nil || v.Sign() <= 0 {
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
	_, _ = exact.Add(d, x, y)
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
