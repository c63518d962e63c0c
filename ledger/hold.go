package ledger

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/scarcitylabs/scarcity/internal/assert"

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

// ReasonExpired is the reason of the hold_released events of Expire.
const ReasonExpired = "expired"

// hold is credits of an account set aside for later captures or a release.
// Closed holds stay, so that a retry finds what was done. Its decimals are
// replaced, never modified in place.
type hold struct {
	id        string
	account   string
	amount    *apd.Decimal  // as placed
	remaining *apd.Decimal  // still held; zero once closed
	captured  *apd.Decimal  // captured so far
	timeout   time.Duration // 0: no timeout
	deadline  time.Time     // placement time + timeout, if timeout > 0
	index     int           // position in the expiry queue, -1 when not in it
	state     holdState
	capture   string    // the transfer id of the capture that closed the hold
	reason    string    // the release reason, once released
	closed    time.Time // when it was captured or released
}

// Hold sets amount of account's available credits aside as hold holdID, to
// be captured or released later. The hold has no timeout. It publishes
// hold_placed.
func (l *Ledger) Hold(ctx context.Context, holdID, account string, amount *apd.Decimal) error {
	return l.placeHold(ctx, holdID, account, amount, 0)
}

// HoldWithTimeout is Hold with a timeout: the hold's deadline is the clock's
// time when it is placed plus timeout, and Expire releases it once the clock
// reaches the deadline, unless it was captured or released before. timeout
// must be positive (ErrInvalidTimeout). A retry with the same id must repeat
// the account, amount and timeout. The deadline travels in hold_placed as
// ExpiresAt.
func (l *Ledger) HoldWithTimeout(ctx context.Context, holdID, account string, amount *apd.Decimal, timeout time.Duration) error {
	if timeout <= 0 {
		return fmt.Errorf("%w: %v is not positive", ErrInvalidTimeout, timeout)
	}
	return l.placeHold(ctx, holdID, account, amount, timeout)
}

// placeHold places a hold with timeout, 0 meaning none.
func (l *Ledger) placeHold(ctx context.Context, holdID, account string, amount *apd.Decimal, timeout time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stage()
	ch, err := l.prepareHold(s, holdID, account, amount, timeout)
	return l.finish(ctx, s, ch, err)
}

// prepareHold validates a hold against the ledger's state and adds its event
// to s. It runs with l.mu held.
func (l *Ledger) prepareHold(s stage, holdID, account string, amount *apd.Decimal, timeout time.Duration) (change, error) {
	amt, err := l.ownAmount(amount)
	if err != nil {
		return change{}, err
	}
	if err := validIDs("hold", holdID, "account", account); err != nil {
		return change{}, err
	}
	if prior, ok := l.holds[holdID]; ok && (prior.state == holdOpen || !l.forgotten(prior.closed)) {
		if prior.account == account && prior.amount.Cmp(amt) == 0 && prior.timeout == timeout {
			return change{}, nil
		}
		return change{}, fmt.Errorf("%w: hold %q is %s on %q with timeout %v",
			ErrExistsWithDifferentFields, holdID, prior.amount.Text('f'), prior.account, prior.timeout)
	}
	a, err := l.userAccount(account)
	if err != nil {
		return change{}, err
	}
	if err := l.ensureAvailable(account, a, amt); err != nil {
		return change{}, err
	}
	pending, err := l.add(a.pending, amt)
	if err != nil {
		return change{}, err
	}
	h := &hold{id: holdID, account: account, amount: amt, remaining: amt, captured: l.slab.new(), timeout: timeout, index: -1}
	placed := events.HoldPlaced{
		HoldID:    holdID,
		AccountID: account,
		Amount:    decimalOf(amt),
		Balance:   decimalOf(a.posted),
		Pending:   decimalOf(pending),
	}
	if timeout > 0 {
		h.deadline = s.now.Add(timeout)
		placed.ExpiresAt = h.deadline
	}
	e := refOf(s.b.add(account, placed))
	var ch change
	ch.accounts[0], ch.hold, ch.newHold = a, h, true
	ch.apply = func() {
		a.pending = pending
		l.holds[holdID] = h
		if timeout > 0 {
			l.expiries.push(h)
		}
		l.record(a, e, entry{hold: holdID, amount: amt})
	}
	return ch, nil
}

// Capture moves amount (0 < amount <= what the hold still holds) of hold
// holdID to account to as transfer transferID and releases the rest of the
// hold, in one hold_captured event whose Released is the rest and whose
// Remaining is "0". The hold is then closed.
func (l *Ledger) Capture(ctx context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string) error {
	return l.captureHold(ctx, holdID, transferID, to, amount, reason, true)
}

// CapturePartial moves amount (0 < amount <= what the hold still holds) of
// hold holdID to account to as transfer transferID and keeps the hold open
// with the rest: a metered lease pays for each tick with a partial capture,
// then settles with Release (the remainder returns to the account) or
// Capture (a last payment, the remainder released). It publishes
// hold_captured with Released "0" and Remaining what the hold still holds.
// A partial capture of all that remains closes the hold as captured.
//
// Each capture has its own transfer id. Retrying a capture repeats its hold,
// destination, amount and reason; whether it was partial or final is not a
// field of the transfer, so either call with the same fields is a retry.
func (l *Ledger) CapturePartial(ctx context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string) error {
	return l.captureHold(ctx, holdID, transferID, to, amount, reason, false)
}

// captureHold validates and performs a capture, final or partial.
func (l *Ledger) captureHold(ctx context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string, final bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stage()
	ch, err := l.prepareCapture(s, holdID, transferID, to, amount, reason, final)
	return l.finish(ctx, s, ch, err)
}

// prepareCapture validates a capture against the ledger's state and adds its
// event to s. It runs with l.mu held.
func (l *Ledger) prepareCapture(s stage, holdID, transferID, to string, amount *apd.Decimal, reason string, final bool) (change, error) {
	amt, err := l.ownAmount(amount)
	if err != nil {
		return change{}, err
	}
	if err := validIDs("hold", holdID, "transfer", transferID, "to account", to); err != nil {
		return change{}, err
	}
	if err := validReason(reason); err != nil {
		return change{}, err
	}
	h, err := l.hold(holdID)
	if err != nil {
		return change{}, err
	}
	m := &movement{op: opCapture, id: transferID, hold: holdID, from: h.account, to: to, amount: amt, reason: reason}
	if done, err := l.capturedAlready(h, m); done || err != nil {
		return change{}, err
	}
	return l.capture(s, h, m, final)
}

// capturedAlready handles a capture whose transfer id is taken, or of a hold
// that is closed.
func (l *Ledger) capturedAlready(h *hold, m *movement) (bool, error) {
	if done, err := l.retried(m); done || err != nil {
		return done, err
	}
	switch h.state {
	case holdCaptured:
		return true, fmt.Errorf("%w: hold %q was captured by transfer %q", ErrExistsWithDifferentFields, h.id, h.capture)
	case holdReleased:
		return true, fmt.Errorf("%w: hold %q was released", ErrUnknownHold, h.id)
	}
	return false, nil
}

// capture performs the capture m of the open hold h; a final capture
// releases what it does not capture.
func (l *Ledger) capture(s stage, h *hold, m *movement, final bool) (change, error) {
	if m.amount.Cmp(h.remaining) > 0 {
		return change{}, fmt.Errorf("%w: capture of %s from hold %q that holds %s",
			ErrCaptureExceedsHold, m.amount.Text('f'), m.hold, h.remaining.Text('f'))
	}
	if m.to == m.from {
		return change{}, fmt.Errorf("%w: %q", ErrSameAccount, m.to)
	}
	to, err := l.userAccount(m.to)
	if err != nil {
		return change{}, err
	}
	from := l.accounts[m.from]
	r, err := l.captureResult(h, from, to, m.amount, final)
	if err != nil {
		return change{}, err
	}
	e := refOf(s.b.add(m.from, events.HoldCaptured{
		HoldID:      m.hold,
		TransferID:  m.id,
		AccountID:   m.from,
		To:          m.to,
		Amount:      decimalOf(m.amount),
		Released:    decimalOf(r.released),
		Remaining:   decimalOf(r.remaining),
		Reason:      m.reason,
		FromBalance: decimalOf(r.fromPosted),
		ToBalance:   decimalOf(r.toPosted),
		Pending:     decimalOf(r.pending),
	}))
	return change{accounts: [2]*account{from, to}, hold: h, transfer: m.id, apply: func() {
		assert.That(from.posted == r.fromWas && from.pending == r.pendingWas && to.posted == r.toWas,
			"ledger: a capture applied over balances other than those it was staged against, so credits would not sum to zero")
		from.posted, from.pending, to.posted = r.fromPosted, r.pending, r.toPosted
		h.remaining, h.captured = r.remaining, r.captured
		if r.remaining.IsZero() {
			h.state, h.capture, h.closed = holdCaptured, m.id, l.at
			l.expiries.remove(h)
			l.forgetLater(h.id, true)
		}
		l.remember(*m)
		l.record(from, e, entry{transfer: m.id, hold: m.hold, counterparty: m.to, amount: m.amount, debit: true})
		l.record(to, e, entry{transfer: m.id, hold: m.hold, counterparty: m.from, amount: m.amount})
	}}, nil
}

// captureResult is what a capture leaves of a hold and its accounts.
type captureResult struct {
	released, remaining, captured *apd.Decimal // of the hold
	fromPosted, pending, toPosted *apd.Decimal // of the accounts
	fromWas, pendingWas, toWas    *apd.Decimal // what they were computed from
}

// captureResult computes the capture of amount from the hold h, of account
// from, to account to; a final capture releases what it does not capture.
func (l *Ledger) captureResult(h *hold, from, to *account, amount *apd.Decimal, final bool) (captureResult, error) {
	r := captureResult{fromWas: from.posted, pendingWas: from.pending, toWas: to.posted}
	rest, err := l.sub(h.remaining, amount)
	if err != nil {
		return r, err
	}
	r.released, r.remaining = l.slab.new(), reduceInto(l.slab.new(), rest) // partial
	if final {
		r.released, r.remaining = r.remaining, r.released
	}
	if r.captured, err = l.add(h.captured, amount); err != nil {
		return r, err
	}
	if r.fromPosted, err = l.sub(from.posted, amount); err != nil {
		return r, err
	}
	unheld, err := l.add(amount, r.released)
	if err != nil {
		return r, err
	}
	if r.pending, err = l.sub(from.pending, unheld); err != nil {
		return r, err
	}
	r.pending = reduceInto(l.slab.new(), r.pending)
	r.toPosted, err = l.add(to.posted, amount)
	return r, err
}

// Release returns what hold holdID still holds to its account's available
// balance and closes the hold. It publishes hold_released, whose Amount is
// the amount released.
func (l *Ledger) Release(ctx context.Context, holdID, reason string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stage()
	ch, err := l.prepareRelease(s, holdID, reason)
	return l.finish(ctx, s, ch, err)
}

// prepareRelease validates a release against the ledger's state and adds its
// event to s. It runs with l.mu held.
func (l *Ledger) prepareRelease(s stage, holdID, reason string) (change, error) {
	if err := validID("hold", holdID); err != nil {
		return change{}, err
	}
	if err := validReason(reason); err != nil {
		return change{}, err
	}
	h, err := l.hold(holdID)
	if err != nil {
		return change{}, err
	}
	switch h.state {
	case holdCaptured:
		return change{}, fmt.Errorf("%w: hold %q was captured", ErrUnknownHold, holdID)
	case holdReleased:
		if h.reason == reason {
			return change{}, nil
		}
		return change{}, fmt.Errorf("%w: hold %q was released for %q", ErrExistsWithDifferentFields, holdID, h.reason)
	}
	a := l.accounts[h.account]
	apply, _, err := l.release(s.b, h, reason, a.pending)
	if err != nil {
		return change{}, err
	}
	return change{accounts: [2]*account{a}, hold: h, apply: apply}, nil
}

// release adds the release of the open hold h to b, given the pending
// amount of its account before it, and returns the change to apply once b
// is published and the pending amount after it.
func (l *Ledger) release(b *writeBatch, h *hold, reason string, before *apd.Decimal) (func(), *apd.Decimal, error) {
	a := l.accounts[h.account]
	pending, err := l.sub(before, h.remaining)
	if err != nil {
		return nil, nil, err
	}
	pending = reduceInto(l.slab.new(), pending)
	amount := h.remaining
	e := refOf(b.add(h.account, events.HoldReleased{
		HoldID:    h.id,
		AccountID: h.account,
		Amount:    decimalOf(h.remaining),
		Reason:    reason,
		Pending:   decimalOf(pending),
	}))
	return func() {
		a.pending = pending
		h.state, h.reason, h.remaining, h.closed = holdReleased, reason, l.slab.new(), l.at
		l.expiries.remove(h)
		l.forgetLater(h.id, true)
		l.record(a, e, entry{hold: h.id, amount: amount})
	}, pending, nil
}

// HoldAmount returns what the open hold holdID still holds: the amount
// placed less its partial captures. It returns false if the hold is unknown
// or closed.
func (l *Ledger) HoldAmount(holdID string) (*apd.Decimal, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	h, ok := l.holds[holdID]
	if !ok || h.state != holdOpen {
		return nil, false
	}
	return new(apd.Decimal).Set(h.remaining), true
}

// OpenHolds returns the ids of the open holds, sorted.
func (l *Ledger) OpenHolds() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var ids []string
	for id, h := range l.holds {
		if h.state == holdOpen {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// hold returns the hold holdID, open or closed, or ErrUnknownHold.
func (l *Ledger) hold(holdID string) (*hold, error) {
	h, ok := l.holds[holdID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownHold, holdID)
	}
	return h, nil
}
