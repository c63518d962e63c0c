// Package minheap implements an indexed binary min-heap: a plain slice whose
// least item is at index 0 and whose items are each told their index as
// they move, so that any one of them can be removed, or put back in place
// after its priority changed, in O(log n).
//
// The heap is the caller's own slice type (any S ~[]E), worked on by the
// functions of this package rather than by methods, so that its owner can
// clone it, range over it, take its length with len and read its least
// item as h[0]. An [Order] compares the items and records each one's index:
// in a field of the item, or, for items that are indexes into a pool, in
// the pool. The Order is passed to every call, so it carries the state it
// needs (a pointer to the pool) or none (a zero-size struct).
//
// Every function sifts exactly as container/heap does, making the same
// comparisons and the same moves, so that items that compare equal come
// out in the same order as they would from container/heap. With an order
// that breaks every tie (a deadline, then a unique id) the order in which
// items come out depends on the items alone.
//
// A heap is not safe for concurrent use: its owner's lock guards it.
package minheap
