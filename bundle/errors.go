package bundle

import "errors"

// Sentinel errors returned by this package. Test for them with errors.Is.
var (
	// ErrInvalidResource reports a resource with an empty or duplicate name,
	// or a capacity that is not positive.
	ErrInvalidResource = errors.New("bundle: invalid resource")
	// ErrUnknownResource reports a quantity of a resource not in the catalog.
	ErrUnknownResource = errors.New("bundle: unknown resource")
	// ErrInvalidQuantity reports a quantity that is zero or negative.
	ErrInvalidQuantity = errors.New("bundle: invalid quantity")
	// ErrInvalidWindow reports a window whose duration is not a positive
	// whole number of seconds.
	ErrInvalidWindow = errors.New("bundle: invalid window")
	// ErrEmptyBundle reports a bundle with no quantities.
	ErrEmptyBundle = errors.New("bundle: empty bundle")
	// ErrExceedsCapacity reports a bundle that does not fit the capacity left
	// at some instant of its window.
	ErrExceedsCapacity = errors.New("bundle: exceeds capacity")
	// ErrNoPrice reports a cost asked for a resource without a price.
	ErrNoPrice = errors.New("bundle: no price")
	// ErrDuplicateBooking reports a booking id already on the calendar.
	ErrDuplicateBooking = errors.New("bundle: duplicate booking")
	// ErrUnknownBooking reports a booking id not on the calendar.
	ErrUnknownBooking = errors.New("bundle: unknown booking")
)
