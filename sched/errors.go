package sched

import (
	"errors"
	"fmt"
	"slices"
)

// Sentinel errors returned by this package. Test for them with errors.Is.
var (
	// ErrServiceDenied reports a service-level request beyond what the
	// agent's active bundles have left; the error is a *DeniedError.
	ErrServiceDenied = errors.New("sched: service denied")
	// ErrTerminated reports an agent terminated for an OS-level sample
	// beyond its bundles' envelope.
	ErrTerminated = errors.New("sched: agent terminated")
	// ErrInvalidQuantity reports a quantity or sample that is out of range.
	ErrInvalidQuantity = errors.New("sched: invalid quantity")
	// ErrWrongEnforcement reports a resource used through the method of the
	// other enforcement: Use for OS-level, Report for service-level.
	ErrWrongEnforcement = errors.New("sched: wrong enforcement")
	// ErrDuplicateBundle reports a bundle id already held or remembered.
	ErrDuplicateBundle = errors.New("sched: duplicate bundle")
	// ErrUnknownBundle reports a bundle id the scheduler does not know.
	ErrUnknownBundle = errors.New("sched: unknown bundle")
	// ErrWindowEnded reports a bundle whose window has already ended.
	ErrWindowEnded = errors.New("sched: window ended")
	// ErrTooManyBundles reports a Schedule beyond Options.MaxBundles.
	ErrTooManyBundles = errors.New("sched: too many bundles")
	// ErrInvalidOptions reports Options or arguments of New that fail
	// validation.
	ErrInvalidOptions = errors.New("sched: invalid options")
	// ErrInvalidID reports an empty bundle or agent id.
	ErrInvalidID = errors.New("sched: invalid id")
	// ErrInvalidLease reports a lease that cannot be settled.
	ErrInvalidLease = errors.New("sched: invalid lease")
	// ErrSettlementPending reports that a bundle ended but the settler
	// refused its payment; the scheduler retries it on Advance.
	ErrSettlementPending = errors.New("sched: settlement pending")
	// ErrUsageUnpublished reports, under Options.UsageBatch, a Use that
	// consumed what it asked for but whose usage could not be published
	// yet: it stays pending and goes out with the next publish.
	ErrUsageUnpublished = errors.New("sched: usage not yet published")
	// ErrStopFailed reports that the Executor failed to stop an agent
	// whose last bundle expired; the expiry happened all the same.
	ErrStopFailed = errors.New("sched: stop failed")
	// ErrAftermath is what an error of Advance, Release or Report is when
	// it only tells of payments still pending or agents not stopped after
	// the state change itself happened: the caller may carry on, and
	// Advance retries the payments. Test with errors.Is; join such errors
	// with others through Join.
	ErrAftermath = errors.New("sched: only an aftermath")
)

// DeniedError is the error of a request that Use refused. A service_denied
// event with the same fields was published, and nothing was consumed.
type DeniedError struct {
	Agent     string
	Resource  string
	Requested int64
	Available int64
	// Reason is ReasonExceedsBundle or ReasonNoActiveBundle.
	Reason string
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("sched: service denied: agent %q requested %d %s, %d available (%s)",
		e.Agent, e.Requested, e.Resource, e.Available, e.Reason)
}

// Is reports whether target is ErrServiceDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrServiceDenied }

// Join joins errs as errors.Join does. The result is ErrAftermath when
// every non-nil one only tells of an aftermath (wraps ErrSettlementPending
// or ErrStopFailed, or is ErrAftermath); joined with any other error, an
// aftermath no longer is ErrAftermath. Advance, Release and Report return
// their errors through it; so should a caller that joins their errors with
// its own, passing them as they came: an aftermath wrapped before it is
// joined keeps its mark.
func Join(errs ...error) error {
	plain, all := make([]error, 0, len(errs)), true
	for _, err := range errs {
		switch e := err.(type) {
		case nil:
		case aftermath:
			plain = append(plain, e.err)
		default:
			all = all && onlyAftermath(err)
			plain = append(plain, err)
		}
	}
	joined := errors.Join(plain...)
	if joined == nil || !all {
		return joined
	}
	return aftermath{joined}
}

// aftermath is an error that only tells of an aftermath: it is
// ErrAftermath and unwraps to the error it holds.
type aftermath struct{ err error }

func (a aftermath) Error() string        { return a.err.Error() }
func (a aftermath) Unwrap() error        { return a.err }
func (a aftermath) Is(target error) bool { return target == ErrAftermath }

// onlyAftermath reports whether err only tells of payments still pending
// or agents not stopped.
func onlyAftermath(err error) bool {
	switch e := err.(type) {
	case nil:
		return false
	case interface{ Unwrap() []error }:
		children := e.Unwrap()
		if slices.ContainsFunc(children, isAftermathSentinel) {
			return true
		}
		return len(children) > 0 && !slices.ContainsFunc(children, func(c error) bool { return !onlyAftermath(c) })
	case interface{ Unwrap() error }:
		return isAftermathSentinel(e.Unwrap()) || onlyAftermath(e.Unwrap())
	}
	return isAftermathSentinel(err)
}

// isAftermathSentinel reports whether err is one of the sentinels of an
// aftermath.
func isAftermathSentinel(err error) bool { return err == ErrSettlementPending || err == ErrStopFailed }
