package scarcity

import (
	"cmp"
	"slices"

	"github.com/scarcitylabs/scarcity/auction"
)

// order is a bid in the book and the hold that backs it.
type order struct {
	bid    auction.Bid
	holdID string
}

// book holds the bids waiting for the next clearing round, at most max.
type book struct {
	max    int
	orders map[string]order
	placed map[string]struct{} // every order id ever spent on a hold
	seq    uint64
}

func newBook(max int) *book {
	return &book{max: max, orders: make(map[string]order), placed: make(map[string]struct{})}
}

func (b *book) full() bool { return len(b.orders) >= b.max }

// add stamps bid with the next arrival sequence and keeps it.
func (b *book) add(bid auction.Bid, holdID string) {
	b.seq++
	bid.Seq = b.seq
	b.orders[bid.ID] = order{bid: bid, holdID: holdID}
	b.spend(bid.ID)
}

// spend records that an order id has been used for a hold and may not be
// used again. The record is kept for the market's lifetime, as the
// ledger keeps its transfer and hold ids.
func (b *book) spend(id string) { b.placed[id] = struct{}{} }

// spent reports whether an order id was ever used for a hold.
func (b *book) spent(id string) bool {
	_, ok := b.placed[id]
	return ok
}

func (b *book) get(id string) (order, bool) {
	o, ok := b.orders[id]
	return o, ok
}

func (b *book) remove(id string) { delete(b.orders, id) }

// bids returns the book's bids in arrival order.
func (b *book) bids() []auction.Bid {
	out := make([]auction.Bid, 0, len(b.orders))
	for _, o := range b.orders {
		out = append(out, o.bid)
	}
	slices.SortFunc(out, func(x, y auction.Bid) int { return cmp.Compare(x.Seq, y.Seq) })
	return out
}
