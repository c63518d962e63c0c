package minheap

import "slices"

// Order orders the items of a heap and records the index of each. An Order
// whose items are never removed or fixed by key may return -1 from Index
// and ignore SetIndex.
type Order[E any] interface {
	// Compare returns a negative number if a comes out of the heap before
	// b, a positive one if after, and 0 if either may.
	Compare(a, b E) int
	// Index returns the index that SetIndex last recorded for e, or -1 if
	// e is not in the heap.
	Index(e E) int
	// SetIndex records that e is at index i of the heap or, if i is -1,
	// that it has left it.
	SetIndex(e E, i int)
}

// Push adds e to the heap.
func Push[S ~[]E, E any, O Order[E]](h *S, o O, e E) {
	*h = append(*h, e)
	up(*h, o, len(*h)-1)
}

// Min returns the least item without removing it; ok is false if the heap
// is empty.
func Min[S ~[]E, E any](h S) (e E, ok bool) {
	if len(h) == 0 {
		return e, false
	}
	return h[0], true
}

// Pop removes and returns the least item; ok is false if the heap is
// empty.
func Pop[S ~[]E, E any, O Order[E]](h *S, o O) (e E, ok bool) {
	if len(*h) == 0 {
		return e, false
	}
	return removeAt(h, o, 0), true
}

// Remove takes e out of the heap, finding it by its index, and reports
// whether it was in it.
func Remove[S ~[]E, E any, O Order[E]](h *S, o O, e E) bool {
	i := o.Index(e)
	if i < 0 {
		return false
	}
	removeAt(h, o, i)
	return true
}

// Fix moves e to its place after its priority changed, and reports whether
// it is in the heap.
func Fix[S ~[]E, E any, O Order[E]](h S, o O, e E) bool {
	i := o.Index(e)
	if i < 0 {
		return false
	}
	if !down(h, o, i, len(h)) {
		up(h, o, i)
	}
	return true
}

// Init orders h, a slice in any order, into a heap and records the index
// of every item.
func Init[S ~[]E, E any, O Order[E]](h S, o O) {
	for i, e := range h {
		o.SetIndex(e, i)
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(h, o, i, len(h))
	}
}

// Head returns, least first, the items for which in holds, without
// removing them. in must hold for every item that comes out before one it
// holds for, as "due by now" does on a heap ordered by time: Head then
// visits only those items and the children of their last ones.
func Head[S ~[]E, E any, O Order[E]](h S, o O, in func(E) bool) []E {
	out := head(h, in, 0, nil)
	slices.SortFunc(out, o.Compare)
	return out
}

// head appends to out the items of the subtree at i for which in holds,
// stopping at each item it does not hold for.
func head[S ~[]E, E any](h S, in func(E) bool, i int, out []E) []E {
	if i >= len(h) || !in(h[i]) {
		return out
	}
	out = append(out, h[i])
	out = head(h, in, 2*i+1, out)
	return head(h, in, 2*i+2, out)
}

// removeAt removes and returns the item at index i, as container/heap's
// Remove does: the last item takes its place and sifts down or up.
func removeAt[S ~[]E, E any, O Order[E]](h *S, o O, i int) E {
	s := *h
	n := len(s) - 1
	e := s[i]
	if i != n {
		s[i] = s[n]
		if !down(s, o, i, n) {
			up(s, o, i)
		}
	}
	var zero E
	s[n] = zero
	*h = s[:n]
	o.SetIndex(e, -1)
	return e
}

// up moves the item at index j towards the root while it is less than its
// parent.
func up[S ~[]E, E any, O Order[E]](h S, o O, j int) {
	e := h[j]
	for j > 0 {
		parent := (j - 1) / 2
		if o.Compare(e, h[parent]) >= 0 {
			break
		}
		h[j] = h[parent]
		o.SetIndex(h[j], j)
		j = parent
	}
	h[j] = e
	o.SetIndex(e, j)
}

// down moves the item at index i0 towards the leaves, among the first n
// items, while a child is less than it: the lesser child, the left one on
// a tie. It reports whether the item moved.
func down[S ~[]E, E any, O Order[E]](h S, o O, i0, n int) bool {
	e := h[i0]
	i := i0
	for {
		child := 2*i + 1
		if child >= n || child < 0 { // child < 0 after int overflow
			break
		}
		if right := child + 1; right < n && o.Compare(h[right], h[child]) < 0 {
			child = right
		}
		if o.Compare(h[child], e) >= 0 {
			break
		}
		h[i] = h[child]
		o.SetIndex(h[i], i)
		i = child
	}
	h[i] = e
	o.SetIndex(e, i)
	return i > i0
}
