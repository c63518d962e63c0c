package auction

import "fmt"

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
// already resting fails with ErrInvalidOrder or ErrDuplicateOrder; an
// order that would rest in a full book fails with ErrBookFull. On error
// nothing changes.
func (b *Book) Submit(o Order, kind Kind, tif TimeInForce) ([]Fill, error) {
	return b.SubmitAppend(nil, o, kind, tif)
}

// SubmitAppend is [Book.Submit] appending the fills to dst, so that a
// caller that reuses dst allocates nothing.
func (b *Book) SubmitAppend(dst []Fill, o Order, kind Kind, tif TimeInForce) ([]Fill, error) {
	if err := b.admit(&o, kind, tif); err != nil {
		return dst, err
	}
	return b.execute(dst, o, tif, kind == Limit && (tif == GTC || tif == AON))
}

// admit checks an incoming order, pricing a market order at the extreme
// of its side.
func (b *Book) admit(o *Order, kind Kind, tif TimeInForce) error {
	switch kind {
	case Limit:
	case Market:
		o.Price = 1
		if o.Side == Buy {
			o.Price = MaxTicks
		}
	default:
		return fmt.Errorf("%w: order %q: kind %v", ErrInvalidOrder, o.ID, kind)
	}
	if tif < GTC || tif > AON {
		return fmt.Errorf("%w: order %q: time in force %v", ErrInvalidOrder, o.ID, tif)
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
func (b *Book) execute(dst []Fill, o Order, tif TimeInForce, rests bool) ([]Fill, error) {
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
func (b *Book) stamp(o *Order) {
	b.seq++
	o.Seq = b.seq
}
