package scarcity

import (
	"errors"
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
)

// Sentinel errors returned by the Market. Test for them with errors.Is.
var (
	// ErrInvalidConfig reports a Config that fails validation.
	ErrInvalidConfig = errors.New("scarcity: invalid config")
	// ErrBidRejected reports a bid refused at placement; the error is a
	// *RejectedError carrying the reason code.
	ErrBidRejected = errors.New("scarcity: bid rejected")
	// ErrUnknownBundle reports a bundle id the scheduler does not hold for
	// the agent that names it.
	ErrUnknownBundle = errors.New("scarcity: unknown bundle")
	// ErrUnknownAgent reports an agent without an account.
	ErrUnknownAgent = errors.New("scarcity: unknown agent")
	// ErrUnknownOrder reports an order id not in the book, or not the
	// agent's.
	ErrUnknownOrder = errors.New("scarcity: unknown order")
	// ErrDuplicateOrder reports an order id already used with other fields.
	ErrDuplicateOrder = errors.New("scarcity: duplicate order")
	// ErrBookFull reports a bid beyond the book's maximum size.
	ErrBookFull = errors.New("scarcity: book full")
	// ErrTooManyBids reports a bid beyond Config.MaxBidsPerAgent.
	ErrTooManyBids = errors.New("scarcity: too many bids of one agent")
	// ErrEmitQuota reports an Emit beyond the agent's Config.EmitBytes.
	ErrEmitQuota = errors.New("scarcity: emit quota exceeded")
	// ErrInvalidID reports an agent, order or mint id that is empty, too
	// long or holds a byte other than letters, digits, '-', '_' and ':'.
	ErrInvalidID = errors.New("scarcity: invalid id")
	// ErrInvalidRejection reports a rejection given to Reject whose reason
	// is not a lower_snake_case word of 1 to 64 bytes or whose detail is
	// longer than MaxDetailLen.
	ErrInvalidRejection = errors.New("scarcity: invalid rejection")
	// ErrInvalidCredits reports initial credits that are negative or not
	// exact at the ledger's scale.
	ErrInvalidCredits = errors.New("scarcity: invalid credits")
)

// RejectedError is the error of a bid refused at placement. A bid_rejected
// event with the same reason was published.
type RejectedError struct {
	OrderID string
	Reason  events.RejectReason
	Err     error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("scarcity: bid %s rejected (%s): %v", e.OrderID, e.Reason, e.Err)
}

// Is reports whether target is ErrBidRejected.
func (e *RejectedError) Is(target error) bool { return target == ErrBidRejected }

// Unwrap returns the cause.
func (e *RejectedError) Unwrap() error { return e.Err }
