package auction

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// maxSearchUnits bounds the sum of a round's values, in units, for
// Exact's search on 64-bit integers: every partial sum and bound then
// fits.
const maxSearchUnits = 1 << 62

// solver is Exact's branch and bound over the candidates of one round, on
// their values as integers: value = limit − R, in units of 10^exp.
type solver struct {
	occ      *occupancy
	items    []searchItem // every candidate, by value descending, then Seq, then ID
	search   int          // items[:search] have a positive value; the others are never branched on
	exp      int32
	maxNodes int       // the budget of every search together
	byRes    [][]slot  // per resource, the positive items that need it, by value per unit descending
	starts   []int     // the cells where a positive item's window starts, ascending
	lag      *lagrange // the Lagrangian relaxation of the capacity at those cells
	priced   bool      // lag was built
	total    int       // nodes visited over every search
	near     []slot    // scratch: the open slots of one resource
	tight    [2]int    // the resource and cell of the last least bound; -1 for none
	lists    [][]int32 // scratch: the open items of the node at each depth

	// The state of one search.
	path, bestSet []bool   // by item: the current branch, the incumbent
	open          []bool   // by item, at the current node: undecided, not left out, and fits
	best          uint64   // the incumbent's value
	rivals        []int    // VCG's search: the winners w, by item
	rivalBest     []uint64 // VCG's search: the best value found without each rival, OPT(−w)'s incumbent
	ceiling       uint64   // a value no allocation exceeds: the search stops on reaching it
	nodes, budget int
	cut           bool   // the budget ran out
	root          uint64 // the winner determination's root bound: no allocation's value exceeds it
}

// searchItem is a candidate and its value in units.
type searchItem struct {
	c  *candidate
	v  uint64
	at int // the candidate's index in the round's candidates
}

// slot is an item's need of one resource, with the run of cells of its
// window.
type slot struct {
	item   int32
	lo, hi int32
	q      int64
	v      uint64 // the item's value
}

// newSolver returns a solver of cs over occ, or false if their values do
// not fit 64-bit units summing below maxSearchUnits.
func newSolver(occ *occupancy, cs []candidate, maxNodes int) (*solver, bool) {
	values := make([]apd.Decimal, len(cs))
	var exp int32
	for i := range cs {
		if _, err := exact.Context.Sub(&values[i], cs[i].bid.Limit, cs[i].reserveCost()); err != nil {
			return nil, false
		}
		exp = min(exp, values[i].Exponent)
	}
	s := &solver{occ: occ, items: make([]searchItem, len(cs)), exp: exp, maxNodes: maxNodes, tight: [2]int{-1, -1}}
	var sum uint64
	for i := range cs {
		u, ok := decimalUnits(&values[i], exp)
		if !ok || values[i].Negative || u >= maxSearchUnits-sum {
			return nil, false
		}
		sum += u
		s.items[i] = searchItem{c: &cs[i], v: u, at: i}
	}
	slices.SortFunc(s.items, func(a, b searchItem) int {
		if c := cmp.Compare(b.v, a.v); c != 0 {
			return c
		}
		return tieBreak(a.c, b.c)
	})
	for s.search < len(s.items) && s.items[s.search].v > 0 {
		s.search++
	}
	s.index()
	s.lag = &lagrange{red: make([]int64, s.search)} // off until probe builds it
	n := len(s.items)
	s.path, s.bestSet, s.open = make([]bool, n), make([]bool, n), make([]bool, n)
	s.lists = make([][]int32, s.search+2) // by depth, and the root's parent last
	for d := range s.lists {
		s.lists[d] = make([]int32, 0, s.search)
	}
	return s, true
}

// index fills byRes and starts.
func (s *solver) index() {
	s.byRes = make([][]slot, len(s.occ.capacity))
	seen := make(map[int]bool)
	for i := range s.items[:s.search] {
		c := s.items[i].c
		for _, q := range c.need {
			s.byRes[q.res] = append(s.byRes[q.res], slot{item: int32(i), q: q.n, lo: int32(c.lo), hi: int32(c.hi), v: s.items[i].v})
		}
		if !seen[c.lo] {
			seen[c.lo] = true
			s.starts = append(s.starts, c.lo)
		}
	}
	slices.Sort(s.starts)
	for _, slots := range s.byRes {
		slices.SortFunc(slots, func(a, b slot) int {
			// a.v / a.q against b.v / b.q, on 128-bit products.
			xh, xl := bits.Mul64(s.items[a.item].v, uint64(b.q))
			yh, yl := bits.Mul64(s.items[b.item].v, uint64(a.q))
			if xh != yh {
				return cmp.Compare(yh, xh)
			}
			if xl != yl {
				return cmp.Compare(yl, xl)
			}
			return cmp.Compare(a.item, b.item)
		})
	}
}

// solve returns the best allocation, by item, whether it is proven
// optimal, and a value, in units, that no allocation exceeds: the optimum
// if proven, else the root node's bound; starting from the incumbent seed,
// by candidate index.
func (s *solver) solve(seed []bool) ([]bool, bool, uint64) {
	set := make([]bool, len(s.items))
	var value uint64
	for i, it := range s.items {
		if seed[it.at] {
			set[i] = true
			value += it.v
		}
	}
	s.root = math.MaxUint64
	s.best = value
	copy(s.bestSet, set)
	s.probe(s.maxNodes, math.MaxUint64, func() uint64 { return s.best })
	bound := s.best
	if s.cut {
		// The search was cut below the root, which it therefore visited
		// without pruning: s.root is its bound, above s.best.
		bound = max(s.root, s.best)
	}
	return slices.Clone(s.bestSet), !s.cut, bound
}

// probe runs a search of at most budget nodes, as run does, after tuning
// the Lagrangian multipliers toward the incumbent value target returns.
// Until the relaxation is built, it first searches on at most
// lagrangeProbe nodes without it, and builds it, tunes it and searches
// again, on what is left of the budget, only if that search did not
// finish: most small rounds finish within the probe and would spend more
// on the relaxation than it saves.
// The second search keeps the incumbents the first found, which are
// values of allocations; it finds the allocation one search would, since
// the first optimal allocation in the search's order is never pruned
// before an optimal allocation is found, whatever the bounds.
func (s *solver) probe(budget int, ceiling uint64, target func() uint64) {
	if !s.priced {
		if budget > lagrangeProbe {
			s.run(lagrangeProbe, ceiling)
			if !s.cut {
				return
			}
			budget -= s.nodes
		}
		s.lag, s.priced = newLagrange(s), true
	}
	s.lag.tune(s, target())
	s.run(budget, ceiling)
}

// lagrangeProbe is the number of nodes a search visits before tuning the
// Lagrangian multipliers.
const lagrangeProbe = 256

// run searches the allocations, visiting at most budget nodes and
// stopping once every incumbent reaches ceiling: for the winner
// determination (no rivals) it leaves the best in s.best and s.bestSet,
// for VCG the best without each rival in s.rivalBest.
func (s *solver) run(budget int, ceiling uint64) {
	s.nodes, s.cut, s.budget, s.ceiling = 0, false, budget, ceiling
	clear(s.path)
	clear(s.open)
	root := s.lists[len(s.lists)-1][:0]
	for j := range s.search {
		root = append(root, int32(j))
	}
	s.lists[len(s.lists)-1] = root
	s.walk(0, 0, 0, 0, root, rootNode)
	s.total += s.nodes
}

// floor returns the value a node's subtree must exceed to matter: the
// incumbent's, or for VCG the least incumbent of the rivals the current
// branch leaves out (the others' OPT(−w) cannot be found below it), the
// largest value when it leaves none out.
func (s *solver) floor() uint64 {
	if s.rivals == nil {
		return s.best
	}
	f := uint64(math.MaxUint64)
	for k, w := range s.rivals {
		if !s.path[w] {
			f = min(f, s.rivalBest[k])
		}
	}
	return f
}

// alive returns the value a node's subtree must exceed to matter, given
// its two cheap bounds: simple, got+sum, and lag, the Lagrangian's scaled
// sum of the booked items' and the open items' positive reduced values.
// It is the incumbent's, or for VCG the least incumbent of the rivals the
// branch leaves out whose OPT(−w) the subtree may still beat (the largest
// value if none): an allocation of the subtree counts for rival w only if
// it leaves w out, so, if w is open, each bound less w's term (v_w, its
// positive reduced value) bounds it, both being sums over the open items.
func (s *solver) alive(simple uint64, lag int64) uint64 {
	if s.rivals == nil {
		return s.best
	}
	f := uint64(math.MaxUint64)
	for k, w := range s.rivals {
		if s.path[w] || s.rivalBest[k] >= f {
			continue
		}
		a, b := simple, lag
		if s.open[w] {
			a -= s.items[w].v
			b -= max(0, s.lag.red[w])
		}
		if min(a, s.lag.bound(b, 0)) > s.rivalBest[k] {
			f = s.rivalBest[k]
		}
	}
	return f
}

// record takes the current branch, of value got, as an allocation: the
// new incumbent if it beats it, or for VCG the new incumbent of every
// rival it leaves out whose incumbent it beats.
func (s *solver) record(got uint64) {
	if s.rivals == nil {
		if got > s.best {
			s.best = got
			copy(s.bestSet, s.path)
		}
		return
	}
	for k, w := range s.rivals {
		if !s.path[w] && got > s.rivalBest[k] {
			s.rivalBest[k] = got
		}
	}
}

// walk decides items[i:search], having reached value got with the earlier
// ones, which s.path holds and s.occ has booked, their
// reduced values (lagrange) summing to lag; parent lists the items
// open at the parent node, a superset of those open here, and booked is
// the item the parent booked on the way here, -1 if it booked none,
// rootNode at the root.
func (s *solver) walk(i int, got uint64, lag int64, depth int, parent []int32, booked int) {
	if s.floor() >= s.ceiling {
		return
	}
	if s.nodes >= s.budget {
		s.cut = true
		return
	}
	s.nodes++
	s.record(got)
	open, sum, gain := s.mark(i, depth, parent, booked)
	if len(open) == 0 {
		return
	}
	bound := min(got+sum, s.lag.bound(lag, gain))
	floor := s.alive(got+sum, lag+gain)
	if bound > floor {
		if s.rivals == nil || bound-floor <= floor/vcgScanGap {
			bound = s.fractionalBound(got, sum, bound, floor)
		} else {
			bound = s.tightBound(got, sum, bound)
		}
	}
	if depth == 0 && s.rivals == nil {
		s.root = bound
	}
	if bound <= floor {
		return
	}
	first := int(open[0])
	it := s.items[first].c
	s.occ.add(it, 1)
	s.path[first] = true
	s.walk(first+1, got+s.items[first].v, lag+s.lag.red[first], depth+1, open, first)
	s.path[first] = false
	s.occ.add(it, -1)
	s.walk(first+1, got, lag, depth+1, open, -1)
}

// rootNode is walk's booked at the root: every item must be checked
// against the bookings the round started with.
const rootNode = -2

// mayNotFit reports whether c may have stopped fitting since the parent
// node, booked being what walk was given.
func (s *solver) mayNotFit(booked int, c *candidate) bool {
	switch {
	case booked == rootNode:
		return true
	case booked < 0:
		return false
	}
	return conflict(s.items[booked].c, c)
}

// mark lists, in s.lists[depth], the items open at the node deciding
// items[i:search], among parent's, sets s.open for them and clears it for
// parent's others, and returns them, the sum of their values and that of
// their positive reduced values (lagrange): an item that does not fit now
// never will further down the branch, since bookings only accumulate.
// Every item s.open holds when it is called is one of parent's: it was
// set at the parent or below it. Only an item that overlaps booked, the
// item booked since the parent, can have stopped fitting.
func (s *solver) mark(i, depth int, parent []int32, booked int) ([]int32, uint64, int64) {
	list := s.lists[depth][:0]
	var sum uint64
	var gain int64
	for _, j := range parent {
		s.open[j] = false
		if int(j) < i {
			continue
		}
		if c := s.items[j].c; !s.mayNotFit(booked, c) || s.occ.fits(c) {
			list = append(list, j)
			sum += s.items[j].v
			gain += max(0, s.lag.red[j])
		}
	}
	for _, j := range list {
		s.open[j] = true
	}
	s.lists[depth] = list
	return list, sum, gain
}

// vcgScanGap sets when VCG's search scans every row for the fractional
// bound: only when the cheap bounds exceed the floor by at most
// floor/vcgScanGap. Further above, a full scan seldom prunes and costs
// about as much as the node's other work, so the search tries only the
// row that gave the least bound last time: on BenchmarkExactClear's
// 32-bid rounds this visits about 7% more nodes but takes about a fifth
// less time, most in the slowest rounds, whose time is VCG's search.
const vcgScanGap = 80

// tightBound returns the least of bound and the fractional bound of
// fractionalBound at the resource and cell that gave the least bound last
// time, if any: one of the terms fractionalBound takes the least of, so
// it is an upper bound as valid as that one.
func (s *solver) tightBound(got, sum, bound uint64) uint64 {
	if x, c := s.tight[0], s.tight[1]; x >= 0 && s.openOf(x) >= 2 {
		bound = min(bound, s.knapsack(x, c, got+sum))
	}
	return bound
}

// fractionalBound returns got plus an upper bound on what the open items
// can add: the least, over each resource x and each cell c where an item's
// window starts, of the open items that do not need x at c, whole, plus a
// fractional knapsack of those that do into the capacity left of x at c
// (the linear relaxation of that one constraint, rounded up), or bound if
// less; it returns as soon as the bound is at most floor. It tries
// first the resource and cell that gave the least bound last time, which
// often prunes the node alone.
func (s *solver) fractionalBound(got, sum, bound, floor uint64) uint64 {
	if x, c := s.tight[0], s.tight[1]; x >= 0 && s.openOf(x) >= 2 {
		if bound = min(bound, s.knapsack(x, c, got+sum)); bound <= floor {
			return bound
		}
	}
	for x := range s.byRes {
		if s.openOf(x) < 2 {
			continue
		}
		for _, c := range s.starts {
			if b := s.knapsack(x, c, got+sum); b < bound {
				bound, s.tight = b, [2]int{x, c}
				if bound <= floor {
					return bound
				}
			}
		}
	}
	return bound
}

// openOf fills s.near with the open slots of resource x and returns how
// many there are.
func (s *solver) openOf(x int) int {
	s.near = s.near[:0]
	for _, sl := range s.byRes[x] {
		if s.open[sl.item] {
			s.near = append(s.near, sl)
		}
	}
	return len(s.near)
}

// knapsack returns total less the open items that need resource x at cell
// c, plus the fractional knapsack of them into the capacity left there.
func (s *solver) knapsack(x, c int, total uint64) uint64 {
	free := s.occ.capacity[x] - s.occ.peak(x, c, c+1)
	var covered, knap uint64
	full := false
	for _, sl := range s.near {
		if int(sl.lo) > c || int(sl.hi) <= c {
			continue
		}
		covered += sl.v
		switch {
		case full:
		case sl.q <= free:
			free -= sl.q
			knap += sl.v
		default:
			knap += ceilFraction(sl.v, uint64(free), uint64(sl.q))
			full = true
		}
	}
	return total - covered + knap
}

// ceilFraction returns ⌈v × num / den⌉ for num < den.
func ceilFraction(v, num, den uint64) uint64 {
	hi, lo := bits.Mul64(v, num)
	q, r := bits.Div64(hi, lo, den)
	if r != 0 {
		q++
	}
	return q
}

// fill books the items of chosen on s.occ, then every other item that
// still fits, in item order, marking them chosen; it returns the winners'
// items in item order and leaves them booked.
func (s *solver) fill(chosen []bool) []int {
	for i, it := range s.items {
		if chosen[i] {
			s.occ.add(it.c, 1)
		}
	}
	var winners []int
	for i, it := range s.items {
		if !chosen[i] && s.occ.fits(it.c) {
			s.occ.add(it.c, 1)
			chosen[i] = true
		}
		if chosen[i] {
			winners = append(winners, i)
		}
	}
	return winners
}

// vcg returns, for each winner, the welfare its presence displaces from
// the others, OPT(−w) − (W − v_w), in units, at most v_w; and whether the
// search that computed every OPT(−w) finished. One search serves every
// winner of positive value: each allocation it reaches is a candidate
// OPT(−w) for every winner w it leaves out, and a subtree is pruned when
// its bound is at most the least incumbent among the winners its branch
// leaves out whose OPT(−w) it may still beat (alive). It starts each
// incumbent at the allocation less w plus what then fits (without), tunes
// the Lagrangian multipliers again toward the least of them, and has the
// nodes the winner determination left of the budget. If the allocation is optimal, OPT(−w) is at most its welfare
// W, and the search stops once every incumbent reaches it. s.occ must hold
// no winner.
func (s *solver) vcg(chosen []bool, winners []int, optimal bool) ([]uint64, bool) {
	var total uint64
	for _, i := range winners {
		total += s.items[i].v
	}
	units := make([]uint64, len(winners))
	others := make([]bool, len(chosen))
	var ks []int // by rival, its index in winners
	s.rivals, s.rivalBest = s.rivals[:0], s.rivalBest[:0]
	for k, i := range winners {
		if s.items[i].v > 0 {
			ks = append(ks, k)
			s.rivals = append(s.rivals, i)
			s.rivalBest = append(s.rivalBest, s.without(chosen, i, others))
		}
	}
	if len(ks) == 0 {
		return units, true
	}
	ceiling := uint64(math.MaxUint64)
	if optimal {
		ceiling = total
	}
	s.probe(max(s.maxNodes-s.total, 0), ceiling, func() uint64 { return slices.Min(s.rivalBest) })
	for j, k := range ks {
		v := s.items[winners[k]].v
		units[k] = min(s.rivalBest[j]-(total-v), v)
	}
	s.rivals = nil
	return units, !s.cut
}

// without sets others to chosen less item w, plus every other positive
// item that then fits, in item order, and returns their value: the
// incumbent OPT(−w)'s search starts from. s.occ must hold no winner, and
// holds none again on return.
func (s *solver) without(chosen []bool, w int, others []bool) uint64 {
	copy(others, chosen)
	others[w] = false
	var value uint64
	for i, it := range s.items {
		if others[i] {
			s.occ.add(it.c, 1)
			value += it.v
		}
	}
	for i, it := range s.items[:s.search] {
		if i != w && !others[i] && s.occ.fits(it.c) {
			s.occ.add(it.c, 1)
			others[i] = true
			value += it.v
		}
	}
	for i, it := range s.items {
		if others[i] {
			s.occ.add(it.c, -1)
		}
	}
	return value
}
