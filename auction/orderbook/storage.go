package orderbook

import (
	"cmp"
	"hash/maphash"
	"slices"

	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/internal/assert"
	"github.com/scarcitylabs/scarcity/internal/minheap"
)

// none marks the absence of an order, a level or a heap position.
const none int32 = -1

// node is an order resting in a [Book]: the order, with its remaining
// quantity, linked into the FIFO of its price level. Nodes live in a
// slice-backed pool and refer to one another by index; a free node is
// linked into the free list through next.
type node struct {
	order      auction.Order
	tif        TimeInForce
	prev, next int32
	level      int32
	heap       int32 // position in the expiry heap, or none
}

// allocNode takes a node from the pool for o.
func (b *Book) allocNode(o auction.Order, tif TimeInForce) int32 {
	nd := node{order: o, tif: tif, prev: none, next: none, level: none, heap: none}
	if n := b.free; n != none {
		b.free = b.nodes[n].next
		b.nodes[n] = nd
		return n
	}
	b.nodes = append(b.nodes, nd)
	return int32(len(b.nodes) - 1)
}

// freeNode returns node n to the pool, dropping the strings it holds.
func (b *Book) freeNode(n int32) {
	b.nodes[n] = node{prev: none, next: b.free, level: none, heap: none}
	b.free = n
}

// rest adds o to the book, at the back of its price level's FIFO.
func (b *Book) rest(o auction.Order, tif TimeInForce) {
	n := b.allocNode(o, tif)
	li := b.levelFor(b.side(o.Side), o.Price)
	lv := &b.levels[li]
	nd := &b.nodes[n]
	nd.level, nd.prev = li, lv.tail
	if lv.tail != none {
		b.nodes[lv.tail].next = n
	} else {
		lv.head = n
	}
	lv.tail = n
	lv.qty += o.Qty
	lv.count++
	b.index.insert(o.ID, n)
	if !o.Expires.IsZero() {
		b.expiry.push(b, n)
	}
}

// unlink takes node n out of its level's FIFO, the id index and the expiry
// heap, and frees it. It leaves an emptied level in place.
func (b *Book) unlink(n int32) {
	nd := &b.nodes[n]
	lv := &b.levels[nd.level]
	if nd.prev != none {
		b.nodes[nd.prev].next = nd.next
	} else {
		lv.head = nd.next
	}
	if nd.next != none {
		b.nodes[nd.next].prev = nd.prev
	} else {
		lv.tail = nd.prev
	}
	lv.qty -= nd.order.Qty
	lv.count--
	assert.That(lv.qty >= 0 && lv.count >= 0 && (lv.count == 0) == (lv.qty == 0),
		"orderbook: a price level's quantity and count disagree with the orders resting in it")
	if nd.heap != none {
		b.expiry.remove(b, n)
	}
	b.index.remove(nd.order.ID, n)
	b.freeNode(n)
}

// remove takes node n out of the book, dropping its level if emptied, and
// returns its order.
func (b *Book) remove(n int32) auction.Order {
	o := b.nodes[n].order
	li := b.nodes[n].level
	b.unlink(n)
	b.dropIfEmpty(b.side(o.Side), li)
	return o
}

// level is a price level: a FIFO of the orders resting at one price,
// linked through their nodes.
type level struct {
	price      int64
	qty        int64
	count      int32
	head, tail int32
}

// bookSide holds the active price levels of one side, sorted so that the
// best price is last: a new best price, the common case, is appended, and
// a level emptied by matching is dropped from the end.
type bookSide struct {
	// keys are the levels' sort keys, ascending: the price for bids, the
	// negated price for asks, so that a higher key is a better price.
	keys   []int64
	levels []int32 // levels[i] is the level whose key is keys[i]
	sign   int64   // 1 for bids, -1 for asks
}

// key returns the sort key of price on this side.
func (s *bookSide) key(price int64) int64 { return s.sign * price }

// find returns the position of price's level, or where it would go.
func (s *bookSide) find(price int64) (int, bool) {
	return slices.BinarySearch(s.keys, s.key(price))
}

// insert adds level li for price at position i.
func (s *bookSide) insert(i int, price int64, li int32) {
	s.keys = slices.Insert(s.keys, i, s.key(price))
	s.levels = slices.Insert(s.levels, i, li)
}

// removeAt drops the level at position i.
func (s *bookSide) removeAt(i int) {
	s.keys = slices.Delete(s.keys, i, i+1)
	s.levels = slices.Delete(s.levels, i, i+1)
}

// best returns the best level, if any.
func (s *bookSide) best() (int32, bool) {
	if len(s.levels) == 0 {
		return none, false
	}
	return s.levels[len(s.levels)-1], true
}

// reset empties the side and keeps its storage.
func (s *bookSide) reset() {
	s.keys = s.keys[:0]
	s.levels = s.levels[:0]
}

// newLevel takes a level from the pool, empty, at price.
func (b *Book) newLevel(price int64) int32 {
	lv := level{price: price, head: none, tail: none}
	if n := len(b.freeLevels); n > 0 {
		li := b.freeLevels[n-1]
		b.freeLevels = b.freeLevels[:n-1]
		b.levels[li] = lv
		return li
	}
	b.levels = append(b.levels, lv)
	return int32(len(b.levels) - 1)
}

// levelFor returns the level at price on side s, adding it if needed.
func (b *Book) levelFor(s *bookSide, price int64) int32 {
	i, ok := s.find(price)
	if ok {
		return s.levels[i]
	}
	li := b.newLevel(price)
	s.insert(i, price, li)
	return li
}

// dropLevel removes the empty level li, at position i of s, and returns it
// to the pool.
func (b *Book) dropLevel(s *bookSide, i int, li int32) {
	s.removeAt(i)
	b.freeLevels = append(b.freeLevels, li)
}

// dropIfEmpty removes level li at price from s if it holds no order.
func (b *Book) dropIfEmpty(s *bookSide, li int32) {
	lv := &b.levels[li]
	if lv.count > 0 {
		return
	}
	if i, ok := s.find(lv.price); ok {
		b.dropLevel(s, i, li)
	}
}

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
		assert.That(x.slots[i].node != none, "orderbook: an order resting in the book is missing from its index")
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

// expiryHeap is a binary min-heap of the nodes that expire, ordered by
// expiry and then arrival. Each node records its index, so that a node
// leaving the book early is removed in logarithmic time.
type expiryHeap struct {
	items []int32
}

func (h *expiryHeap) push(b *Book, n int32) { minheap.Push(&h.items, byExpiry{b}, n) }

func (h *expiryHeap) remove(b *Book, n int32) { minheap.Remove(&h.items, byExpiry{b}, n) }

// byExpiry orders the nodes of a book's expiry heap and keeps their index
// in it in their heap field.
type byExpiry struct{ b *Book }

func (o byExpiry) Compare(m, n int32) int {
	x, y := &o.b.nodes[m].order, &o.b.nodes[n].order
	if c := x.Expires.Compare(y.Expires); c != 0 {
		return c
	}
	return cmp.Compare(x.Seq, y.Seq)
}

func (o byExpiry) Index(n int32) int       { return int(o.b.nodes[n].heap) }
func (o byExpiry) SetIndex(n int32, i int) { o.b.nodes[n].heap = int32(i) }
