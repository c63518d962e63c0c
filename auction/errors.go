package auction

import "errors"

// Sentinel errors returned by this package. Test for them with errors.Is.
var (
	// ErrInvalidRound reports a malformed round: no calendar, a clearing
	// instant of zero, a reserve price missing, not positive or not on the
	// round's scale, a scale out of range, or a bid id that is empty,
	// duplicated, or already booked on the calendar.
	ErrInvalidRound = errors.New("auction: invalid round")
	// ErrInvalidRule reports reserve rule options that do not parse or are
	// out of range.
	ErrInvalidRule = errors.New("auction: invalid rule")
	// ErrInvalidArgument reports an argument out of range: for a reserve
	// rule, a price that is not positive or not on the scale, a utilisation
	// outside [0, 1] or a scale out of range; a KDA's k outside [0, 1]; an
	// SBBA without randomness or with a draw out of range; a grid unit that
	// is not positive; an order book's MaxOrders out of range.
	ErrInvalidArgument = errors.New("auction: invalid argument")
	// ErrInvalidResult reports a clearing result that breaks the contract
	// every Mechanism honours; see Verify.
	ErrInvalidResult = errors.New("auction: invalid result")
	// ErrInvalidOrder reports an order that is not well formed.
	ErrInvalidOrder = errors.New("auction: invalid order")
	// ErrOffGrid reports a price or quantity that is not a whole number of
	// ticks or lots of its grid.
	ErrOffGrid = errors.New("auction: off the grid")
	// ErrInvalidMechanism reports a mechanism configured with a value out
	// of range, such as an unknown Greedy Order or Payment.
	ErrInvalidMechanism = errors.New("auction: invalid mechanism")
)
