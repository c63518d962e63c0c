package scarcity

import (
	"errors"
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
)

// Sentinel errors returned by the Market. Test for them with errors.Is.
var (
	// ErrInvalidOptions reports a Config that fails validation.
	ErrInvalidOptions = errors.New("scarcity: invalid options")
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
	// ErrNotAgentEvent reports a payload of a type agents may not publish:
	// a market, ledger or scheduler type, a judge's or a human reward, an
	// untyped events.Raw, or an events.AgentEvent whose type breaks the
	// naming rule of agent-defined types (the error then wraps its
	// *events.AgentTypeError).
	ErrNotAgentEvent = errors.New("scarcity: not an agent event")
	// ErrInvalidAgentEvent reports an agent or judge payload that breaks
	// a bound of the events package; it wraps events.ErrInvalidPayload.
	ErrInvalidAgentEvent = errors.New("scarcity: invalid agent event")
	// ErrImpersonation reports a payload that names an agent or judge
	// other than the caller; the error is an *ImpersonationError.
	ErrImpersonation = errors.New("scarcity: payload names another caller")
	// ErrMechanism reports a clearing result that breaks the Mechanism
	// contract: a bid allocated or rejected twice or not at all, a payment that
	// is not a valid amount or exceeds the bid. Nothing of such a round is
	// applied.
	ErrMechanism = errors.New("scarcity: mechanism broke its contract")
	// ErrNoSnapshots reports a snapshot asked of a market without
	// Config.Snapshots.
	ErrNoSnapshots = errors.New("scarcity: no snapshot store")
	// ErrBadSnapshot reports a snapshot a market cannot be restored from:
	// unreadable, corrupt, truncated, of another version, market or
	// configuration, holding amounts no market holds, not bound to the
	// stream (no sealed snapshot_taken in the chain naming its state and
	// sequences), or not followed by the stream's chain. Reopen falls back
	// from such a snapshot to an older one, then to the whole stream.
	ErrBadSnapshot = errors.New("scarcity: bad snapshot")
	// ErrRestore reports a stream from which a market cannot be restored: a
	// broken hash chain (the error also wraps events.ErrTampered and the
	// *events.ChainError naming the event), or an event that does not follow
	// from the ones before it. The ledger's and the scheduler's own checks
	// report ledger.ErrRestore and sched.ErrRestore.
	ErrRestore = errors.New("scarcity: cannot restore")
	// ErrInvalidReward reports a reward that cannot be given: a reward or
	// human id that is not a valid id (the error also wraps ErrInvalidID),
	// a human rewarding itself, an amount that is not a valid ledger amount
	// (positive, finite, no finer than Config.Scale, at most the ledger's
	// maximum; it also wraps ledger.ErrInvalidAmount), or a reason longer
	// than MaxRewardReasonLen or not UTF-8. Nothing changed.
	ErrInvalidReward = errors.New("scarcity: invalid reward")
	// ErrRewardBudget reports a reward beyond what its human may still give
	// this period (Config.RewardBudget), or any reward while the budget is
	// zero (rewards disabled). Nothing changed.
	ErrRewardBudget = errors.New("scarcity: reward budget exceeded")
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
