package scarcity

import (
	"cmp"
	"slices"
	"time"

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
	placed map[string]time.Time // the order ids spent on a hold, and when
	// spentOrder are the ids of placed in the order they were spent, for
	// retention > 0 to forget them; retention 0 keeps them for good.
	spentOrder []spentID
	retention  time.Duration
	seq        uint64
}

// spentID is an order id spent at at.
type spentID struct {
	at time.Time
	id string
}

func newBook(max int, retention time.Duration) *book {
	return &book{max: max, orders: make(map[string]order), placed: make(map[string]time.Time), retention: retention}
}

func (b *book) full() bool { return len(b.orders) >= b.max }

// add stamps bid with the next arrival sequence and keeps it.
func (b *book) add(bid auction.Bid, holdID string, at time.Time) {
	b.seq++
	bid.Seq = b.seq
	b.orders[bid.ID] = order{bid: bid, holdID: holdID}
	b.spend(bid.ID, at)
}

// spend records that an order id has been used for a hold at at and may
// not be used again: for the market's lifetime, or for Config.Retention,
// as the ledger keeps its transfer and hold ids.
func (b *book) spend(id string, at time.Time) {
	if _, ok := b.placed[id]; ok {
		return
	}
	b.placed[id] = at
	if b.retention > 0 {
		b.spentOrder = append(b.spentOrder, spentID{at: at, id: id})
	}
}

// forgetOld forgets the spent ids of orders no longer in the book that were
// spent retention or longer before now.
func (b *book) forgetOld(now time.Time) {
	if b.retention <= 0 {
		return
	}
	cutoff, n := now.Add(-b.retention), 0
	for ; n < len(b.spentOrder) && !b.spentOrder[n].at.After(cutoff); n++ {
		s := b.spentOrder[n]
		if _, open := b.orders[s.id]; open {
			break // forget in order: this one and those after it wait
		}
		delete(b.placed, s.id)
	}
	clear(b.spentOrder[:n])
	b.spentOrder = b.spentOrder[n:]
}

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
