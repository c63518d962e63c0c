package agentapi

import (
	"errors"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// Sentinel errors of this package. Test for them with errors.Is.
var (
	// ErrInvalidOptions reports Options, users or arguments out of bounds.
	ErrInvalidOptions = errors.New("agentapi: invalid options")
	// ErrInvalidRequest reports a request that is not well formed: too
	// large, not strict JSON, unknown or missing fields, an unknown verb,
	// or a value out of bounds. The market was not called.
	ErrInvalidRequest = errors.New("agentapi: invalid request")
	// ErrOtherAgent reports a client call that names an agent other than
	// the client's own. It fails before anything is sent.
	ErrOtherAgent = errors.New("agentapi: call names another agent")
	// ErrUnavailable reports that no market answers on the subject.
	ErrUnavailable = errors.New("agentapi: market unavailable")
	// ErrBadReply reports a reply the client cannot decode.
	ErrBadReply = errors.New("agentapi: bad reply")
	// ErrInternal reports a failure inside the market that the server does
	// not detail.
	ErrInternal = errors.New("agentapi: internal error")
	// ErrRateLimited reports a request beyond the agent's rate
	// (Options.Rate, Burst, ByteRate, ByteBurst). The market was not
	// called; the same request may be sent again later.
	ErrRateLimited = errors.New("agentapi: rate limited")
	// ErrBusy reports a request refused because the server's queues are
	// full (Options.AgentQueue, QueuedAgents, QueueBytes) or it is
	// closing. The market was not called; the same request may be sent
	// again later.
	ErrBusy = errors.New("agentapi: server busy")
)

// Error codes of error replies. A code is stable; its message is not.
const (
	CodeInvalidRequest      = "invalid_request"
	CodeInvalidID           = "invalid_id"
	CodeRejected            = "rejected"
	CodeSpendLimit          = "spend_limit"
	CodeDenied              = "denied"
	CodeTerminated          = "terminated"
	CodeUnknownAgent        = "unknown_agent"
	CodeUnknownOrder        = "unknown_order"
	CodeDuplicateOrder      = "duplicate_order"
	CodeBookFull            = "book_full"
	CodeUnknownBundle       = "unknown_bundle"
	CodeWindowEnded         = "window_ended"
	CodeSettlementPending   = "settlement_pending"
	CodeInvalidAmount       = "invalid_amount"
	CodeInsufficientCredit  = "insufficient_credit"
	CodeSameAccount         = "same_account"
	CodeConflict            = "conflict"
	CodeAccountExists       = "account_exists"
	CodeClosedAccount       = "closed_account"
	CodeUnknownResource     = "unknown_resource"
	CodeWrongEnforcement    = "wrong_enforcement"
	CodeInvalidQuantity     = "invalid_quantity"
	CodeInvalidBundle       = "invalid_bundle"
	CodeUnknownReservation  = "unknown_reservation"
	CodeOverCommit          = "over_commit"
	CodeReservationLapsed   = "reservation_lapsed"
	CodeTooManyReservations = "too_many_reservations"
	CodeImpersonation       = "impersonation"
	CodeNotAgentEvent       = "not_agent_event"
	CodeTooManyBids         = "too_many_bids"
	CodeEmitQuota           = "emit_quota"
	CodeNotHuman            = "not_human"
	CodeInvalidReward       = "invalid_reward"
	CodeRewardBudget        = "reward_budget"
	CodeRateLimited         = "rate_limited"
	CodeBusy                = "busy"
	CodeInternal            = "internal"
)

// codes maps each code to the sentinel it stands for, in the order the
// server tries them: the first sentinel an error matches gives its code.
var codes = []struct {
	code     string
	sentinel error
}{
	{CodeImpersonation, scarcity.ErrImpersonation},
	{CodeNotAgentEvent, scarcity.ErrNotAgentEvent},
	{CodeInvalidRequest, ErrInvalidRequest},
	{CodeNotHuman, ErrNotHuman},
	{CodeInvalidReward, scarcity.ErrInvalidReward},
	{CodeRewardBudget, scarcity.ErrRewardBudget},
	{CodeRejected, scarcity.ErrBidRejected},
	{CodeSpendLimit, sched.ErrSpendLimit},
	{CodeDenied, sched.ErrServiceDenied},
	{CodeTerminated, sched.ErrTerminated},
	{CodeSettlementPending, sched.ErrSettlementPending},
	{CodeUnknownAgent, scarcity.ErrUnknownAgent},
	{CodeUnknownOrder, scarcity.ErrUnknownOrder},
	{CodeDuplicateOrder, scarcity.ErrDuplicateOrder},
	{CodeBookFull, scarcity.ErrBookFull},
	{CodeUnknownBundle, scarcity.ErrUnknownBundle},
	{CodeWindowEnded, sched.ErrWindowEnded},
	{CodeInvalidID, scarcity.ErrInvalidID},
	{CodeInvalidAmount, ledger.ErrInvalidAmount},
	{CodeInsufficientCredit, ledger.ErrInsufficientCredit},
	{CodeSameAccount, ledger.ErrSameAccount},
	{CodeConflict, ledger.ErrExistsWithDifferentFields},
	{CodeAccountExists, ledger.ErrAccountExists},
	{CodeClosedAccount, ledger.ErrClosedAccount},
	{CodeUnknownResource, bundle.ErrUnknownResource},
	{CodeWrongEnforcement, sched.ErrWrongEnforcement},
	{CodeInvalidQuantity, sched.ErrInvalidQuantity},
	{CodeInvalidBundle, bundle.ErrInvalidWindow},
	{CodeUnknownReservation, sched.ErrUnknownReservation},
	{CodeOverCommit, sched.ErrOverCommit},
	{CodeReservationLapsed, sched.ErrReservationLapsed},
	{CodeTooManyReservations, sched.ErrTooManyReservations},
	{CodeTooManyBids, scarcity.ErrTooManyBids},
	{CodeEmitQuota, scarcity.ErrEmitQuota},
	{CodeRateLimited, ErrRateLimited},
	{CodeBusy, ErrBusy},
}

// Error is an error reply from the market. It unwraps to the library's
// sentinel for its code (or to a *scarcity.RejectedError,
// *sched.DeniedError or *sched.SpendLimitError carrying the reply's
// details), so errors.Is and errors.As work as they do in process.
type Error struct {
	// Code is one of the Code constants.
	Code string
	// Message is the server's description.
	Message string
	cause   error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("agentapi: %s: %s", e.Code, e.Message) }

// Unwrap returns the library error the code stands for.
func (e *Error) Unwrap() error { return e.cause }

// encodeError returns the wire form of err.
func encodeError(err error) *wireError {
	w := &wireError{Code: CodeInternal, Message: "internal error"}
	for _, c := range codes {
		if errors.Is(err, c.sentinel) {
			w.Code, w.Message = c.code, err.Error()
			break
		}
	}
	var rej *scarcity.RejectedError
	if errors.As(err, &rej) {
		w.OrderID, w.Reason = rej.OrderID, string(rej.Reason)
	}
	w.Denied = deniedOf(err)
	return w
}

// deniedOf returns the details of a denial, or nil.
func deniedOf(err error) *deniedDetail {
	var spend *sched.SpendLimitError
	if errors.As(err, &spend) {
		d := &deniedDetail{Agent: spend.Agent, Resource: spend.Resource, Requested: spend.Requested,
			Spent: spend.Spent, Reserved: spend.Reserved, Limit: spend.Limit, WindowMS: spend.Window.Milliseconds()}
		if !spend.FreesAt.IsZero() {
			d.FreesAt = spend.FreesAt.UTC().Format(time.RFC3339Nano)
		}
		return d
	}
	var denied *sched.DeniedError
	if errors.As(err, &denied) {
		return &deniedDetail{Agent: denied.Agent, Resource: denied.Resource, Requested: denied.Requested,
			Available: denied.Available, Reason: denied.Reason}
	}
	return nil
}

// decode returns the client-side error of w.
func (w *wireError) decode() error {
	e := &Error{Code: w.Code, Message: w.Message, cause: ErrInternal}
	for _, c := range codes {
		if c.code == w.Code {
			e.cause = c.sentinel
		}
	}
	remote := errors.New(w.Message)
	switch {
	case w.Code == CodeRejected:
		e.cause = &scarcity.RejectedError{OrderID: w.OrderID, Reason: events.RejectReason(w.Reason), Err: remote}
	case w.Code == CodeSpendLimit && w.Denied != nil:
		e.cause = w.Denied.spendLimit()
	case w.Code == CodeDenied && w.Denied != nil:
		d := w.Denied
		e.cause = &sched.DeniedError{Agent: d.Agent, Resource: d.Resource, Requested: d.Requested, Available: d.Available, Reason: d.Reason}
	}
	return e
}

// spendLimit rebuilds a *sched.SpendLimitError.
func (d *deniedDetail) spendLimit() *sched.SpendLimitError {
	e := &sched.SpendLimitError{Agent: d.Agent, Resource: d.Resource, Requested: d.Requested,
		Spent: d.Spent, Reserved: d.Reserved, Limit: d.Limit, Window: time.Duration(d.WindowMS) * time.Millisecond}
	if t, err := time.Parse(time.RFC3339Nano, d.FreesAt); err == nil {
		e.FreesAt = t
	}
	return e
}
