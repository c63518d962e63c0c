package auction

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
