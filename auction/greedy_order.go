package auction

import (
	"cmp"
	"math/bits"
	"slices"
	"strings"
)

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
