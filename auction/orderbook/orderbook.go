package orderbook

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/auction"
)

// DefaultMaxOrders is the number of orders a [Book] holds at most when
// Options.MaxOrders is zero.
const DefaultMaxOrders = 1 << 20

// maxOrders bounds Options.MaxOrders, so that orders are indexed by
// int32.
const maxOrders = 1 << 30

// Options configures a [Book]. The zero value means the defaults.
type Options struct {
	// MaxOrders is the most orders the book holds; zero means
	// DefaultMaxOrders. When the book is full, an order that would rest is
	// refused with ErrBookFull, and nothing changes; one that trades in
	// full at once is still accepted.
	MaxOrders int
}

// Book is a continuous double auction for one resource: a limit order book
// matched by price-time priority. An incoming order trades against the
// resting orders of the other side, best price first and, at a price, in
// arrival order, always at the resting order's price; what is left of a
// limit order rests if its time in force allows it. See [Book.Submit] for
// the rules.
//
// The book allocates nothing per order once warm: orders live in a pool
// indexed by int32 with a free list, each price level is an intrusive FIFO
// of its orders, levels are pooled, and each side keeps its active prices in
// a sorted slice with the best price last. Storage grows, and allocates,
// only when the book holds more orders or price levels than ever before.
//
// A Book is not safe for concurrent use: the market that owns it is its
// single writer. The book publishes nothing; it returns fills and removed
// orders to its caller.
type Book struct {
	max        int
	nodes      []node
	free       int32
	levels     []level
	freeLevels []int32
	bids, asks bookSide
	index      bookIndex
	expiry     expiryHeap
	seq        uint64
}

// New returns an empty book. MaxOrders out of range fails with
// [auction.ErrInvalidArgument].
func New(opts Options) (*Book, error) {
	if opts.MaxOrders < 0 || opts.MaxOrders > maxOrders {
		return nil, fmt.Errorf("%w: MaxOrders %d not in [0, %d]", auction.ErrInvalidArgument, opts.MaxOrders, maxOrders)
	}
	if opts.MaxOrders == 0 {
		opts.MaxOrders = DefaultMaxOrders
	}
	return &Book{
		max:   opts.MaxOrders,
		free:  none,
		bids:  bookSide{sign: 1},
		asks:  bookSide{sign: -1},
		index: newBookIndex(),
	}, nil
}

// Reset empties the book and restarts its arrival numbers, keeping its
// storage for reuse.
func (b *Book) Reset() {
	clear(b.nodes)
	b.nodes = b.nodes[:0]
	b.free = none
	b.levels = b.levels[:0]
	b.freeLevels = b.freeLevels[:0]
	b.bids.reset()
	b.asks.reset()
	b.index.reset()
	b.expiry.items = b.expiry.items[:0]
	b.seq = 0
}

// Kind says how an order submitted to a [Book] is priced.
type Kind uint8

// The kinds of order a Book accepts.
const (
	// Limit trades at its price or better.
	Limit Kind = iota + 1
	// Market trades at any price; its Price is ignored and it never rests.
	Market
)

// String returns "limit" or "market".
func (k Kind) String() string {
	switch k {
	case Limit:
		return "limit"
	case Market:
		return "market"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// TimeInForce says what becomes of the part of an order submitted to a
// [Book] that does not trade at once.
type TimeInForce uint8

// The times in force a Book accepts.
const (
	// GTC, good till cancelled: the remainder of a limit order rests in
	// the book until it trades, is cancelled or expires.
	GTC TimeInForce = iota + 1
	// IOC, immediate or cancel: the order trades what it can at once and
	// the remainder is cancelled.
	IOC
	// FOK, fill or kill: the order trades in full at once, or nothing
	// happens.
	FOK
	// AON, all or none: the order only ever trades in full, in one
	// submission. A limit order that cannot trade in full at once rests
	// whole; while resting it is skipped by any incoming order too small to
	// fill it entirely, and it is never partially filled. A market AON
	// order behaves like FOK.
	AON
)

// String returns "gtc", "ioc", "fok" or "aon".
func (t TimeInForce) String() string {
	switch t {
	case GTC:
		return "gtc"
	case IOC:
		return "ioc"
	case FOK:
		return "fok"
	case AON:
		return "aon"
	}
	return fmt.Sprintf("tif(%d)", uint8(t))
}

// Fill is one trade between an order resting in a [Book], the maker, and
// an incoming order, the taker. It is always at the maker's price.
type Fill struct {
	// MakerID and MakerAgent identify the resting order.
	MakerID, MakerAgent string
	// TakerID and TakerAgent identify the incoming order.
	TakerID, TakerAgent string
	// TakerSide is the incoming order's side: [auction.Buy] when the taker
	// bought.
	TakerSide auction.Side
	// Price is the maker's price, in ticks per lot per second.
	Price int64
	// Qty is the quantity traded, in lots.
	Qty int64
}

// Len returns the number of orders resting in the book.
func (b *Book) Len() int { return b.index.n }

// Order returns the resting order id, with its remaining quantity and the
// arrival number the book gave it, and whether it rests in the book.
func (b *Book) Order(id string) (auction.Order, bool) {
	n := b.index.find(b.nodes, id)
	if n == none {
		return auction.Order{}, false
	}
	return b.nodes[n].order, true
}

// BestBid returns the highest price a resting buy order bids, and false if
// there is none. Resting AON orders count; see [AON].
func (b *Book) BestBid() (int64, bool) { return b.bestPrice(&b.bids) }

// BestAsk returns the lowest price a resting sell order asks, and false if
// there is none. Resting AON orders count; see [AON].
func (b *Book) BestAsk() (int64, bool) { return b.bestPrice(&b.asks) }

func (b *Book) bestPrice(s *bookSide) (int64, bool) {
	li, ok := s.best()
	if !ok {
		return 0, false
	}
	return b.levels[li].price, true
}

// Depth returns up to n price levels of side, best first.
func (b *Book) Depth(side auction.Side, n int) []Level { return b.DepthAppend(nil, side, n) }

// DepthAppend is [Book.Depth] appending the levels to dst.
func (b *Book) DepthAppend(dst []Level, side auction.Side, n int) []Level {
	s := b.side(side)
	if s == nil {
		return dst
	}
	for i := len(s.levels) - 1; i >= 0 && n > 0; i, n = i-1, n-1 {
		lv := &b.levels[s.levels[i]]
		dst = append(dst, Level{Price: lv.price, Qty: lv.qty, Orders: int(lv.count)})
	}
	return dst
}

// Level is one price level of a [Book]'s depth: the lots resting at a
// price and the number of orders that hold them.
type Level struct {
	// Price in ticks per lot per second.
	Price int64
	// Qty is the total quantity resting at Price, in lots.
	Qty int64
	// Orders is the number of orders resting at Price.
	Orders int
}

// side returns the side orders of side s rest on, or nil.
func (b *Book) side(s auction.Side) *bookSide {
	switch s {
	case auction.Buy:
		return &b.bids
	case auction.Sell:
		return &b.asks
	}
	return nil
}

// contra returns the side an order of side s trades against.
func (b *Book) contra(s auction.Side) *bookSide {
	if s == auction.Buy {
		return &b.asks
	}
	return &b.bids
}
