package auction

import "hash/maphash"

// bookIndex maps the ids of resting orders to their nodes: an open
// addressing hash table with linear probing and backward-shift deletion,
// so that it leaves no tombstones and allocates only when it grows. It is
// kept at most half full.
type bookIndex struct {
	seed  maphash.Seed
	slots []slot
	n     int
}

// slot holds a node and the low bits of its id's hash, or none.
type slot struct {
	node int32
	hash uint32
}

const minIndexSlots = 1 << 10

func newBookIndex() bookIndex {
	x := bookIndex{seed: maphash.MakeSeed(), slots: make([]slot, minIndexSlots)}
	x.reset()
	return x
}

func (x *bookIndex) hash(id string) uint32 { return uint32(maphash.String(x.seed, id)) }

func (x *bookIndex) mask() uint32 { return uint32(len(x.slots) - 1) }

// find returns the node of id, or none.
func (x *bookIndex) find(nodes []node, id string) int32 {
	h := x.hash(id)
	for i := h & x.mask(); ; i = (i + 1) & x.mask() {
		s := x.slots[i]
		if s.node == none {
			return none
		}
		if s.hash == h && nodes[s.node].order.ID == id {
			return s.node
		}
	}
}

// insert adds node n for id, which must be absent.
func (x *bookIndex) insert(id string, n int32) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	x.put(slot{node: n, hash: x.hash(id)})
	x.n++
}

func (x *bookIndex) put(s slot) {
	i := s.hash & x.mask()
	for x.slots[i].node != none {
		i = (i + 1) & x.mask()
	}
	x.slots[i] = s
}

func (x *bookIndex) grow() {
	old := x.slots
	x.slots = make([]slot, 2*len(old))
	x.clearSlots()
	for _, s := range old {
		if s.node != none {
			x.put(s)
		}
	}
}

// remove deletes node n, indexed under id, and shifts back the entries
// after it that would no longer be found.
func (x *bookIndex) remove(id string, n int32) {
	m := x.mask()
	i := x.hash(id) & m
	for x.slots[i].node != n {
		i = (i + 1) & m
	}
	for j := (i + 1) & m; x.slots[j].node != none; j = (j + 1) & m {
		home := x.slots[j].hash & m
		// The entry at j stays if its home lies cyclically in (i, j].
		if (j > i && home > i && home <= j) || (j < i && (home > i || home <= j)) {
			continue
		}
		x.slots[i] = x.slots[j]
		i = j
	}
	x.slots[i] = slot{node: none}
	x.n--
}

// reset empties the index and keeps its storage.
func (x *bookIndex) reset() {
	x.clearSlots()
	x.n = 0
}

func (x *bookIndex) clearSlots() {
	for i := range x.slots {
		x.slots[i] = slot{node: none}
	}
}
