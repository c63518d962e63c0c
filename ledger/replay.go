package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// Replay rebuilds a ledger from the events of a stream without publishing
// anything. It considers the events of source ledger whose correlation is
// opts.Correlation and skips all others.
//
// The events form a hash chain: each carries, as prev_hash, the EventHash
// of the ledger event before it (the first event, the opening of the mint
// account, carries an empty prev_hash). Replay checks every link, so an
// event changed, dropped, inserted or moved breaks the chain or the
// re-enactment and is ErrReplayMismatch. The hash of an event is that of the
// event the ledger emits when re-enacting it, so decimals written
// differently but equal in value (25.5, 25.50) are accepted. A stream cut
// short after its last event replays into the state of that prefix:
// compare LastHash with a hash kept elsewhere (a Snapshot) to detect it.
//
// Each event is re-enacted through the same code that first produced it, and
// the event the ledger would emit must equal the one in the stream in every
// attribute (id, time, subject, sequence, correlation, type) and in its data,
// decimals compared by value. So the stream must begin, at sequence 1, with
// the opening of the mint and burn accounts as New publishes it, and go on
// without a gap; an event the ledger would have rejected, or whose balances
// differ from the rebuilt ones, is ErrReplayMismatch.
//
// The returned ledger continues the sequence (its next event gets
// LastSequence()+1), stamps with opts.Clock and publishes to opts.Publisher.
func Replay(opts Options, evs []events.Event) (*Ledger, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	want := newExpectation(ledgerEvents(evs, cfg.correlation))
	l := newLedger(cfg)
	l.pub, l.now = want, want.time
	ctx := context.Background()
	if err := l.openSystem(ctx); err != nil {
		return nil, mismatch("opening the system accounts", err)
	}
	return l.replay(cfg, want)
}

// ledgerEvents returns the ledger events of correlation in evs.
func ledgerEvents(evs []events.Event, correlation string) []events.Event {
	out := make([]events.Event, 0, len(evs))
	for _, e := range evs {
		if e.Source == events.SourceLedger && e.Correlation == correlation {
			out = append(out, e)
		}
	}
	return out
}

// mismatch wraps err, unless it already is one, as ErrReplayMismatch.
func mismatch(where string, err error) error {
	if errors.Is(err, ErrReplayMismatch) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrReplayMismatch, where, err)
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
		return withAmount(p.Amount, func(a *apd.Decimal) error { return l.Mint(ctx, p.TransferID, p.To, a, p.Reason) })
	case events.CreditsTransferred:
		return withAmount(p.Amount, func(a *apd.Decimal) error {
			return l.Transfer(ctx, p.TransferID, p.From, p.To, a, p.Reason)
		})
	case events.CreditsBurned:
		return withAmount(p.Amount, func(a *apd.Decimal) error { return l.Burn(ctx, p.TransferID, p.From, a, p.Reason) })
	case events.HoldPlaced:
		return withAmount(p.Amount, func(a *apd.Decimal) error { return l.reenactHold(ctx, e, p, a) })
	case events.HoldCaptured:
		return withAmount(p.Amount, func(a *apd.Decimal) error {
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
	return fmt.Errorf("%w: unexpected %T data", ErrReplayMismatch, e.Data)
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

// withAmount parses the event amount x and calls f with it.
func withAmount(x events.Decimal, f func(*apd.Decimal) error) error {
	if x == "" {
		return fmt.Errorf("%w: missing amount", ErrReplayMismatch)
	}
	a, err := x.Apd()
	if err != nil {
		return err
	}
	return f(a)
}

// expectation is the publisher of a replaying ledger: it accepts an event
// only if it is the next one of the stream.
type expectation struct {
	events []events.Event
	next   int
	// voids are the stream's void batches, which the replaying ledger's
	// sequence skips.
	voids events.Voids
}

// newExpectation expects the events of evs that belong to whole batches.
// (Their batch ranges are not compared: a linked batch is re-enacted one
// event at a time.)
func newExpectation(evs []events.Event) *expectation {
	kept, voids := events.Complete(evs)
	return &expectation{events: kept, voids: voids}
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
			return fmt.Errorf("%w: stream ends before %v", ErrReplayMismatch, got)
		}
		want := x.events[x.next+i]
		if wantPrev, _ := prevHash(want.Data); wantPrev != mustPrev(got.Data) {
			return fmt.Errorf("%w: broken hash chain at %v: prev_hash %q, the previous event hashes to %q",
				ErrReplayMismatch, want, wantPrev, mustPrev(got.Data))
		}
		if !sameEvent(want, got) {
			return fmt.Errorf("%w: stream has %v %+v, the ledger emits %v %+v",
				ErrReplayMismatch, want, want.Data, got, got.Data)
		}
	}
	x.next += len(evs)
	return nil
}

// mustPrev returns the PrevHash of a payload the ledger built.
func mustPrev(p events.Payload) string {
	prev, _ := prevHash(p)
	return prev
}

// sameEvent reports whether the events are equal in every attribute, their
// decimals compared by value.
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
	_, ledgerPayload := prevHash(a)
	return ledgerPayload && a == b
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
