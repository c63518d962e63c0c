package auction

// node is an order resting in a [Book]: the order, with its remaining
// quantity, linked into the FIFO of its price level. Nodes live in a
// slice-backed pool and refer to one another by index; a free node is
// linked into the free list through next.
type node struct {
	order      Order
	tif        TimeInForce
	prev, next int32
	level      int32
	heap       int32 // position in the expiry heap, or none
}

// allocNode takes a node from the pool for o.
func (b *Book) allocNode(o Order, tif TimeInForce) int32 {
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
func (b *Book) rest(o Order, tif TimeInForce) {
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
	if nd.heap != none {
		b.expiry.remove(b, nd.heap)
	}
	b.index.remove(nd.order.ID, n)
	b.freeNode(n)
}

// remove takes node n out of the book, dropping its level if emptied, and
// returns its order.
func (b *Book) remove(n int32) Order {
	o := b.nodes[n].order
	li := b.nodes[n].level
	b.unlink(n)
	b.dropIfEmpty(b.side(o.Side), li)
	return o
}
