package auction

import "time"

// Expire removes from the book every order whose Expires is at or before
// now, earliest expiry first, and returns them with their remaining
// quantities. Orders without an expiry never lapse. The book has no clock:
// an order past its expiry keeps trading until Expire is called, so a
// market calls Expire with its clock's time before it submits.
func (b *Book) Expire(now time.Time) []Order { return b.ExpireAppend(nil, now) }

// ExpireAppend is [Book.Expire] appending the expired orders to dst.
func (b *Book) ExpireAppend(dst []Order, now time.Time) []Order {
	for len(b.expiry.items) > 0 {
		n := b.expiry.items[0]
		if b.nodes[n].order.Expires.After(now) {
			break
		}
		dst = append(dst, b.remove(n))
	}
	return dst
}

// expiryHeap is a binary min-heap of the nodes that expire, ordered by
// expiry and then arrival. Each node knows its position, so that a node
// leaving the book early is removed in logarithmic time.
type expiryHeap struct {
	items []int32
}

// less reports whether node i expires before node j.
func (h *expiryHeap) less(b *Book, i, j int32) bool {
	x, y := &b.nodes[h.items[i]].order, &b.nodes[h.items[j]].order
	if !x.Expires.Equal(y.Expires) {
		return x.Expires.Before(y.Expires)
	}
	return x.Seq < y.Seq
}

func (h *expiryHeap) swap(b *Book, i, j int32) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	b.nodes[h.items[i]].heap = i
	b.nodes[h.items[j]].heap = j
}

func (h *expiryHeap) push(b *Book, n int32) {
	h.items = append(h.items, n)
	i := int32(len(h.items) - 1)
	b.nodes[n].heap = i
	h.up(b, i)
}

// remove takes out the item at position i.
func (h *expiryHeap) remove(b *Book, i int32) {
	last := int32(len(h.items) - 1)
	b.nodes[h.items[i]].heap = none
	if i != last {
		h.items[i] = h.items[last]
		b.nodes[h.items[i]].heap = i
	}
	h.items = h.items[:last]
	if i != last {
		h.down(b, i)
		h.up(b, i)
	}
}

func (h *expiryHeap) up(b *Book, i int32) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(b, i, parent) {
			return
		}
		h.swap(b, i, parent)
		i = parent
	}
}

func (h *expiryHeap) down(b *Book, i int32) {
	n := int32(len(h.items))
	for {
		least, l, r := i, 2*i+1, 2*i+2
		if l < n && h.less(b, l, least) {
			least = l
		}
		if r < n && h.less(b, r, least) {
			least = r
		}
		if least == i {
			return
		}
		h.swap(b, i, least)
		i = least
	}
}
