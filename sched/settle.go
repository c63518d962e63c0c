package sched

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
)

// Settler pays for bundles through a ledger; *ledger.Ledger satisfies it.
// The scheduler calls it with its mutex held, after the events of the end
// of a bundle are published: it must not call back into the scheduler.
// Both calls must be idempotent by their ids, as the ledger's are, because
// a failed settlement is retried.
type Settler interface {
	// Capture pays amount of the hold holdID to account to as transfer
	// transferID and releases the rest of the hold.
	Capture(ctx context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string) error
	// Release returns the whole hold holdID to its account.
	Release(ctx context.Context, holdID, reason string) error
}

// Lease is how a bundle is paid for: Amount credits, set aside by the
// ledger hold HoldID, paid to Payee for the time of the bundle's window
// that was used. A bundle that expires pays Amount; one released or
// terminated early pays Amount × used seconds / window seconds, rounded
// down to Scale decimal places, and the rest of the hold goes back to the
// agent: the unused time is refunded pro rata.
type Lease struct {
	HoldID string
	Amount *apd.Decimal
	Payee  string
	Scale  int32
}

// validate checks that l can be settled.
func (l Lease) validate() error {
	switch {
	case l.HoldID == "" || l.Payee == "":
		return fmt.Errorf("%w: lease without a hold or a payee", ErrInvalidLease)
	case l.Amount == nil || l.Amount.Form != apd.Finite || l.Amount.Sign() <= 0:
		return fmt.Errorf("%w: lease amount %v is not positive", ErrInvalidLease, l.Amount)
	case l.Scale < 0 || l.Scale > maxLeaseScale:
		return fmt.Errorf("%w: lease scale %d not in [0, %d]", ErrInvalidLease, l.Scale, maxLeaseScale)
	}
	return nil
}

// maxLeaseScale bounds Lease.Scale.
const maxLeaseScale = 18

// settlement is the payment for one ended bundle.
type settlement struct {
	bundle   string
	lease    Lease
	pay      *apd.Decimal // zero: release the whole hold
	reason   string
	attempts int
}

// PaymentID returns the id of the ledger transfer that pays for bundle id:
// "pay/" + id.
func PaymentID(bundleID string) string { return "pay/" + bundleID }

// due returns the settlement of e, which ends at now in state to.
func (e *entry) due(to State, now time.Time) (settlement, error) {
	st := settlement{bundle: e.id, lease: *e.lease, reason: to.reason()}
	w := e.b.Window
	used := min(max(now.Sub(w.Start), 0), w.Duration)
	if to == Expired {
		used = w.Duration
	}
	pay, err := prorata(e.lease.Amount, int64(used/time.Second), w.Seconds(), e.lease.Scale)
	st.pay = pay
	return st, err
}

// prorata returns amount × used / total, rounded down to scale places.
func prorata(amount *apd.Decimal, used, total int64, scale int32) (*apd.Decimal, error) {
	// 60 digits hold any amount of 34 digits times any int64 exactly
	// enough that rounding down twice equals rounding down once.
	ctx := apd.BaseContext.WithPrecision(60)
	ctx.Rounding = apd.RoundDown
	pay := new(apd.Decimal)
	if used >= total {
		return pay.Set(amount), nil
	}
	if _, err := ctx.Mul(pay, amount, apd.New(used, 0)); err != nil {
		return nil, err
	}
	if _, err := ctx.Quo(pay, pay, apd.New(total, 0)); err != nil {
		return nil, err
	}
	if _, err := ctx.Quantize(pay, pay, -scale); err != nil {
		return nil, err
	}
	return pay, nil
}

// settle pays for e, ended at now in state to, through the settler; a
// settlement that fails is kept and retried by Advance. It runs with s.mu
// held.
func (s *Scheduler) settle(ctx context.Context, e *entry, to State, now time.Time) error {
	if e.lease == nil || s.settler == nil {
		return nil
	}
	st, err := e.due(to, now)
	if err != nil {
		return fmt.Errorf("sched: settle %q: %w", e.id, err)
	}
	return s.pay(ctx, st)
}

// pay performs st, or queues it for a retry if the settler fails.
func (s *Scheduler) pay(ctx context.Context, st settlement) error {
	var err error
	if st.pay.IsZero() {
		err = s.settler.Release(ctx, st.lease.HoldID, st.reason)
	} else {
		err = s.settler.Capture(ctx, st.lease.HoldID, PaymentID(st.bundle), st.lease.Payee, st.pay, st.reason)
	}
	if err != nil {
		st.attempts++
		s.unsettled = append(s.unsettled, st)
		return fmt.Errorf("%w: bundle %q: %w", ErrSettlementPending, st.bundle, err)
	}
	return nil
}

// retrySettlements retries the settlements that failed. It runs with s.mu
// held.
func (s *Scheduler) retrySettlements(ctx context.Context) error {
	pending := s.unsettled
	s.unsettled = nil
	var errs []error
	for _, st := range pending {
		errs = append(errs, s.pay(ctx, st))
	}
	return errors.Join(errs...)
}

// Unsettled returns the number of ended bundles whose payment the settler
// has refused so far; Advance retries them.
func (s *Scheduler) Unsettled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.unsettled)
}
