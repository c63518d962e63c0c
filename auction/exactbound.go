package auction

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// rows are the capacity constraints the Lagrangian relaxation prices:
// one per pair (x, c) of a resource x and a cell c where a positive
// item's window starts, that some positive item covers (needs x over a
// window holding c). An allocation fits only if, at every row, the
// quantities of its items covering the row are at most the capacity the
// calendar leaves there, free.
type rows struct {
	free  []int64   // per row, capacity less what the calendar holds there
	first []int32   // per positive item, and one past the last: its rows in row and qty
	row   []int32   // the rows each item covers
	qty   []int64   // the item's quantity at each such row
	plain [][]entry // per row, the items covering it
}

// entry is an item of a row, with its quantity there; tune's sweeps set
// val, its value there less its other rows' multipliers.
type entry struct {
	item int32
	q    int64
	val  int64
}

// newRows returns the rows of s's positive items, against the capacity
// s.occ leaves now.
func newRows(s *solver) *rows {
	w := &rows{first: make([]int32, s.search+1)}
	var starts []int
	for _, it := range s.items[:s.search] {
		starts = append(starts, it.c.lo)
	}
	slices.Sort(starts)
	starts = slices.Compact(starts)
	index := make(map[[2]int]int32)
	for j, it := range s.items[:s.search] {
		c := it.c
		for _, q := range c.need {
			if q.n <= 0 {
				continue
			}
			k, _ := slices.BinarySearch(starts, c.lo)
			for ; k < len(starts) && starts[k] < c.hi; k++ {
				key := [2]int{q.res, starts[k]}
				r, ok := index[key]
				if !ok {
					r = int32(len(w.free))
					index[key] = r
					w.free = append(w.free, s.occ.capacity[q.res]-s.occ.peak(q.res, starts[k], starts[k]+1))
					w.plain = append(w.plain, nil)
				}
				w.row, w.qty = append(w.row, r), append(w.qty, q.n)
				w.plain[r] = append(w.plain[r], entry{item: int32(j), q: q.n})
			}
		}
		w.first[j+1] = int32(len(w.row))
	}
	return w
}

// sortDensity sorts es by val per q descending, then by item, on 128-bit
// products; every val is positive.
func sortDensity(es []entry) {
	slices.SortFunc(es, func(a, b entry) int {
		xh, xl := bits.Mul64(uint64(a.val), uint64(b.q))
		yh, yl := bits.Mul64(uint64(b.val), uint64(a.q))
		if xh != yh {
			return cmp.Compare(yh, xh)
		}
		if xl != yl {
			return cmp.Compare(yl, xl)
		}
		return cmp.Compare(a.item, b.item)
	})
}

// lagrange is a Lagrangian relaxation of the rows, which bounds a search
// node in time linear in its open items.
//
// For multipliers λ ≥ 0 per row, let r_j = v_j − Σ_{rows of j} λ·q_j, the
// reduced value of item j. An allocation A of the open items fits every
// row, so
//
//	Σ_{j ∈ A} v_j ≤ Σ_{j ∈ A} v_j + Σ_rows λ·(free − Σ_{j ∈ A covering} q_j)
//	             = Σ_rows λ·free + Σ_{j ∈ A} r_j
//	             ≤ Σ_rows λ·free + Σ_{open j} max(0, r_j),
//
// since every added term is nonnegative: a valid upper bound whatever λ.
// A node's free is the root's less what the booked items on its branch
// cover, so its bound plus the booked items' values is
// Λ0 + Σ_{booked j} r_j + Σ_{open j} max(0, r_j), with Λ0 = Σ_rows λ·free
// at the root (free taken at least 0: a row the calendar overfills has
// no item open nor booked): the booked sum is carried down the walk, and
// the bound costs a sum over the open items. With λ tuned toward the
// linear relaxation's dual, it is often well below the least of the
// single-row knapsacks, though not always, and weakens deeper in the
// search, λ being tuned at the root only: the search takes the least of
// both.
//
// Values are scaled by 2^shift and λ is an integer in those scaled units
// per unit of quantity, so that every computation is exact integer
// arithmetic; a bound in units is the scaled bound shifted down, which no
// allocation exceeds since allocations' values are whole units. λ is kept
// in [0, top] per row, where top is the least multiplier making every
// item covering the row nonpositive (a larger one only adds to Λ0), and
// the shift is chosen so that Λ0 plus Σ |r_j| stays below lagrangeLimit
// for every such λ: no sum overflows. When no shift does, or the rows or
// quantities are too many, the relaxation is off and bounds nothing.
type lagrange struct {
	on     bool
	shift  uint
	w      *rows
	free   []int64  // per row, the capacity the root leaves, at least 0
	top    []uint64 // per row, the largest useful multiplier
	lambda []uint64 // per row
	red    []int64  // per item, its reduced value r_j, 0 when off
	base   int64    // Λ0
}

// lagrangeLimit bounds Λ0 + Σ |r_j| in scaled units, so that every sum of
// them fits an int64.
const lagrangeLimit = 1 << 62

// lagrangeRows bounds the number of rows, so that the squared norm of a
// subgradient of 24-bit entries fits 64 bits.
const lagrangeRows = 1 << 14

// lagrangeQuantity bounds the quantities the relaxation takes, so that a
// subgradient's entries, free less a sum of quantities, fit an int64.
const lagrangeQuantity = 1 << 40

// newLagrange returns the relaxation of the rows of s's positive items,
// against the capacity s.occ leaves now, with λ = 0; it is off if the
// rows are too many or too large, or no shift keeps its sums in range.
func newLagrange(s *solver) *lagrange {
	w := newRows(s)
	l := &lagrange{w: w, red: make([]int64, s.search)}
	if len(w.free) == 0 || len(w.free) > lagrangeRows || !w.small() {
		return l
	}
	l.free = make([]int64, len(w.free))
	for r, f := range w.free {
		l.free[r] = max(0, f)
	}
	var sum uint64
	for _, it := range s.items[:s.search] {
		sum += it.v
	}
	l.top, l.lambda = make([]uint64, len(l.free)), make([]uint64, len(l.free))
	for shift := max(0, 52-bits.Len64(sum)); shift >= 0; shift -= 4 {
		if l.fits(s, uint(shift)) {
			l.on, l.shift = true, uint(shift)
			l.price(s, l.lambda)
			return l
		}
	}
	return l
}

// small reports whether every row's free capacity, and the sum of every
// item's quantity at every row, are below lagrangeQuantity.
func (w *rows) small() bool {
	var sum int64
	for _, q := range w.qty {
		if sum += q; sum >= lagrangeQuantity {
			return false
		}
	}
	for _, f := range w.free {
		if f >= lagrangeQuantity {
			return false
		}
	}
	return true
}

// fits sets top for shift and reports whether Λ0 + Σ |r_j| stays below
// lagrangeLimit for every λ in [0, top].
func (l *lagrange) fits(s *solver, shift uint) bool {
	w := l.w
	clear(l.top)
	for j, it := range s.items[:s.search] {
		v := it.v << shift
		for k := w.first[j]; k < w.first[j+1]; k++ {
			q := uint64(w.qty[k])
			t := v / q
			if t*q < v {
				t++
			}
			l.top[w.row[k]] = max(l.top[w.row[k]], t)
		}
	}
	var total uint64
	for r, t := range l.top {
		if !addProduct(&total, t, uint64(l.free[r])) {
			return false
		}
	}
	for j, it := range s.items[:s.search] {
		var sum uint64
		for k := w.first[j]; k < w.first[j+1]; k++ {
			if !addProduct(&sum, l.top[w.row[k]], uint64(w.qty[k])) {
				return false
			}
		}
		if !addProduct(&total, max(sum, it.v<<shift), 1) {
			return false
		}
	}
	return true
}

// addProduct adds a × b to *acc and reports whether the sum stays below
// lagrangeLimit; *acc is unspecified when it does not.
func addProduct(acc *uint64, a, b uint64) bool {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 || lo >= lagrangeLimit {
		return false
	}
	*acc += lo
	return *acc < lagrangeLimit
}

// price sets λ to lambda, and the reduced values and Λ0 from it.
func (l *lagrange) price(s *solver, lambda []uint64) {
	w := l.w
	copy(l.lambda, lambda)
	var base int64
	for r, f := range l.free {
		base += int64(l.lambda[r]) * f
	}
	l.base = base
	for j, it := range s.items[:s.search] {
		var sum int64
		for k := w.first[j]; k < w.first[j+1]; k++ {
			sum += int64(l.lambda[w.row[k]]) * w.qty[k]
		}
		l.red[j] = int64(it.v<<l.shift) - sum
	}
}

// units returns the scaled bound b in units, rounded down: allocations'
// values are whole units. It is the largest value when off.
func (l *lagrange) units(b int64) uint64 {
	if !l.on {
		return math.MaxUint64
	}
	return uint64(max(0, b)) >> l.shift
}

// bound returns, in units, the bound of a node whose booked items have
// reduced values summing to booked and whose open items have positive
// reduced values summing to gain: no allocation of the node's subtree
// has a greater value. It is the largest value when off.
func (l *lagrange) bound(booked, gain int64) uint64 {
	return l.units(l.base + booked + gain)
}

// value returns the root's bound, in scaled units, over the items live
// marks, and fills g with its subgradient: per row, free less the
// quantities of the live items of positive reduced value covering it.
func (l *lagrange) value(live []bool, g []int64) int64 {
	w := l.w
	copy(g, l.free)
	v := l.base
	for j, r := range l.red {
		if !live[j] || r <= 0 {
			continue
		}
		v += r
		for k := w.first[j]; k < w.first[j+1]; k++ {
			g[w.row[k]] -= w.qty[k]
		}
	}
	return v
}

const (
	// lagrangeSweeps is the number of coordinate sweeps tune starts with.
	lagrangeSweeps = 10
	// lagrangeSteps is the most subgradient steps tune then takes.
	lagrangeSteps = 60
	// lagrangeStale is the number of steps without a better bound after
	// which tune halves its step.
	lagrangeStale = 6
)

// tune lowers the root's bound over the items that fit at the root, by
// coordinate sweeps then subgradient steps toward the incumbent value
// target (in units), keeping the best λ found. Any λ keeps the bound
// valid: tuning only tightens it.
func (l *lagrange) tune(s *solver, target uint64) {
	if !l.on {
		return
	}
	live := make([]bool, s.search)
	for j := range live {
		live[j] = s.occ.fits(s.items[j].c)
	}
	for range lagrangeSweeps {
		l.sweep(live)
	}
	g := make([]int64, len(l.free))
	best := slices.Clone(l.lambda)
	bestValue := l.value(live, g)
	goal := int64(target<<l.shift) + (1<<l.shift - 1)
	mu, stale := uint64(512), 0 // the step's factor, in 256ths
	for range lagrangeSteps {
		v := l.value(live, g)
		if v < bestValue {
			bestValue, stale = v, 0
			copy(best, l.lambda)
		} else if stale++; stale >= lagrangeStale {
			mu, stale = mu/2, 0
		}
		if v <= goal || mu == 0 || !l.step(g, uint64(v-goal), mu) {
			break
		}
		l.price(s, l.lambda)
	}
	l.price(s, best)
}

// sweep sets each row's multiplier in turn to one minimizing the root's
// bound with the others fixed, over the items live marks: the value per
// unit, less the other rows' multipliers, of the item that overflows the
// row's fractional knapsack (0 if none does), rounded down.
func (l *lagrange) sweep(live []bool) {
	var es []entry
	for r, list := range l.w.plain {
		es = es[:0]
		for _, e := range list {
			if !live[e.item] {
				continue
			}
			e.val = l.red[e.item] + int64(l.lambda[r])*e.q
			if e.val > 0 {
				es = append(es, e)
			}
		}
		sortDensity(es)
		var lambda uint64
		free := l.free[r]
		for _, e := range es {
			if e.q > free {
				lambda = min(uint64(e.val/e.q), l.top[r])
				break
			}
			free -= e.q
		}
		d := int64(lambda) - int64(l.lambda[r])
		l.lambda[r] = lambda
		l.base += d * l.free[r]
		for _, e := range list {
			l.red[e.item] -= d * e.q
		}
	}
}

// step moves λ against the subgradient g by the Polyak step
// mu/256 × gap / |g|², clamped to [0, top]; it returns false if g is
// zero, λ then being optimal.
func (l *lagrange) step(g []int64, gap, mu uint64) bool {
	var most uint64
	for _, x := range g {
		most = max(most, absInt(x))
	}
	if most == 0 {
		return false
	}
	k := uint(max(0, bits.Len64(most)-24))
	var norm uint64
	for _, x := range g {
		a := absInt(x) >> k
		norm += a * a
	}
	for r, x := range g {
		d := stepOf(gap, absInt(x)>>k, norm, k, mu)
		switch {
		case x > 0:
			l.lambda[r] -= min(d, l.lambda[r])
		case x < 0:
			l.lambda[r] += min(d, l.top[r]-l.lambda[r])
		}
	}
	return true
}

// stepOf returns (gap × a / norm) >> k × mu / 256, saturating at the
// largest value; norm is positive.
func stepOf(gap, a, norm uint64, k uint, mu uint64) uint64 {
	hi, lo := bits.Mul64(gap, a)
	if hi >= norm {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, norm)
	q >>= k
	hi, lo = bits.Mul64(q, mu)
	if hi >= 256 {
		return math.MaxUint64
	}
	q, _ = bits.Div64(hi, lo, 256)
	return q
}

// absInt returns |x|.
func absInt(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}
