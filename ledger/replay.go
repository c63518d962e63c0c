package ledger

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
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
	want.startHashing()
	defer want.stopHashing()
	l := newLedger(cfg)
	l.transfers = newTransferIndex(transferCount(want.events))
	l.pub, l.now, l.want = want, want.time, want
	ctx := context.Background()
	if err := l.openSystem(ctx); err != nil {
		return nil, mismatch("opening the system accounts", err)
	}
	return l.replay(cfg, want)
}

// ledgerEvents returns the ledger events of correlation in evs: evs itself
// if they all are, which replay only reads.
func ledgerEvents(evs []events.Event, correlation string) []events.Event {
	ours := func(e *events.Event) bool { return e.Source == events.SourceLedger && e.Correlation == correlation }
	i := 0
	for i < len(evs) && ours(&evs[i]) {
		i++
	}
	if i == len(evs) {
		return evs
	}
	out := make([]events.Event, i, len(evs))
	copy(out, evs[:i])
	for j := range evs[i:] {
		if e := &evs[i+j]; ours(e) {
			out = append(out, *e)
		}
	}
	return out
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

// withAmount parses the event amount x and calls f with it. The amount is
// the replay's scratch decimal, which f must not keep: the ledger copies
// every amount it is given (ownAmount).
func (l *Ledger) withAmount(x events.Decimal, f func(*apd.Decimal) error) error {
	if x == "" {
		return fmt.Errorf("%w: missing amount", ErrReplayMismatch)
	}
	a := &l.want.amount
	if err := parseDecimal(a, x); err != nil {
		return err
	}
	return f(a)
}

// parseDecimal sets d to the value of x as x.Apd returns it. A plain
// decimal of at most 19 digits, the common case, is parsed without
// allocating; any other goes through x.Apd.
func parseDecimal(d *apd.Decimal, x events.Decimal) error {
	if coeff, exp, neg, ok := plainDecimal(string(x)); ok {
		d.Form, d.Negative, d.Exponent = apd.Finite, neg && coeff != 0, exp
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

// plainDecimal parses s if it is -?[0-9]+(\.[0-9]+)? with at most 19
// digits: its coefficient, exponent and sign.
func plainDecimal(s string) (coeff uint64, exp int32, neg, ok bool) {
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			coeff = coeff*10 + uint64(c-'0')
			digits++
			if dot {
				exp--
			}
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return 0, 0, false, false
		}
	}
	ok = digits > 0 && digits <= 19 && (!dot || exp < 0)
	return coeff, exp, neg, ok
}

// expectation is the publisher of a replaying ledger: it accepts an event
// only if it is the next one of the stream.
type expectation struct {
	events []events.Event
	next   int
	// voids are the stream's void batches, which the replaying ledger's
	// sequence skips.
	voids events.Voids
	// amount is the amount of the event being re-enacted.
	amount apd.Decimal
	// sums[i], once hashed > i, is the hash of events[i], which a
	// goroutine computes ahead of the replay (see startHashing).
	sums     [][sha256.Size]byte
	hashed   atomic.Int64
	stopHash atomic.Bool
	hashers  sync.WaitGroup
}

// startHashing starts hashing the stream's events on a goroutine of their
// own, in order, so that the replaying ledger can take the hash of an event
// it rebuilds identical to the stream's instead of computing it (see
// streamSum), if there is a second processor to run it. It changes no
// result: an event whose hash is not there yet, or that differs from the
// stream's, is hashed as usual. stopHashing must follow.
func (x *expectation) startHashing() {
	if len(x.events) == 0 || runtime.GOMAXPROCS(0) < 2 {
		return // nothing to hash, or no processor to hash it on
	}
	x.sums = make([][sha256.Size]byte, len(x.events))
	x.hashers.Add(1)
	go func() {
		defer x.hashers.Done()
		var enc []byte
		for i := range x.events {
			if x.stopHash.Load() {
				return
			}
			enc = appendEvent(enc[:0], &x.events[i])
			x.sums[i] = sha256.Sum256(enc)
			x.hashed.Store(int64(i + 1))
		}
	}()
}

// stopHashing stops the goroutine of startHashing and waits for it, so
// that nothing reads the stream once the replay returns.
func (x *expectation) stopHashing() {
	x.stopHash.Store(true)
	x.hashers.Wait()
}

// streamSum returns the hash of e, the i-th event of the batch being built,
// if it is the stream's event there in every attribute that its hash
// encodes (see appendEvent), so that their hashes are equal, and the
// stream's is computed already.
func (x *expectation) streamSum(i int, e *events.Event) ([sha256.Size]byte, bool) {
	if x == nil {
		return [sha256.Size]byte{}, false
	}
	j := x.next + i
	if j >= int(x.hashed.Load()) {
		return [sha256.Size]byte{}, false
	}
	if s := &x.events[j]; !sameEncoding(s, e) {
		return [sha256.Size]byte{}, false
	}
	return x.sums[j], true
}

// sameEncoding reports whether a and b have the same hash encoding because
// every attribute it holds is the same, their payloads the same ledger
// payload written the same way.
func sameEncoding(a, b *events.Event) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Source == b.Source && a.Subject == b.Subject &&
		a.Correlation == b.Correlation && a.Causation == b.Causation && a.Sequence == b.Sequence &&
		a.Time.UnixNano() == b.Time.UnixNano() && fastEqual(a.Data, b.Data)
}

// newExpectation expects the events of evs that belong to whole batches.
// (Their batch ranges are not compared: a linked batch is re-enacted one
// event at a time.)
func newExpectation(evs []events.Event) *expectation {
	kept, voids := events.Complete(evs)
	return &expectation{events: kept, voids: voids}
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
// movement event of m whose texts are t (see movementText), field for
// field and byte for byte. A replaying ledger then adds the stream's own
// payload, equal to the one it would build, instead of building it again.
func (b *chainBatch) streamMovement(m *movement, t movementText) (events.Event, bool) {
	if b.want == nil {
		return events.Event{}, false
	}
	e, ok := b.want.upcoming(b.Len())
	if !ok {
		return e, false
	}
	body, ok := movementOf(e.Data, m.op)
	return e, ok && is(e.ID, t.id()) && body.TransferID == m.id && body.From == m.from && body.To == m.to &&
		body.Reason == m.reason && is(body.Amount, t.field(1)) && is(body.FromBalance, t.field(2)) &&
		is(body.ToBalance, t.field(3)) && is(body.PrevHash, t.prev())
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
