package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// Restore rebuilds a ledger from the events of a stream without publishing
// anything. It considers the events whose correlation is opts.Correlation
// and skips all others.
//
// Unless opts.Staged, it first verifies the hash chain of those events,
// every source's (events.Verify: a writer's chain covers all its events), so
// that an event changed, dropped, inserted, duplicated or moved is
// ErrRestore wrapping the *events.ChainError (events.ErrTampered)
// that names the first bad event. It re-enacts only the trusted events: the
// events of a group cut short (the last batch stored in part) are void,
// never applied, and the replayed ledger numbers its events after them. A
// stream with no chain at all (written elsewhere) is replayed as it is,
// unverified. A stream cut short after a sealed group cannot be told from a
// shorter one: compare LastHash with a hash kept elsewhere (a Snapshot).
// A Staged ledger takes evs as the trusted events of a stream its caller
// verified, and Options.LastSequence as the last sequence of the stream.
//
// Each ledger event is re-enacted through the same code that first produced
// it, and the event the ledger would emit must equal the one in the stream
// in every attribute (id, time, subject, sequence, correlation, type; its
// chain attributes Hash, Seal and Signature aside) and in its data,
// decimals compared by value (25.5 equals 25.50). So the stream must begin,
// at sequence 1, with the opening of the mint and burn accounts as New
// publishes it, and go on without a gap but void events; an event the
// ledger would have rejected, or whose balances differ from the rebuilt
// ones, is ErrRestore.
//
// The returned ledger continues the sequence (its next event gets
// LastSequence()+1) and, unless Staged, the chain (from the last trusted
// event; a new chain after an unchained stream), stamps with opts.Clock and
// publishes to opts.Publisher.
func Restore(ctx context.Context, opts Options, evs []events.Event) (*Ledger, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	s, err := readStream(cfg, evs, "", 0)
	if err != nil {
		return nil, err
	}
	want := newExpectation(s.events)
	l := newLedger(cfg)
	l.transfers = newTransferIndex(transferCount(want.events))
	l.pub, l.now, l.want = want, want.time, want
	if err := l.openSystem(context.Background()); err != nil {
		return nil, mismatch("opening the system accounts", err)
	}
	return l.replay(ctx, cfg, want, &s)
}

// transferCount returns how many of evs record a transfer id: the room a
// replaying ledger makes for them.
func transferCount(evs []events.Event) int {
	n := 0
	for i := range evs {
		switch evs[i].Data.(type) {
		case events.CreditsMinted, events.CreditsTransferred, events.CreditsBurned, events.HoldCaptured:
			n++
		}
	}
	return n
}

// mismatch wraps err, unless it already is one, as ErrRestore.
func mismatch(where string, err error) error {
	if errors.Is(err, ErrRestore) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrRestore, where, err)
}

// reenact performs the operation that emitted e.
func (l *Ledger) reenact(ctx context.Context, e events.Event) error {
	switch p := e.Data.(type) {
	case events.AccountOpened:
		opts := AccountOptions{Kind: Kind(p.Kind)}
		if p.OverdraftLimit != "" {
			limit, err := p.OverdraftLimit.Apd()
			if err != nil {
				return err
			}
			opts.OverdraftLimit = limit
		}
		return l.OpenWith(ctx, p.AccountID, opts)
	case events.AccountClosed:
		return l.Close(ctx, p.AccountID)
	case events.CreditsMinted:
		return l.withAmount(p.Amount, func(a *apd.Decimal) error { return l.Mint(ctx, p.TransferID, p.To, a, p.Reason) })
	case events.CreditsTransferred:
		return l.withAmount(p.Amount, func(a *apd.Decimal) error {
			return l.Transfer(ctx, p.TransferID, p.From, p.To, a, p.Reason)
		})
	case events.CreditsBurned:
		return l.withAmount(p.Amount, func(a *apd.Decimal) error { return l.Burn(ctx, p.TransferID, p.From, a, p.Reason) })
	case events.HoldPlaced:
		return l.withAmount(p.Amount, func(a *apd.Decimal) error { return l.reenactHold(ctx, e, p, a) })
	case events.HoldCaptured:
		return l.withAmount(p.Amount, func(a *apd.Decimal) error {
			if partial(p) {
				return l.CapturePartial(ctx, p.HoldID, p.TransferID, p.To, a, p.Reason)
			}
			return l.Capture(ctx, p.HoldID, p.TransferID, p.To, a, p.Reason)
		})
	case events.HoldReleased:
		return l.Release(ctx, p.HoldID, p.Reason)
	case events.BalanceQueried:
		_, err := l.QueryBalance(ctx, p.AccountID)
		return err
	}
	return fmt.Errorf("%w: unexpected %T data", ErrRestore, e.Data)
}

// reenactHold places the hold of p, with the timeout its deadline implies.
func (l *Ledger) reenactHold(ctx context.Context, e events.Event, p events.HoldPlaced, a *apd.Decimal) error {
	if p.ExpiresAt.IsZero() {
		return l.Hold(ctx, p.HoldID, p.AccountID, a)
	}
	return l.HoldWithTimeout(ctx, p.HoldID, p.AccountID, a, p.ExpiresAt.Sub(e.Time))
}

// partial reports whether the capture p keeps its hold open: it leaves a
// positive amount held. A capture that leaves nothing is re-enacted as a
// final capture, which emits the same event.
func partial(p events.HoldCaptured) bool {
	d, err := p.Remaining.Apd()
	return err == nil && d.Sign() > 0
}

// withAmount parses the event amount x and calls f with it. The amount is
// the replay's scratch decimal, which f must not keep: the ledger copies
// every amount it is given (ownAmount).
func (l *Ledger) withAmount(x events.Decimal, f func(*apd.Decimal) error) error {
	if x == "" {
		return fmt.Errorf("%w: missing amount", ErrRestore)
	}
	a := &l.want.amount
	if err := parseDecimal(a, x); err != nil {
		return err
	}
	return f(a)
}

// parseDecimal sets d to the value of x as x.Apd returns it. A decimal of
// at most exact.MaxWordDigits digits, the common case, is parsed
// without allocating; any other goes through x.Apd.
func parseDecimal(d *apd.Decimal, x events.Decimal) error {
	if coeff, exp, neg, ok := exact.ParseWord(string(x)); ok {
		d.Form, d.Negative, d.Exponent = apd.Finite, neg, exp
		d.Coeff.SetUint64(coeff)
		return nil
	}
	a, err := x.Apd()
	if err != nil {
		return err
	}
	d.Set(a)
	return nil
}

// expectation is the publisher of a replaying ledger: it accepts an event
// only if it is the next one of the stream.
type expectation struct {
	events []events.Event
	next   int
	// amount is the amount of the event being re-enacted.
	amount apd.Decimal
}

// newExpectation expects the events of evs, in order.
func newExpectation(evs []events.Event) *expectation {
	return &expectation{events: evs}
}

// upcoming returns the event of the stream that the i-th event of the batch
// being built must equal, if the stream has one.
func (x *expectation) upcoming(i int) (events.Event, bool) {
	if j := x.next + i; j < len(x.events) {
		return x.events[j], true
	}
	return events.Event{}, false
}

// streamMovement returns the replayed stream's next event if it is the
// movement event of m whose decimals are t (see movementText), field for
// field and byte for byte. A replaying ledger then adds the stream's own
// payload, equal to the one it would build, instead of building it again;
// the expectation checks the event's id and envelope when it is published.
func (b *writeBatch) streamMovement(m *movement, t movementText) (events.Event, bool) {
	if b.want == nil {
		return events.Event{}, false
	}
	e, ok := b.want.upcoming(b.Len())
	if !ok {
		return e, false
	}
	body, ok := movementOf(e.Data, m.op)
	return e, ok && body.TransferID == m.id && body.From == m.from && body.To == m.to &&
		body.Reason == m.reason && is(body.Amount, t.field(0)) && is(body.FromBalance, t.field(1)) &&
		is(body.ToBalance, t.field(2))
}

// movementOf returns the body of p if p is the movement event of op.
func movementOf(p events.Payload, o op) (events.Movement, bool) {
	switch p := p.(type) {
	case events.CreditsMinted:
		return p.Movement, o == opMint
	case events.CreditsTransferred:
		return p.Movement, o == opTransfer
	case events.CreditsBurned:
		return p.Movement, o == opBurn
	}
	return events.Movement{}, false
}

// time returns the time of the next event, so that the replaying ledger
// stamps what the stream holds.
func (x *expectation) time() time.Time {
	if x.next < len(x.events) {
		return x.events[x.next].Time
	}
	return time.Time{}
}

// Publish implements events.Publisher.
func (x *expectation) Publish(_ context.Context, evs ...events.Event) error {
	for i, got := range evs {
		if x.next+i >= len(x.events) {
			return fmt.Errorf("%w: stream ends before %v", ErrRestore, got)
		}
		if want := x.events[x.next+i]; !sameEvent(want, got) {
			return fmt.Errorf("%w: stream has %v %+v, the ledger emits %v %+v",
				ErrRestore, want, want.Data, got, got.Data)
		}
	}
	x.next += len(evs)
	return nil
}

// sameEvent reports whether the events are equal in every attribute but
// their chain's (Hash, Seal, Signature), their decimals compared by value.
func sameEvent(a, b events.Event) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Source == b.Source && a.Subject == b.Subject &&
		a.Time.Equal(b.Time) && a.Sequence == b.Sequence && a.Correlation == b.Correlation &&
		a.Causation == b.Causation && a.TraceParent == b.TraceParent && a.Schema == b.Schema &&
		samePayload(a.Data, b.Data)
}

// samePayload reports whether two ledger payloads are equal, decimals
// compared by value. Payloads of other types are never equal.
func samePayload(a, b events.Payload) bool {
	if fastEqual(a, b) {
		return true
	}
	na, okA := normalize(a)
	nb, okB := normalize(b)
	return okA && okB && na == nb
}

// fastEqual reports whether a and b are the same ledger payload written the
// same way, the common case, which needs no normalizing. Ledger payloads
// are comparable structs, so interface equality compares them field by
// field.
func fastEqual(a, b events.Payload) bool {
	return isLedgerPayload(a) && a == b
}

// isLedgerPayload reports whether p is the payload of a ledger event.
func isLedgerPayload(p events.Payload) bool {
	switch p.(type) {
	case events.AccountOpened, events.AccountClosed, events.CreditsMinted, events.CreditsTransferred,
		events.CreditsBurned, events.HoldPlaced, events.HoldCaptured, events.HoldReleased, events.BalanceQueried:
		return true
	}
	return false
}

// normalize returns p with its decimals in reduced form, and false if p is
// not a ledger payload.
func normalize(p events.Payload) (events.Payload, bool) {
	switch p := p.(type) {
	case events.AccountOpened:
		p.OverdraftLimit = norm(p.OverdraftLimit)
		return p, true
	case events.AccountClosed:
		return p, true
	case events.CreditsMinted:
		return events.CreditsMinted{Movement: normalizeMovement(p.Movement)}, true
	case events.CreditsTransferred:
		return events.CreditsTransferred{Movement: normalizeMovement(p.Movement)}, true
	case events.CreditsBurned:
		return events.CreditsBurned{Movement: normalizeMovement(p.Movement)}, true
	case events.HoldPlaced:
		p.Amount, p.Balance, p.Pending = norm(p.Amount), norm(p.Balance), norm(p.Pending)
		p.ExpiresAt = p.ExpiresAt.UTC().Round(0)
		return p, true
	case events.HoldCaptured:
		if p.Remaining == "" { // written before partial captures: a final capture
			p.Remaining = "0"
		}
		p.Amount, p.Released, p.Remaining, p.Pending = norm(p.Amount), norm(p.Released), norm(p.Remaining), norm(p.Pending)
		p.FromBalance, p.ToBalance = norm(p.FromBalance), norm(p.ToBalance)
		return p, true
	case events.HoldReleased:
		p.Amount, p.Pending = norm(p.Amount), norm(p.Pending)
		return p, true
	case events.BalanceQueried:
		p.Balance, p.Pending, p.Available = norm(p.Balance), norm(p.Pending), norm(p.Available)
		return p, true
	}
	return nil, false
}

func normalizeMovement(m events.Movement) events.Movement {
	m.Amount, m.FromBalance, m.ToBalance = norm(m.Amount), norm(m.FromBalance), norm(m.ToBalance)
	return m
}

// norm returns x in reduced form; an empty or malformed x is returned as is,
// so that it equals only itself.
func norm(x events.Decimal) events.Decimal {
	if x == "" {
		return x
	}
	d, err := x.Apd()
	if err != nil {
		return x
	}
	return decimalOf(reduce(d))
}
