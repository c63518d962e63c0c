package auction

import "fmt"

// Replace changes the price and the remaining quantity of the resting
// order id, as the exchanges do: a pure decrease of quantity at the same
// price (or no change at all) keeps the order's place in its queue;
// anything else loses it. The order is then taken out and entered again
// as a new arrival with the same id, agent, expiry and time in force, and
// may trade at once as an incoming order would under [Book.Submit] — its
// fills are returned — including the self-trade rule, which may cancel it.
//
// qty is the new remaining quantity, not the original one. An id not
// resting in the book fails with ErrUnknownOrder, a price or quantity out
// of range with ErrInvalidOrder; on error nothing changes.
func (b *Book) Replace(id string, price, qty int64) ([]Fill, error) {
	return b.ReplaceAppend(nil, id, price, qty)
}

// ReplaceAppend is [Book.Replace] appending the fills to dst.
func (b *Book) ReplaceAppend(dst []Fill, id string, price, qty int64) ([]Fill, error) {
	n := b.index.find(b.nodes, id)
	if n == none {
		return dst, fmt.Errorf("%w: %q", ErrUnknownOrder, id)
	}
	nd := &b.nodes[n]
	o := nd.order
	o.Price, o.Qty = price, qty
	if err := o.Validate(); err != nil {
		return dst, err
	}
	if price == nd.order.Price && qty <= nd.order.Qty {
		b.levels[nd.level].qty -= nd.order.Qty - qty
		nd.order.Qty = qty
		return dst, nil
	}
	tif := nd.tif
	b.remove(n)
	return b.execute(dst, o, tif, true)
}
