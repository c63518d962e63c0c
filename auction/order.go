package auction

import (
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

// Side says whether an order buys or sells.
type Side uint8

// The sides of an order.
const (
	Buy Side = iota + 1
	Sell
)

// String returns "buy" or "sell".
func (s Side) String() string {
	switch s {
	case Buy:
		return "buy"
	case Sell:
		return "sell"
	}
	return fmt.Sprintf("side(%d)", uint8(s))
}

// Order is a limit order for a quantity of one resource, in the integer
// form the single-resource mechanisms and the order book work in: its price
// in ticks per lot per second and its quantity in lots. A [Grid] converts
// exact decimal prices and quantities to ticks and lots and back, at the
// edges.
type Order struct {
	// ID is chosen by the caller and unique among the orders of a book or
	// a round.
	ID string
	// Agent is who submitted the order.
	Agent string
	// Side is Buy or Sell.
	Side Side
	// Price is the limit: the most a buy pays, the least a sell accepts, in
	// ticks per lot per second.
	Price int64
	// Qty is the quantity in lots, positive.
	Qty int64
	// Seq is the arrival order: a lower Seq has time priority; equal Seqs
	// are ordered by ID.
	Seq uint64
	// Expires is when the order lapses; zero means never.
	Expires time.Time
}

// MaxTicks bounds prices and quantities in ticks and lots, so that a price
// times a quantity fits an int64 with room to spare; the mechanisms state
// their own bounds on sums (see Call).
const MaxTicks = 1 << 31

// Validate checks that o is a well-formed order.
func (o Order) Validate() error {
	switch {
	case o.ID == "":
		return fmt.Errorf("%w: order with empty id", ErrInvalidOrder)
	case o.Side != Buy && o.Side != Sell:
		return fmt.Errorf("%w: order %q: side %v", ErrInvalidOrder, o.ID, o.Side)
	case o.Price <= 0 || o.Price > MaxTicks:
		return fmt.Errorf("%w: order %q: price %d ticks not in [1, %d]", ErrInvalidOrder, o.ID, o.Price, int64(MaxTicks))
	case o.Qty <= 0 || o.Qty > MaxTicks:
		return fmt.Errorf("%w: order %q: quantity %d lots not in [1, %d]", ErrInvalidOrder, o.ID, o.Qty, int64(MaxTicks))
	}
	return nil
}

// Before reports whether o has time priority over p: a lower Seq, or the
// same Seq and a lower ID.
func (o *Order) Before(p *Order) bool {
	if o.Seq != p.Seq {
		return o.Seq < p.Seq
	}
	return o.ID < p.ID
}

// Grid is the price and quantity grid of a resource: prices are whole
// multiples of Tick (credits per unit per second) and quantities whole
// multiples of Lot (units). Conversions are exact or fail with
// ErrOffGrid; nothing is rounded.
type Grid struct {
	Tick *apd.Decimal
	Lot  *apd.Decimal
}

// Ticks returns price as a whole number of ticks.
func (g Grid) Ticks(price *apd.Decimal) (int64, error) { return g.count("price", price, g.Tick) }

// Lots returns quantity as a whole number of lots.
func (g Grid) Lots(quantity *apd.Decimal) (int64, error) { return g.count("quantity", quantity, g.Lot) }

// Price returns the price of n ticks.
func (g Grid) Price(n int64) *apd.Decimal { return times(g.Tick, n) }

// Quantity returns the quantity of n lots.
func (g Grid) Quantity(n int64) *apd.Decimal { return times(g.Lot, n) }

// count returns x / unit if it is a whole number in [1, MaxTicks].
func (g Grid) count(what string, x, unit *apd.Decimal) (int64, error) {
	if unit == nil || unit.Form != apd.Finite || unit.Sign() <= 0 {
		return 0, fmt.Errorf("%w: grid unit %v is not positive", ErrInvalidArgument, unit)
	}
	if x == nil || x.Form != apd.Finite || x.Sign() <= 0 {
		return 0, fmt.Errorf("%w: %s %v is not positive", ErrOffGrid, what, x)
	}
	var q, r apd.Decimal
	if _, err := gridContext.QuoInteger(&q, x, unit); err != nil {
		return 0, fmt.Errorf("%w: %s %s: %v", ErrOffGrid, what, x.Text('f'), err)
	}
	if _, err := gridContext.Rem(&r, x, unit); err != nil || !r.IsZero() {
		return 0, fmt.Errorf("%w: %s %s is not a multiple of %s", ErrOffGrid, what, x.Text('f'), unit.Text('f'))
	}
	n, err := q.Int64()
	if err != nil || n > MaxTicks {
		return 0, fmt.Errorf("%w: %s %s is more than %d × %s", ErrOffGrid, what, x.Text('f'), int64(MaxTicks), unit.Text('f'))
	}
	return n, nil
}

// gridContext divides on a grid: enough digits for any bounded decimal
// over any grid unit, and rounding trapped.
var gridContext = exact.WithPrecision(2 * MaxDigits)

// times returns unit × n exactly.
func times(unit *apd.Decimal, n int64) *apd.Decimal {
	d := apd.New(n, 0)
	if _, err := exact.Context.Mul(d, d, unit); err != nil {
		// exact has no precision limit, so a product is always exact.
		panic(fmt.Sprintf("auction: %d × %s: %v", n, unit.Text('f'), err))
	}
	return d
}
