package ledger

import (
	"context"
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// holdState is where a hold is in its life.
type holdState uint8

const (
	holdOpen holdState = iota
	holdCaptured
	holdReleased
)

// hold is credits of an account set aside for a later capture or release.
// Closed holds stay, so that a retry finds what was done.
type hold struct {
	account string
	amount  *apd.Decimal
	state   holdState
	capture movement // the capture, once captured
	reason  string   // the release reason, once released
}

// Hold sets amount of account's available credits aside as hold holdID, to
// be captured or released later. It publishes hold_placed.
func (l *Ledger) Hold(ctx context.Context, holdID, account string, amount *apd.Decimal) error {
	amt, err := l.amount(amount)
	if err != nil {
		return err
	}
	if err := validIDs("hold", holdID, "account", account); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if prior, ok := l.holds[holdID]; ok {
		if prior.account == account && prior.amount.Cmp(amt) == 0 {
			return nil
		}
		return fmt.Errorf("%w: hold %q is %s on %q",
			ErrExistsWithDifferentFields, holdID, prior.amount.Text('f'), prior.account)
	}
	a, err := l.userAccount(account)
	if err != nil {
		return err
	}
	if err := l.ensureAvailable(account, a, amt); err != nil {
		return err
	}
	pending, err := l.add(a.pending, amt)
	if err != nil {
		return err
	}
	b := l.seq.Batch(l.now())
	b.Add(account, events.HoldPlaced{
		HoldID:    holdID,
		AccountID: account,
		Amount:    decimalOf(amt),
		Balance:   decimalOf(a.posted),
		Pending:   decimalOf(pending),
	})
	return l.commit(ctx, b, func() {
		a.pending = pending
		l.holds[holdID] = &hold{account: account, amount: amt}
	})
}

// Capture moves amount (0 < amount <= held) of hold holdID to account to as
// transfer transferID and releases the rest of the hold, in one hold_captured
// event whose Released is the held amount minus amount. The hold is then
// closed.
func (l *Ledger) Capture(ctx context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string) error {
	amt, err := l.amount(amount)
	if err != nil {
		return err
	}
	if err := validIDs("hold", holdID, "transfer", transferID, "to account", to); err != nil {
		return err
	}
	if err := validReason(reason); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	h, err := l.hold(holdID)
	if err != nil {
		return err
	}
	m := &movement{op: opCapture, id: transferID, hold: holdID, from: h.account, to: to, amount: amt, reason: reason}
	if done, err := l.capturedAlready(holdID, h, m); done || err != nil {
		return err
	}
	return l.capture(ctx, h, m)
}

// capturedAlready handles a capture of a hold that is closed, or whose
// transfer id is taken.
func (l *Ledger) capturedAlready(holdID string, h *hold, m *movement) (bool, error) {
	switch h.state {
	case holdCaptured:
		if m.same(h.capture) {
			return true, nil
		}
		return true, fmt.Errorf("%w: hold %q was captured as transfer %q of %s to %q",
			ErrExistsWithDifferentFields, holdID, h.capture.id, h.capture.amount.Text('f'), h.capture.to)
	case holdReleased:
		return true, fmt.Errorf("%w: hold %q was released", ErrUnknownHold, holdID)
	}
	return l.retried(m)
}

// capture performs the capture m of the open hold h.
func (l *Ledger) capture(ctx context.Context, h *hold, m *movement) error {
	if m.amount.Cmp(h.amount) > 0 {
		return fmt.Errorf("%w: capture of %s from hold %q of %s",
			ErrCaptureExceedsHold, m.amount.Text('f'), m.hold, h.amount.Text('f'))
	}
	if m.to == m.from {
		return fmt.Errorf("%w: %q", ErrSameAccount, m.to)
	}
	to, err := l.userAccount(m.to)
	if err != nil {
		return err
	}
	from := l.accounts[m.from]
	released, err := l.sub(h.amount, m.amount)
	if err != nil {
		return err
	}
	fromPosted, err := l.sub(from.posted, m.amount)
	if err != nil {
		return err
	}
	pending, err := l.sub(from.pending, h.amount)
	if err != nil {
		return err
	}
	toPosted, err := l.add(to.posted, m.amount)
	if err != nil {
		return err
	}
	b := l.seq.Batch(l.now())
	b.Add(m.from, events.HoldCaptured{
		HoldID:      m.hold,
		TransferID:  m.id,
		AccountID:   m.from,
		To:          m.to,
		Amount:      decimalOf(m.amount),
		Released:    decimalOf(released),
		Reason:      m.reason,
		FromBalance: decimalOf(fromPosted),
		ToBalance:   decimalOf(toPosted),
		Pending:     decimalOf(pending),
	})
	return l.commit(ctx, b, func() {
		from.posted, from.pending, to.posted = fromPosted, pending, toPosted
		h.state, h.capture = holdCaptured, *m
		l.transfers[m.id] = *m
	})
}

// Release returns the whole of hold holdID to its account's available
// balance and closes the hold. It publishes hold_released.
func (l *Ledger) Release(ctx context.Context, holdID, reason string) error {
	if err := validID("hold", holdID); err != nil {
		return err
	}
	if err := validReason(reason); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	h, err := l.hold(holdID)
	if err != nil {
		return err
	}
	switch h.state {
	case holdCaptured:
		return fmt.Errorf("%w: hold %q was captured", ErrUnknownHold, holdID)
	case holdReleased:
		if h.reason == reason {
			return nil
		}
		return fmt.Errorf("%w: hold %q was released for %q", ErrExistsWithDifferentFields, holdID, h.reason)
	}
	a := l.accounts[h.account]
	pending, err := l.sub(a.pending, h.amount)
	if err != nil {
		return err
	}
	b := l.seq.Batch(l.now())
	b.Add(h.account, events.HoldReleased{
		HoldID:    holdID,
		AccountID: h.account,
		Amount:    decimalOf(h.amount),
		Reason:    reason,
		Pending:   decimalOf(pending),
	})
	return l.commit(ctx, b, func() {
		a.pending = pending
		h.state, h.reason = holdReleased, reason
	})
}

// HoldAmount returns the amount of the open hold holdID; false if the hold is
// unknown or closed.
func (l *Ledger) HoldAmount(holdID string) (*apd.Decimal, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	h, ok := l.holds[holdID]
	if !ok || h.state != holdOpen {
		return nil, false
	}
	return new(apd.Decimal).Set(h.amount), true
}

// hold returns the hold holdID, open or closed, or ErrUnknownHold.
func (l *Ledger) hold(holdID string) (*hold, error) {
	h, ok := l.holds[holdID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownHold, holdID)
	}
	return h, nil
}
