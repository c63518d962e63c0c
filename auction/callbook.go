package auction

import (
	"cmp"
	"fmt"
	"strings"
)

// maxCallOrders bounds the number of orders of a call, so that positions fit
// a uint32 and the lots of a side, each at most MaxTicks, add up to at most
// 2^62.
const maxCallOrders = 1 << 31

// bookKey is an order in the compact form a call sorts: its price and
// quantity fit 32 bits since both are at most MaxTicks.
type bookKey struct {
	seq   uint64
	price uint32
	qty   uint32
	idx   uint32 // position in the orders
}

// book is a call's orders sorted once into the priority order of each side.
type book struct {
	orders []Order
	buys   []bookKey // price descending, then time priority
	sells  []bookKey // price ascending, then time priority
}

// newBook validates orders and sorts them. Errors wrap ErrInvalidOrder.
func newBook(orders []Order) (*book, error) {
	if len(orders) >= maxCallOrders {
		return nil, fmt.Errorf("%w: %d orders, at most %d", ErrInvalidOrder, len(orders), maxCallOrders-1)
	}
	var nbuy int
	var buyLots, sellLots int64
	for i := range orders {
		o := &orders[i]
		if err := o.Validate(); err != nil {
			return nil, err
		}
		if o.Side == Buy {
			nbuy++
			buyLots += o.Qty
		} else {
			sellLots += o.Qty
		}
	}
	if min(buyLots, sellLots) > MaxTicks {
		return nil, fmt.Errorf("%w: %d lots bought and %d sold, one side must be at most %d",
			ErrInvalidOrder, buyLots, sellLots, int64(MaxTicks))
	}
	if err := checkUniqueIDs(orders); err != nil {
		return nil, err
	}
	b := &book{orders: orders}
	keys := make([]bookKey, len(orders))
	b.buys, b.sells = keys[:0:nbuy], keys[nbuy:nbuy]
	for i := range orders {
		o := &orders[i]
		k := bookKey{seq: o.Seq, price: uint32(o.Price), qty: uint32(o.Qty), idx: uint32(i)}
		if o.Side == Buy {
			b.buys = append(b.buys, k)
		} else {
			b.sells = append(b.sells, k)
		}
	}
	b.sortSides()
	return b, nil
}

// bidOrder sorts buys by price descending, then by time priority.
func (b *book) bidOrder(x, y bookKey) int {
	if x.price != y.price {
		return cmp.Compare(y.price, x.price)
	}
	return b.timeOrder(x, y)
}

// askOrder sorts sells by price ascending, then by time priority.
func (b *book) askOrder(x, y bookKey) int {
	if x.price != y.price {
		return cmp.Compare(x.price, y.price)
	}
	return b.timeOrder(x, y)
}

// timeOrder is Order.Before as a comparison: Seq, then ID.
func (b *book) timeOrder(x, y bookKey) int {
	if x.seq != y.seq {
		return cmp.Compare(x.seq, y.seq)
	}
	return strings.Compare(b.orders[x.idx].ID, b.orders[y.idx].ID)
}

// margin describes the efficient allocation of a book.
type margin struct {
	q       int64 // efficient volume
	welfare int64 // its gain from trade
	// bid and ask are the prices of the q-th buy and sell units (q > 0);
	// nextBid and nextAsk those of the (q+1)-th, where hasNextBid and
	// hasNextAsk say the unit exists.
	bid, ask               int64
	nextBid, nextAsk       int64
	hasNextBid, hasNextAsk bool
}

// efficient finds the efficient allocation: it walks both sides in
// priority order a run of equal-priced lots at a time, trading while the
// buy price is at least the sell price.
func (b *book) efficient() margin {
	var m margin
	i, j := 0, 0
	var bi, sj int64 // lots left of buys[i] and sells[j]
	if len(b.buys) > 0 {
		bi = int64(b.buys[0].qty)
	}
	if len(b.sells) > 0 {
		sj = int64(b.sells[0].qty)
	}
	for i < len(b.buys) && j < len(b.sells) && b.buys[i].price >= b.sells[j].price {
		n := min(bi, sj)
		m.q += n
		m.bid, m.ask = int64(b.buys[i].price), int64(b.sells[j].price)
		m.welfare += (m.bid - m.ask) * n
		if bi -= n; bi == 0 {
			if i++; i < len(b.buys) {
				bi = int64(b.buys[i].qty)
			}
		}
		if sj -= n; sj == 0 {
			if j++; j < len(b.sells) {
				sj = int64(b.sells[j].qty)
			}
		}
	}
	if i < len(b.buys) {
		m.nextBid, m.hasNextBid = int64(b.buys[i].price), true
	}
	if j < len(b.sells) {
		m.nextAsk, m.hasNextAsk = int64(b.sells[j].price), true
	}
	return m
}

// call returns the Call in which the first volume lots of the buy side
// trade at buyPrice, and the sell lots at positions 0 to upto−1 (from 0, in
// priority order) less the one at position skip trade at sellPrice. Without
// a skip (skip < 0), upto is volume; with one, upto is volume + 1.
func (b *book) call(m margin, volume, upto, skip, buyPrice, sellPrice int64) Call {
	c := Call{OptimalVolume: m.q, OptimalWelfare: m.welfare}
	if volume == 0 {
		return c
	}
	c.BuyPrice, c.SellPrice, c.Volume = buyPrice, sellPrice, volume
	c.Trades = make([]Trade, 0, spanned(b.buys, volume)+spanned(b.sells, upto))
	var paid, received int64
	c.Trades, paid = b.take(c.Trades, b.buys, volume, -1, buyPrice)
	c.Trades, received = b.take(c.Trades, b.sells, upto, skip, sellPrice)
	c.Welfare = paid - received
	return c
}

// spanned returns how many of keys hold the first n lots.
func spanned(keys []bookKey, n int64) int {
	for i, k := range keys {
		if n -= int64(k.qty); n <= 0 {
			return i + 1
		}
	}
	return len(keys)
}

// take appends to trades, at price, the lots of keys at positions 0 to
// upto−1 in priority order, less the lot at position skip if skip >= 0. It
// returns the trades and the sum of the lots taken times their orders'
// prices.
func (b *book) take(trades []Trade, keys []bookKey, upto, skip, price int64) ([]Trade, int64) {
	var pos, value int64
	for _, k := range keys {
		if pos >= upto {
			break
		}
		lots := min(int64(k.qty), upto-pos)
		if skip >= pos && skip < pos+lots {
			lots--
		}
		pos += int64(k.qty)
		if lots == 0 {
			continue
		}
		value += int64(k.price) * lots
		o := &b.orders[k.idx]
		trades = append(trades, Trade{Index: int(k.idx), ID: o.ID, Agent: o.Agent, Side: o.Side, Lots: lots, Price: price})
	}
	return trades, value
}
