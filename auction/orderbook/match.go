package orderbook

import (
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/auction"
)

// Submit enters o into the book and returns the fills it makes, in the
// order they happen.
//
// The book stamps o.Seq with its next arrival number; the caller's Seq is
// ignored. o trades against the resting orders of the other side whose
// price it accepts, best price first and, at a price, in arrival order;
// each fill is at the resting order's price. A [Market] order accepts any
// price: its Price is ignored, and it never rests, so GTC and IOC mean the
// same for it. What is left of the order then depends on tif:
//   - [GTC]: a limit order rests in the book;
//   - [IOC]: it is cancelled;
//   - [FOK]: the order trades in full at once or nothing happens;
//   - [AON]: likewise, except that a limit order that cannot trade in full
//     rests whole, and then never trades in part.
//
// A resting AON order is skipped, keeping its place, by any incoming order
// that cannot fill it entirely; it trades only against one incoming order,
// never against several resting ones combined, so it may rest at a price
// that crosses the other side. Orders that are not AON never cross.
//
// Self-trade prevention cancels the incoming order: when the next order o
// would trade with belongs to o's agent, matching stops, what o has traded
// stands, and its remainder is cancelled, whatever its time in force (an
// FOK or AON order that would meet its own agent before trading in full
// does not trade at all). Orders with an empty Agent are anonymous and
// never self-trade.
//
// After Submit, [Book.Order] reports whether and how much of o rests.
// A malformed order, a kind or time in force out of range, or an id
// already resting fails with [auction.ErrInvalidOrder] or
// ErrDuplicateOrder; an order that would rest in a full book fails with
// ErrBookFull. On error nothing changes.
func (b *Book) Submit(o auction.Order, kind Kind, tif TimeInForce) ([]Fill, error) {
	return b.SubmitAppend(nil, o, kind, tif)
}

// SubmitAppend is [Book.Submit] appending the fills to dst, so that a
// caller that reuses dst allocates nothing.
func (b *Book) SubmitAppend(dst []Fill, o auction.Order, kind Kind, tif TimeInForce) ([]Fill, error) {
	if err := b.admit(&o, kind, tif); err != nil {
		return dst, err
	}
	return b.execute(dst, o, tif, kind == Limit && (tif == GTC || tif == AON))
}

// admit checks an incoming order, pricing a market order at the extreme
// of its side.
func (b *Book) admit(o *auction.Order, kind Kind, tif TimeInForce) error {
	switch kind {
	case Limit:
	case Market:
		o.Price = 1
		if o.Side == auction.Buy {
			o.Price = auction.MaxTicks
		}
	default:
		return fmt.Errorf("%w: order %q: kind %v", auction.ErrInvalidOrder, o.ID, kind)
	}
	if tif < GTC || tif > AON {
		return fmt.Errorf("%w: order %q: time in force %v", auction.ErrInvalidOrder, o.ID, tif)
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if b.index.find(b.nodes, o.ID) != none {
		return fmt.Errorf("%w: order %q is already in the book", ErrDuplicateOrder, o.ID)
	}
	return nil
}

// execute stamps o, matches it and rests its remainder if rests says it
// may. An all-or-none order, or one that may rest in a full book, is first
// matched dry, so that nothing happens unless it proceeds.
func (b *Book) execute(dst []Fill, o auction.Order, tif TimeInForce, rests bool) ([]Fill, error) {
	allOrNone := tif == FOK || tif == AON
	full := rests && b.index.n >= b.max
	if allOrNone || full {
		avail, self := b.fillable(&o)
		if avail < o.Qty {
			if full && !self {
				return dst, fmt.Errorf("%w: %d orders; order %q would rest", ErrBookFull, b.index.n, o.ID)
			}
			if allOrNone {
				b.stamp(&o)
				if rests && !self {
					b.rest(o, tif)
				}
				return dst, nil
			}
		}
	}
	b.stamp(&o)
	dst, self := b.match(dst, &o)
	if o.Qty > 0 && rests && !self {
		b.rest(o, tif)
	}
	return dst, nil
}

// stamp gives o the next arrival number.
func (b *Book) stamp(o *auction.Order) {
	b.seq++
	o.Seq = b.seq
}

// match trades t against the other side, best level first, and reports
// whether it stopped at an order of t's own agent. t.Qty is left at what
// remains of it.
func (b *Book) match(dst []Fill, t *auction.Order) ([]Fill, bool) {
	contra := b.contra(t.Side)
	limit := contra.key(t.Price)
	for i := len(contra.keys) - 1; i >= 0 && t.Qty > 0 && contra.keys[i] >= limit; i-- {
		li := contra.levels[i]
		var self bool
		dst, self = b.matchLevel(dst, t, li)
		if b.levels[li].count == 0 {
			b.dropLevel(contra, i, li)
		}
		if self {
			return dst, true
		}
	}
	return dst, false
}

// matchLevel trades t against the FIFO of level li.
func (b *Book) matchLevel(dst []Fill, t *auction.Order, li int32) ([]Fill, bool) {
	for n := b.levels[li].head; n != none && t.Qty > 0; {
		m := &b.nodes[n]
		next := m.next
		if m.tif == AON && m.order.Qty > t.Qty {
			n = next
			continue
		}
		if selfTrade(m.order.Agent, t.Agent) {
			return dst, true
		}
		q := min(t.Qty, m.order.Qty)
		dst = append(dst, Fill{
			MakerID: m.order.ID, MakerAgent: m.order.Agent,
			TakerID: t.ID, TakerAgent: t.Agent, TakerSide: t.Side,
			Price: m.order.Price, Qty: q,
		})
		t.Qty -= q
		m.order.Qty -= q
		b.levels[li].qty -= q
		if m.order.Qty == 0 {
			b.unlink(n)
		}
		n = next
	}
	return dst, false
}

// fillable returns how much of t would trade now, and whether matching
// would stop at an order of t's own agent first. It changes nothing: it is
// match run dry.
func (b *Book) fillable(t *auction.Order) (int64, bool) {
	contra := b.contra(t.Side)
	limit := contra.key(t.Price)
	want := t.Qty
	for i := len(contra.keys) - 1; i >= 0 && want > 0 && contra.keys[i] >= limit; i-- {
		for n := b.levels[contra.levels[i]].head; n != none && want > 0; n = b.nodes[n].next {
			m := &b.nodes[n].order
			if b.nodes[n].tif == AON && m.Qty > want {
				continue
			}
			if selfTrade(m.Agent, t.Agent) {
				return t.Qty - want, true
			}
			want -= min(want, m.Qty)
		}
	}
	return t.Qty - want, false
}

// selfTrade reports whether orders of agents a and b may not trade: they
// are the same agent, named.
func selfTrade(a, b string) bool { return a != "" && a == b }

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
// of range with [auction.ErrInvalidOrder]; on error nothing changes.
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

// Cancel removes the resting order id from the book and returns it, with
// its remaining quantity. An id not resting in the book fails with
// ErrUnknownOrder.
func (b *Book) Cancel(id string) (auction.Order, error) {
	n := b.index.find(b.nodes, id)
	if n == none {
		return auction.Order{}, fmt.Errorf("%w: %q", ErrUnknownOrder, id)
	}
	return b.remove(n), nil
}

// Expire removes from the book every order whose Expires is at or before
// now, earliest expiry first, and returns them with their remaining
// quantities. Orders without an expiry never lapse. The book has no clock:
// an order past its expiry keeps trading until Expire is called, so a
// market calls Expire with its clock's time before it submits.
func (b *Book) Expire(now time.Time) []auction.Order { return b.ExpireAppend(nil, now) }

// ExpireAppend is [Book.Expire] appending the expired orders to dst.
func (b *Book) ExpireAppend(dst []auction.Order, now time.Time) []auction.Order {
	for len(b.expiry.items) > 0 {
		n := b.expiry.items[0]
		if b.nodes[n].order.Expires.After(now) {
			break
		}
		dst = append(dst, b.remove(n))
	}
	return dst
}
