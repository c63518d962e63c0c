package auction

import "fmt"

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
