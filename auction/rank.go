package auction

import (
	"cmp"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Priority is the order in which Greedy considers bids: the greedy rule.
// Ties are broken by Seq ascending, then ID ascending, so the order does
// not depend on the order of Round.Bids.
type Priority int

const (
	// ByValue considers bids by limit, highest first: the default.
	ByValue Priority = iota
	// ByDensity considers bids by value density, highest first: the limit
	// over the square root of the bid's size, where the size of a bundle is
	// its share of the catalog's capacity over its window,
	//
	//	size = seconds × Σ_x quantity_x / capacity_x
	//
	// in capacity-seconds. Densities are compared exactly, as limit² / size,
	// by cross-multiplication of integers; no square root is taken. With
	// PayCriticalValue this is the mechanism of Lehmann, O'Callaghan and
	// Shoham (2002): truthful for single-minded bidders, and within a factor
	// √m of the optimal welfare, m the number of resource-cells contended.
	ByDensity
)

// String returns "value" or "density".
func (p Priority) String() string {
	switch p {
	case ByValue:
		return "value"
	case ByDensity:
		return "density"
	}
	return fmt.Sprintf("Priority(%d)", int(p))
}

// rank is a candidate's sort key: its limit as an integer number of units
// of 10^exp, exp common to the round (units, or wide.value where it does
// not fit 64 bits), and for ByDensity the integer size and the squared
// value, as 64-bit integers where every candidate's fit (sq64 and size64),
// else as big integers (wide.sq and wide.size).
type rank struct {
	units        uint64
	sq64, size64 uint64
	wide         *wideRank // nil where the 64-bit figures serve
}

// wideRank is the part of a rank on big integers.
type wideRank struct {
	value, sq, size *big.Int
}

// ranking computes and compares the ranks of a round's candidates.
type ranking struct {
	priority Priority
	exp      int32      // the candidates' limits are whole units of 10^exp
	small    bool       // every units fits 64 bits, and wide is nil
	narrow   bool       // ByDensity, every sq64 and size64 set, and wide is nil
	perCap   []*big.Int // lcm of the capacities over each capacity
	a, b     big.Int    // scratch for comparisons
}

// newRanking ranks cs: it sets each candidate's rank. capacity is per
// resource index.
func newRanking(p Priority, cs []candidate, capacity []int64) *ranking {
	k := &ranking{priority: p, small: true}
	for i := range cs {
		k.exp = min(k.exp, cs[i].bid.Limit.Exponent)
	}
	for i := range cs {
		c := &cs[i]
		u, ok := smallUnits(c, k.exp)
		c.rank.units = u
		k.small = k.small && ok
	}
	if p == ByDensity && k.small {
		k.narrow = narrowDensities(cs, capacity)
	}
	if k.narrow {
		return k
	}
	if !k.small || p == ByDensity {
		for i := range cs {
			cs[i].rank.wide = &wideRank{value: bigUnits(&cs[i], k.exp)}
		}
	}
	if p == ByDensity {
		k.perCap = perCapacity(capacity)
		for i := range cs {
			c := &cs[i]
			w := c.rank.wide
			w.sq, w.size = new(big.Int).Mul(w.value, w.value), k.size(c)
		}
	}
	return k
}

// smallUnits returns c's limit in units of 10^exp, if it fits 64 bits.
func smallUnits(c *candidate, exp int32) (uint64, bool) {
	return decimalUnits(c.bid.Limit, exp)
}

// decimalUnits returns the non-negative l in units of 10^exp, exp at most
// l's exponent, if it fits 64 bits.
func decimalUnits(l *apd.Decimal, exp int32) (uint64, bool) {
	if !l.Coeff.IsUint64() {
		return 0, false
	}
	u := l.Coeff.Uint64()
	for range l.Exponent - exp {
		hi, lo := bits.Mul64(u, 10)
		if hi != 0 {
			return 0, false
		}
		u = lo
	}
	return u, true
}

// narrowDensities sets every candidate's sq64 and size64, the squared
// units and size ranking.size computes, if they all fit 64 bits, and
// reports whether they do.
func narrowDensities(cs []candidate, capacity []int64) bool {
	perCap, ok := narrowPerCapacity(capacity)
	if !ok {
		return false
	}
	for i := range cs {
		c := &cs[i]
		if c.rank.units >= 1<<32 {
			return false
		}
		var size uint64
		for _, q := range c.need {
			term, ok := mul64(perCap[q.res], uint64(q.n))
			var carry uint64
			if size, carry = bits.Add64(size, term, 0); !ok || carry != 0 {
				return false
			}
		}
		if size, ok = mul64(size, uint64(c.bundle.Window.Seconds())); !ok {
			return false
		}
		c.rank.sq64, c.rank.size64 = c.rank.units*c.rank.units, size
	}
	return true
}

// narrowPerCapacity returns perCapacity as 64-bit integers, if the least
// common multiple of the capacities fits.
func narrowPerCapacity(capacity []int64) ([]uint64, bool) {
	l := uint64(1)
	for _, c := range capacity {
		var ok bool
		if l, ok = mul64(l/gcd(l, uint64(c)), uint64(c)); !ok {
			return nil, false
		}
	}
	out := make([]uint64, len(capacity))
	for i, c := range capacity {
		out[i] = l / uint64(c)
	}
	return out, true
}

// gcd returns the greatest common divisor of a and b.
func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// wordUnits returns the decimal w holds in units of 10^exp, exp at most
// its exponent, if it fits 64 bits.
func wordUnits(w word, exp int32) (uint64, bool) {
	u, ok := w.coeff, true
	for range w.exp - exp {
		if u, ok = mul64(u, 10); !ok {
			return 0, false
		}
	}
	return u, true
}

// bigUnits returns c's limit in units of 10^exp.
func bigUnits(c *candidate, exp int32) *big.Int {
	v := c.bid.Limit.Coeff.MathBigInt()
	if d := c.bid.Limit.Exponent - exp; d > 0 {
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil))
	}
	return v
}

// perCapacity returns L / capacity_x for every resource, L the least
// common multiple of the capacities.
func perCapacity(capacity []int64) []*big.Int {
	l := big.NewInt(1)
	var g big.Int
	for _, c := range capacity {
		cb := big.NewInt(c)
		g.GCD(nil, nil, l, cb)
		l.Mul(l, cb.Quo(cb, &g))
	}
	out := make([]*big.Int, len(capacity))
	for i, c := range capacity {
		out[i] = new(big.Int).Quo(l, big.NewInt(c))
	}
	return out
}

// size returns L × size of c: seconds × Σ quantity × L / capacity, an
// integer proportional to the size the Priority documents.
func (k *ranking) size(c *candidate) *big.Int {
	s := new(big.Int)
	var t big.Int
	for _, q := range c.need {
		s.Add(s, t.Mul(k.perCap[q.res], big.NewInt(q.n)))
	}
	return s.Mul(s, big.NewInt(c.bundle.Window.Seconds()))
}

// bigDensity returns c's squared value and size as big integers.
func (k *ranking) bigDensity(c *candidate) (sq, size *big.Int) {
	if k.narrow {
		return new(big.Int).SetUint64(c.rank.sq64), new(big.Int).SetUint64(c.rank.size64)
	}
	return c.rank.wide.sq, c.rank.wide.size
}

// compare orders a before b if it ranks higher, then by Seq, then by ID.
func (k *ranking) compare(a, b *candidate) int {
	if c := k.compareKeys(&b.rank, &a.rank); c != 0 {
		return c
	}
	return tieBreak(a, b)
}

// tieBreak orders candidates of equal rank by Seq, then ID.
func tieBreak(a, b *candidate) int {
	if c := cmp.Compare(a.bid.Seq, b.bid.Seq); c != 0 {
		return c
	}
	return strings.Compare(a.bid.ID, b.bid.ID)
}

// compareKeys compares the keys of x and y: -1, 0 or +1 as x ranks lower,
// equal or higher.
func (k *ranking) compareKeys(x, y *rank) int {
	if k.priority == ByDensity {
		// x.value² / x.size against y.value² / y.size.
		k.a.Mul(x.wide.sq, y.wide.size)
		k.b.Mul(y.wide.sq, x.wide.size)
		return k.a.Cmp(&k.b)
	}
	if k.small {
		return cmp.Compare(x.units, y.units)
	}
	return x.wide.value.Cmp(y.wide.value)
}

// order puts cs in clearing order, in place, so that clearing then walks
// them and their needs in memory order, and returns pointers to them in
// that order.
func (k *ranking) order(cs []candidate) []*candidate {
	permute(cs, k.sorted(cs))
	gatherNeeds(cs)
	order := make([]*candidate, len(cs))
	for i := range cs {
		order[i] = &cs[i]
	}
	return order
}

// sorted returns the indices of cs in clearing order.
func (k *ranking) sorted(cs []candidate) []int {
	perm := make([]int, len(cs))
	switch {
	case k.narrow:
		keys := make([]densityKey, len(cs))
		for i := range cs {
			r := &cs[i].rank
			keys[i] = densityKey{sq: r.sq64, size: r.size64, seq: cs[i].bid.Seq, c: &cs[i], at: i}
		}
		slices.SortFunc(keys, compareDensityKeys)
		for i := range keys {
			perm[i] = keys[i].at
		}
	case k.small && k.priority == ByValue && packable(cs):
		return sortPacked(cs)
	default:
		for i := range perm {
			perm[i] = i
		}
		slices.SortFunc(perm, func(a, b int) int { return k.compare(&cs[a], &cs[b]) })
	}
	return perm
}

// permute moves cs[perm[i]] to cs[i], for every i, following the cycles
// of perm, which it spoils.
func permute(cs []candidate, perm []int) {
	for i := range perm {
		if perm[i] < 0 {
			continue
		}
		held := cs[i]
		j := i
		for perm[j] != i {
			next := perm[j]
			cs[j], perm[j] = cs[next], -1
			j = next
		}
		cs[j], perm[j] = held, -1
	}
}

// gatherNeeds copies the needs of cs into one slice, in the order of cs.
func gatherNeeds(cs []candidate) {
	n := 0
	for i := range cs {
		n += len(cs[i].need)
	}
	needs := make([]need, 0, n)
	for i := range cs {
		from := len(needs)
		needs = append(needs, cs[i].need...)
		cs[i].need = needs[from:len(needs):len(needs)]
	}
}

// Packing for sortPacked: units below 2^packedUnits, indices below
// 2^packedIndex.
const (
	packedIndex = 20
	packedUnits = 64 - packedIndex
)

// packable reports whether the ByValue keys of cs fit sortPacked.
func packable(cs []candidate) bool {
	if len(cs) > 1<<packedIndex {
		return false
	}
	for i := range cs {
		if cs[i].rank.units >= 1<<packedUnits {
			return false
		}
	}
	return true
}

// sortPacked returns the indices of cs by units descending, then Seq, then
// ID: it sorts integers that pack the complement of units with the index,
// the common case at machine speed, then the rare runs of equal units by
// Seq and ID.
func sortPacked(cs []candidate) []int {
	const mask = 1<<packedIndex - 1
	packed := make([]uint64, len(cs))
	for i := range cs {
		packed[i] = (1<<packedUnits-1-cs[i].rank.units)<<packedIndex | uint64(i)
	}
	slices.Sort(packed)
	perm := make([]int, len(cs))
	for i, p := range packed {
		perm[i] = int(p & mask)
	}
	for i := 0; i < len(packed); {
		j := i + 1
		for j < len(packed) && packed[j]>>packedIndex == packed[i]>>packedIndex {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(perm[i:j], func(a, b int) int { return tieBreak(&cs[a], &cs[b]) })
		}
		i = j
	}
	return perm
}

// densityKey is a candidate's ByDensity sort key, when its squared limit
// and its size fit 64 bits.
type densityKey struct {
	sq, size, seq uint64
	c             *candidate
	at            int // the index of c
}

// compareDensityKeys orders by sq / size descending, compared exactly on
// 128-bit products, then Seq, then ID.
func compareDensityKeys(a, b densityKey) int {
	xh, xl := bits.Mul64(a.sq, b.size)
	yh, yl := bits.Mul64(b.sq, a.size)
	if xh != yh {
		return cmp.Compare(yh, xh)
	}
	if xl != yl {
		return cmp.Compare(yl, xl)
	}
	if a.seq != b.seq {
		return cmp.Compare(a.seq, b.seq)
	}
	return strings.Compare(a.c.bid.ID, b.c.bid.ID)
}
