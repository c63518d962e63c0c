package ledger

import (
	"hash/maphash"
	"iter"
)

// transferChunk is how many movements one allocation of a transferIndex
// holds.
const transferChunk = 256

// transferIndex holds what every transfer id did: one movement per id, for
// the idempotency of retries.
//
// It is on the hot path of every movement and grows for the ledger's life,
// so its main map has no pointers: it maps a 64-bit hash of an id to the
// slot of its movement. The garbage collector never scans that map, and a
// lookup or a growth hashes a fixed-size key. An id whose hash belongs to
// another id already goes to the clash map, keyed by the id itself; a
// lookup that misses the main map looks there too, so a collision costs
// time, never correctness. The movements live in chunks; the slots of
// removed ids are reused.
type transferIndex struct {
	seed   maphash.Seed
	mask   uint64            // of the hash; all ones but in tests
	byHash map[uint64]uint32 // slot of an id, by the id's hash
	clash  map[string]uint32 // slot of an id whose hash another id had
	chunks [][]movement      // the slots
	used   uint32            // slots handed out, free ones included
	free   []uint32          // slots of removed ids
}

// newTransferIndex returns an empty index with room for n ids.
func newTransferIndex(n int) transferIndex {
	return transferIndex{
		seed:   maphash.MakeSeed(),
		mask:   ^uint64(0),
		byHash: make(map[uint64]uint32, n),
	}
}

// hash returns the key of id in byHash.
func (x *transferIndex) hash(id string) uint64 {
	return maphash.String(x.seed, id) & x.mask
}

// at returns the movement in slot s.
func (x *transferIndex) at(s uint32) *movement {
	return &x.chunks[s/transferChunk][s%transferChunk]
}

// get returns the movement of transfer id, if there is one.
func (x *transferIndex) get(id string) (*movement, bool) {
	s, ok := x.byHash[x.hash(id)]
	if ok && x.at(s).id == id {
		return x.at(s), true
	}
	if s, ok := x.clash[id]; ok {
		return x.at(s), true
	}
	return nil, false
}

// put records m as what its transfer id did, replacing what the id did
// before, if anything.
func (x *transferIndex) put(m movement) {
	h := x.hash(m.id)
	s, taken := x.byHash[h]
	if !taken || x.at(s).id != m.id {
		var ok bool
		if s, ok = x.clash[m.id]; !ok {
			s = x.newSlot()
			x.link(h, taken, m.id, s)
		}
	}
	*x.at(s) = m
}

// link makes s the slot of id, whose hash is h: in byHash unless another
// id has taken h.
func (x *transferIndex) link(h uint64, taken bool, id string, s uint32) {
	if !taken {
		x.byHash[h] = s
		return
	}
	if x.clash == nil {
		x.clash = make(map[string]uint32)
	}
	x.clash[id] = s
}

// remove forgets transfer id.
func (x *transferIndex) remove(id string) {
	h := x.hash(id)
	if s, ok := x.byHash[h]; ok && x.at(s).id == id {
		delete(x.byHash, h)
		x.release(s)
		return
	}
	if s, ok := x.clash[id]; ok {
		delete(x.clash, id)
		x.release(s)
	}
}

// newSlot returns a free slot.
func (x *transferIndex) newSlot() uint32 {
	if n := len(x.free); n > 0 {
		s := x.free[n-1]
		x.free = x.free[:n-1]
		return s
	}
	if x.used%transferChunk == 0 {
		x.chunks = append(x.chunks, make([]movement, transferChunk))
	}
	x.used++
	return x.used - 1
}

// release empties slot s, so that its strings and decimal can be freed,
// and makes it free.
func (x *transferIndex) release(s uint32) {
	*x.at(s) = movement{}
	x.free = append(x.free, s)
}

// all yields the movement of every transfer id, in no particular order.
func (x *transferIndex) all() iter.Seq[*movement] {
	return func(yield func(*movement) bool) {
		for _, s := range x.byHash {
			if !yield(x.at(s)) {
				return
			}
		}
		for _, s := range x.clash {
			if !yield(x.at(s)) {
				return
			}
		}
	}
}
