package auction

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// CallRule clears one round of a single-resource call market: every order
// of the round is collected, then the rule decides at once who trades, how
// many lots, and at which prices.
//
// ClearCall must be pure and deterministic: it does not modify orders, and
// the same orders, in any order, give the same Call (the same random draws
// for a randomised rule). It returns an error wrapping ErrInvalidOrder, and
// nothing else, if an order does not validate, two orders share an ID, or
// the orders are too many to clear exactly (see [Call]).
type CallRule interface {
	Name() string
	ClearCall(orders []Order) (Call, error)
}

// Trade is what one order trades in a call.
type Trade struct {
	// Index is the order's position in the orders cleared.
	Index int
	// ID and Agent are the order's.
	ID    string
	Agent string
	// Side is the order's side.
	Side Side
	// Lots is the quantity traded, from 1 to the order's Qty.
	Lots int64
	// Price is the price per lot in ticks: the call's BuyPrice for a buy,
	// its SellPrice for a sell.
	Price int64
}

// Call is the outcome of clearing one round of a single-resource call
// market, in ticks and lots.
//
// Units are lots: an order of Qty lots at Price is Qty units each valued
// Price. The efficient allocation sorts buy units by price descending and
// sell units by price ascending, each by time priority ([Order.Before])
// within a price, and trades the first q units of each side, q the largest
// number with the q-th buy unit's price at least the q-th sell unit's.
//
// All figures are exact int64s. Orders validate to prices and quantities of
// at most [MaxTicks]; a rule further requires that the lots of the buys or
// the lots of the sells (whichever is smaller) add up to at most MaxTicks,
// and that there are fewer than 2^31 orders, so that every volume is at most
// 2^31 lots and every sum of price × lots at most 2^62.
type Call struct {
	// Trades lists every order that trades: the buys in priority order
	// (price descending, then time), then the sells in priority order
	// (price ascending, then time).
	Trades []Trade
	// BuyPrice is what buyers pay per lot and SellPrice what sellers receive
	// per lot, in ticks. They differ only under a rule that is not strongly
	// budget balanced; both are zero when nothing trades.
	BuyPrice  int64
	SellPrice int64
	// Volume is the number of lots traded: the lots bought, which equal the
	// lots sold.
	Volume int64
	// OptimalVolume is q, the volume of the efficient allocation.
	OptimalVolume int64
	// Welfare is the realised gain from trade, in ticks × lots: the buyers'
	// prices times the lots they bought less the sellers' prices times the
	// lots they sold.
	Welfare int64
	// OptimalWelfare is the gain from trade of the efficient allocation,
	// the largest any allocation of the orders reaches.
	OptimalWelfare int64
}

// Budget returns what the buyers pay less what the sellers receive, in
// ticks: (BuyPrice − SellPrice) × Volume, never negative.
func (c Call) Budget() int64 { return (c.BuyPrice - c.SellPrice) * c.Volume }

// maxCallOrders bounds the number of orders of a call, so that positions fit
// a uint32 and the lots of a side, each at most MaxTicks, add up to at most
// 2^62.
const maxCallOrders = 1 << 31

// callKey is an order in the compact form a call sorts: its price and
// quantity fit 32 bits since both are at most MaxTicks.
type callKey struct {
	seq   uint64
	price uint32
	qty   uint32
	idx   uint32 // position in the orders
}

// callBook is a call's orders, sorted once into the priority order of
// each side.
type callBook struct {
	orders []Order
	buys   []callKey // price descending, then time priority
	sells  []callKey // price ascending, then time priority
}

// newCallBook validates orders and sorts them. Errors wrap ErrInvalidOrder.
func newCallBook(orders []Order) (*callBook, error) {
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
	b := &callBook{orders: orders}
	keys := make([]callKey, len(orders))
	b.buys, b.sells = keys[:0:nbuy], keys[nbuy:nbuy]
	for i := range orders {
		o := &orders[i]
		k := callKey{seq: o.Seq, price: uint32(o.Price), qty: uint32(o.Qty), idx: uint32(i)}
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
func (b *callBook) bidOrder(x, y callKey) int {
	if x.price != y.price {
		return cmp.Compare(y.price, x.price)
	}
	return b.timeOrder(x, y)
}

// askOrder sorts sells by price ascending, then by time priority.
func (b *callBook) askOrder(x, y callKey) int {
	if x.price != y.price {
		return cmp.Compare(x.price, y.price)
	}
	return b.timeOrder(x, y)
}

// timeOrder is Order.Before as a comparison: Seq, then ID.
func (b *callBook) timeOrder(x, y callKey) int {
	if x.seq != y.seq {
		return cmp.Compare(x.seq, y.seq)
	}
	return strings.Compare(b.orders[x.idx].ID, b.orders[y.idx].ID)
}

// sortSides sorts b.buys into price descending and b.sells into price
// ascending order, each then by Seq, then ID (Order.Before). Long sides are
// sorted by a stable least-significant-digit radix sort on the bytes of Seq
// and then of the price, skipping the bytes on which all keys agree, which
// is linear in the number of orders; runs of keys with the same price and
// Seq are then sorted by ID.
func (b *callBook) sortSides() {
	buf := make([]callKey, max(len(b.buys), len(b.sells)))
	b.sortSide(b.buys, buf, ^uint32(0), b.bidOrder)
	b.sortSide(b.sells, buf, 0, b.askOrder)
}

// sortSide sorts keys by price XOR flip (flip = all ones sorts prices
// descending), then Seq, then ID; order is the same ordering as a
// comparison.
func (b *callBook) sortSide(keys, buf []callKey, flip uint32, order func(x, y callKey) int) {
	if len(keys) < 256 {
		slices.SortFunc(keys, order)
		return
	}
	src, dst := keys, buf[:len(keys)]
	for d := range 12 { // 8 bytes of Seq, then 4 of the price
		if radixPass(src, dst, d, flip) {
			src, dst = dst, src
		}
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].seq == keys[i].seq && keys[j].price == keys[i].price {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], b.timeOrder)
		}
		i = j
	}
}

// digit returns byte d of k's sort word: bytes 0 to 7 are Seq's, from the
// least significant, and 8 to 11 the price's XOR flip.
func digit(k *callKey, d int, flip uint32) byte {
	if d < 8 {
		return byte(k.seq >> (8 * d))
	}
	return byte((k.price ^ flip) >> (8 * (d - 8)))
}

// radixPass distributes src into dst stably by byte d, and reports whether
// it did: it does nothing when every key has the same byte d.
func radixPass(src, dst []callKey, d int, flip uint32) bool {
	var count [256]int
	for i := range src {
		count[digit(&src[i], d, flip)]++
	}
	if count[digit(&src[0], d, flip)] == len(src) {
		return false
	}
	sum := 0
	for i, n := range count {
		count[i] = sum
		sum += n
	}
	for i := range src {
		x := digit(&src[i], d, flip)
		dst[count[x]] = src[i]
		count[x]++
	}
	return true
}

// checkUniqueIDs returns an error wrapping ErrInvalidOrder if two orders
// share an ID, naming the first such order in input order. It sorts 64-bit
// hashes of the IDs, which is linear in the number of orders, and compares
// the IDs themselves only when two hashes are equal.
func checkUniqueIDs(orders []Order) error {
	hashes := make([]uint64, len(orders))
	for i := range orders {
		hashes[i] = hashID(orders[i].ID)
	}
	sortHashes(hashes)
	for i := 1; i < len(hashes); i++ {
		if hashes[i] == hashes[i-1] {
			return firstDuplicate(orders)
		}
	}
	return nil
}

// firstDuplicate returns an error naming the first order whose ID an
// earlier order has, or nil if there is none (two IDs shared a hash).
func firstDuplicate(orders []Order) error {
	seen := make(map[string]int, len(orders))
	for i := range orders {
		if j, dup := seen[orders[i].ID]; dup {
			return fmt.Errorf("%w: orders %d and %d share the id %q", ErrInvalidOrder, j, i, orders[i].ID)
		}
		seen[orders[i].ID] = i
	}
	return nil
}

// hashID is 64-bit FNV-1a.
func hashID(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// sortHashes sorts h ascending: a least-significant-digit radix sort by
// bytes for long slices, skipping the bytes on which all hashes agree.
func sortHashes(h []uint64) {
	if len(h) < 1024 {
		slices.Sort(h)
		return
	}
	buf := make([]uint64, len(h))
	src, dst := h, buf
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, x := range src {
			count[byte(x>>shift)]++
		}
		if count[byte(src[0]>>shift)] == len(src) {
			continue
		}
		sum := 0
		for i, n := range count {
			count[i] = sum
			sum += n
		}
		for _, x := range src {
			d := byte(x >> shift)
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &h[0] {
		copy(h, src)
	}
}

// margin describes the efficient allocation of a call book.
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
func (b *callBook) efficient() margin {
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
func (b *callBook) call(m margin, volume, upto, skip, buyPrice, sellPrice int64) Call {
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
func spanned(keys []callKey, n int64) int {
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
func (b *callBook) take(trades []Trade, keys []callKey, upto, skip, price int64) ([]Trade, int64) {
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
