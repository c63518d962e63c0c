package ledger

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/canon"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// Snapshot is the state of a ledger after its event LastSequence: what
// RestoreFrom needs to rebuild the ledger without the events before it. Its
// lists are sorted by id and its decimals belong to the caller.
type Snapshot struct {
	// LastSequence is the sequence of the last event the state includes.
	LastSequence uint64
	// LastHash is the head of the ledger's hash chain (Ledger.LastHash):
	// the Hash of that event, which the next links to; empty for a Staged
	// ledger.
	LastHash string
	// StateHash is the StateHash of the state below.
	StateHash string
	// Accounts, Holds and Transfers are the state: every account, every
	// hold placed (open or closed) and every transfer id used.
	Accounts  []AccountState
	Holds     []HoldState
	Transfers []TransferState
}

// AccountState is one account of a Snapshot.
type AccountState struct {
	ID             string
	Kind           Kind
	OverdraftLimit *apd.Decimal // zero for none
	Closed         bool
	Posted         *apd.Decimal
	Pending        *apd.Decimal
}

// HoldState is one hold of a Snapshot. State is "open", "captured" or
// "released"; Capture is the transfer id of the capture that closed it,
// Reason the reason of its release.
type HoldState struct {
	ID, Account                 string
	Amount, Remaining, Captured *apd.Decimal
	Timeout                     time.Duration
	Deadline                    time.Time
	State                       string
	Capture, Reason             string
	// Closed is when a captured or released hold closed: with
	// Options.Retention, when it is to be forgotten.
	Closed time.Time
}

// TransferState is one transfer id of a Snapshot: Op is "mint",
// "transfer", "burn" or "capture"; Hold is the captured hold of a capture.
type TransferState struct {
	ID, Op, Hold, From, To string
	Amount                 *apd.Decimal
	Reason                 string
	// At is when the transfer was done: with Options.Retention, when its id
	// is to be forgotten.
	At time.Time
}

var holdStates = map[holdState]string{holdOpen: "open", holdCaptured: "captured", holdReleased: "released"}

var ops = map[op]string{opMint: "mint", opTransfer: "transfer", opBurn: "burn", opCapture: "capture"}

// Snapshot returns the ledger's state, its last sequence and hash, and its
// StateHash. Histories are not part of it.
func (l *Ledger) Snapshot() Snapshot {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s := Snapshot{LastSequence: l.seq.Last(), LastHash: l.lastHash}
	for id, a := range l.accounts {
		s.Accounts = append(s.Accounts, AccountState{
			ID: id, Kind: a.kind, OverdraftLimit: copyOf(a.limit), Closed: a.closed,
			Posted: copyOf(a.posted), Pending: copyOf(a.pending),
		})
	}
	for id, h := range l.holds {
		s.Holds = append(s.Holds, HoldState{
			ID: id, Account: h.account, Amount: copyOf(h.amount), Remaining: copyOf(h.remaining),
			Captured: copyOf(h.captured), Timeout: h.timeout, Deadline: h.deadline,
			State: holdStates[h.state], Capture: h.capture, Reason: h.reason, Closed: h.closed,
		})
	}
	for m := range l.transfers.all() {
		s.Transfers = append(s.Transfers, TransferState{
			ID: m.id, Op: ops[m.op], Hold: m.hold, From: m.from, To: m.to, Amount: copyOf(m.amount), Reason: m.reason, At: m.at,
		})
	}
	slices.SortFunc(s.Accounts, func(a, b AccountState) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Holds, func(a, b HoldState) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(s.Transfers, func(a, b TransferState) int { return cmp.Compare(a.ID, b.ID) })
	s.StateHash = s.stateHash()
	return s
}

// StateHash returns the SHA-256, in lower-case hex, of the ledger's state:
// its accounts, holds and transfer ids, each sorted by id, in a binary
// encoding (strings and decimals, the latter as their reduced plain text,
// prefixed by their length as a varint; counts as varints; a bool as one
// byte; durations as 8 bytes big-endian nanoseconds; a time as one 0 byte if
// zero, else 1 and its Unix nanoseconds, 8 bytes big-endian). Two ledgers
// with the same balances, holds and idempotency records have the same
// StateHash, whatever their histories.
func (l *Ledger) StateHash() string { return l.Snapshot().StateHash }

// stateHash hashes the state of s, which must be sorted.
func (s *Snapshot) stateHash() string {
	h := canon.NewHash()
	h.String("scarcity.ledger.state.v2")
	h.Uvarint(uint64(len(s.Accounts)))
	for _, a := range s.Accounts {
		h.Strings(a.ID, string(a.Kind), text(a.OverdraftLimit))
		h.Bool(a.Closed)
		h.Strings(text(a.Posted), text(a.Pending))
	}
	h.Uvarint(uint64(len(s.Holds)))
	for _, hd := range s.Holds {
		h.Strings(hd.ID, hd.Account, text(hd.Amount), text(hd.Remaining), text(hd.Captured))
		h.Uint64(uint64(hd.Timeout))
		h.Time(hd.Deadline)
		h.Strings(hd.State, hd.Capture, hd.Reason)
		h.Time(hd.Closed)
	}
	h.Uvarint(uint64(len(s.Transfers)))
	for _, t := range s.Transfers {
		h.Strings(t.ID, t.Op, t.Hold, t.From, t.To, text(t.Amount), t.Reason)
		h.Time(t.At)
	}
	return h.Sum()
}

// RestoreFrom rebuilds a ledger from a snapshot and the events after it. It
// restores the snapshot's state, checks that its StateHash is the
// snapshot's, then replays as Restore does the ledger events of
// opts.Correlation whose sequence is after snap.LastSequence (earlier ones
// are skipped, so the whole stream may be passed). Unless opts.Staged, the
// events after the snapshot's (those after the event whose Hash is
// snap.LastHash, or all of evs if it holds none) must link to snap.LastHash:
// events.Verify checks them with that head, so a tail that does not follow
// the snapshot is ErrRestore wrapping events.ErrTampered. A snapshot
// without a head (of a ledger replayed from an unchained stream) takes the
// events from its first ledger event after snap.LastSequence, which must be
// unchained or start a chain. A snapshot that does not hold together (an
// unknown state, a missing decimal, a hold on an unknown account, a hash
// that differs) or events that do not follow it are ErrRestore.
// Account histories start after the snapshot.
func RestoreFrom(ctx context.Context, opts Options, snap Snapshot, evs []events.Event) (*Ledger, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	if !cfg.staged {
		evs = tail(evs, cfg.correlation, &snap)
	}
	s, err := readStream(cfg, evs, snap.LastHash, snap.LastSequence)
	if err != nil {
		return nil, err
	}
	want := newExpectation(s.events)
	l := newLedger(cfg)
	l.transfers = newTransferIndex(len(snap.Transfers) + transferCount(want.events))
	l.seq = events.NewSequencer(events.SourceLedger, cfg.correlation, snap.LastSequence)
	if got := snap.stateHash(); got != snap.StateHash {
		return nil, fmt.Errorf("%w: snapshot state hashes to %s, not %s", ErrRestore, got, snap.StateHash)
	}
	if err := l.restore(snap); err != nil {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrRestore, err)
	}
	l.requeue()
	return l.replay(ctx, cfg, want, &s)
}

// tail returns the events of evs after the snapshot snap, which must
// continue its chain: those after the event whose Hash is snap.LastHash
// (all of evs if none is); for a snapshot without a chain head, those from
// the first ledger event of correlation after snap.LastSequence, which
// must start a chain if they carry one.
func tail(evs []events.Event, correlation string, snap *Snapshot) []events.Event {
	if snap.LastHash == "" {
		for i := range evs {
			if e := &evs[i]; e.Source == events.SourceLedger && e.Correlation == correlation && e.Sequence > snap.LastSequence {
				return evs[i:]
			}
		}
		return nil
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Hash == snap.LastHash {
			return evs[i+1:]
		}
	}
	return evs
}

// restore sets the state of the new ledger l to that of snap.
func (l *Ledger) restore(snap Snapshot) error {
	for _, a := range snap.Accounts {
		if err := finite(a.ID, a.Posted, a.Pending); err != nil {
			return err
		}
		if _, dup := l.accounts[a.ID]; dup {
			return fmt.Errorf("account %q twice", a.ID)
		}
		acc := newAccount(a.Kind, copyOf(a.OverdraftLimit))
		acc.closed, acc.posted, acc.pending = a.Closed, copyOf(a.Posted), copyOf(a.Pending)
		l.accounts[a.ID] = acc
	}
	if m, b := l.accounts[MintAccount], l.accounts[BurnAccount]; m == nil || b == nil || m.kind != KindMint || b.kind != KindBurn {
		return fmt.Errorf("no mint or burn account")
	}
	states := map[string]holdState{"open": holdOpen, "captured": holdCaptured, "released": holdReleased}
	for _, h := range snap.Holds {
		state, ok := states[h.State]
		switch _, dup := l.holds[h.ID]; {
		case dup:
			return fmt.Errorf("hold %q twice", h.ID)
		case !ok:
			return fmt.Errorf("hold %q in state %q", h.ID, h.State)
		case l.accounts[h.Account] == nil:
			return fmt.Errorf("hold %q on unknown account %q", h.ID, h.Account)
		}
		if err := finite(h.ID, h.Amount, h.Remaining, h.Captured); err != nil {
			return err
		}
		hd := &hold{id: h.ID, account: h.Account, amount: copyOf(h.Amount), remaining: copyOf(h.Remaining),
			captured: copyOf(h.Captured), timeout: h.Timeout, deadline: h.Deadline, index: -1,
			state: state, capture: h.Capture, reason: h.Reason, closed: h.Closed}
		l.holds[h.ID] = hd
		if state == holdOpen && h.Timeout > 0 {
			l.expiries.push(hd)
		}
	}
	byName := map[string]op{"mint": opMint, "transfer": opTransfer, "burn": opBurn, "capture": opCapture}
	for _, t := range snap.Transfers {
		o, ok := byName[t.Op]
		if !ok {
			return fmt.Errorf("transfer %q of kind %q", t.ID, t.Op)
		}
		if err := finite(t.ID, t.Amount); err != nil {
			return err
		}
		l.at = t.At
		l.remember(movement{op: o, id: t.ID, hold: t.Hold, from: t.From, to: t.To, amount: copyOf(t.Amount), reason: t.Reason})
	}
	return nil
}

// copyOf returns a copy of d; nil stays nil.
func copyOf(d *apd.Decimal) *apd.Decimal {
	if d == nil {
		return nil
	}
	return new(apd.Decimal).Set(d)
}

// text returns the reduced plain text of d, "0" for nil.
func text(d *apd.Decimal) string {
	if d == nil {
		return "0"
	}
	return reduce(d).Text('f')
}

// replay re-enacts the expected events of s on l, then hands l its
// publisher and clock, and its chain unless it is Staged.
func (l *Ledger) replay(ctx context.Context, cfg config, want *expectation, s *stream) (*Ledger, error) {
	l.pub, l.now, l.want = want, want.time, want
	for want.next < len(want.events) {
		at := want.next
		if at%1024 == 0 && ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		e := want.events[at]
		if last := l.seq.Last(); e.Sequence > last+1 && s.skips(last, e.Sequence) {
			l.renumber(cfg, e.Sequence-1)
		}
		if err := l.reenact(ctx, e); err != nil {
			return nil, mismatch(e.String(), err)
		}
		if want.next != at+1 {
			return nil, fmt.Errorf("%w: %v: the ledger would not emit it", ErrRestore, e)
		}
	}
	if s.last > l.seq.Last() {
		l.renumber(cfg, s.last)
	}
	if err := l.chainFrom(s.head); err != nil {
		return nil, err
	}
	l.pub, l.now, l.want = cfg.publisher, cfg.clock.Now, nil
	if l.cb != nil {
		l.cb.want = nil // so that the ledger does not keep the stream
	}
	return l, nil
}

// renumber makes the next event of l, a ledger being replayed, number
// last+1: after void events of its stream.
func (l *Ledger) renumber(cfg config, last uint64) {
	l.seq = events.NewSequencer(events.SourceLedger, cfg.correlation, last)
	l.cb = nil
}

// finite returns an error naming the item if one of its decimals is
// missing or not finite.
func finite(name string, ds ...*apd.Decimal) error {
	if !exact.Finite(ds...) {
		return fmt.Errorf("%q has a missing or non-finite decimal", name)
	}
	return nil
}
