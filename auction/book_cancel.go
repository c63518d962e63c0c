package auction

import "fmt"

// Cancel removes the resting order id from the book and returns it, with
// its remaining quantity. An id not resting in the book fails with
// ErrUnknownOrder.
func (b *Book) Cancel(id string) (Order, error) {
	n := b.index.find(b.nodes, id)
	if n == none {
		return Order{}, fmt.Errorf("%w: %q", ErrUnknownOrder, id)
	}
	return b.remove(n), nil
}
