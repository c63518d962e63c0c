package ledger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// Ledger is a double-entry credit ledger. Create one with New or Restore.
type Ledger struct {
	mu         sync.RWMutex
	dc         *apd.Context // arithmetic of writes
	scale      int32
	maxAmount  *apd.Decimal
	pub        events.Publisher
	now        func() time.Time
	seq        *events.Sequencer
	accounts   map[string]*account
	holds      map[string]*hold // every hold placed, open or closed
	transfers  transferIndex    // every movement done, by transfer id
	slab       slab             // the decimals writes compute
	amounts    slab             // the amounts writes are given, kept longer
	lastAmount *apd.Decimal     // the last amount from amounts
	expiries   expiryQueue      // open holds with a deadline
	maxHistory int              // entries kept per account
	retention  time.Duration    // how long done ids are remembered; 0: always
	forget     forgetting       // the records to forget, oldest first
	at         time.Time        // the time of the write in progress
	staged     bool             // the writer that commits the events chains them
	lastHash   string           // head of the ledger's chain; "" if Staged
	cb         *writeBatch      // the batch of the write in progress
	want       *expectation     // the stream being replayed, if any
}

// New validates opts, then opens the mint account (allowed negative) and the
// burn account, publishing their account_opened events in one batch: unless
// opts.Staged, the first group of the ledger's new hash chain.
func New(ctx context.Context, opts Options) (*Ledger, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	l := newLedger(cfg)
	l.seq = events.NewSequencer(events.SourceLedger, cfg.correlation, cfg.lastSeq)
	if err := l.chainFrom(""); err != nil {
		return nil, err
	}
	if err := l.openSystem(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// newLedger returns a ledger without accounts whose sequence starts at 1,
// not chained yet (see chainFrom).
func newLedger(cfg config) *Ledger {
	return &Ledger{
		dc:         newContext(),
		scale:      cfg.scale,
		maxAmount:  cfg.maxAmount,
		pub:        cfg.publisher,
		now:        cfg.clock.Now,
		seq:        events.NewSequencer(events.SourceLedger, cfg.correlation, 0),
		accounts:   make(map[string]*account),
		holds:      make(map[string]*hold),
		transfers:  newTransferIndex(0),
		maxHistory: cfg.maxHistory,
		retention:  cfg.retention,
		staged:     cfg.staged,
	}
}

// openSystem opens the mint and burn accounts.
func (l *Ledger) openSystem(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.batch(l.now())
	b.add(MintAccount, events.AccountOpened{AccountID: MintAccount, Kind: string(KindMint), AllowNegative: true})
	b.add(BurnAccount, events.AccountOpened{AccountID: BurnAccount, Kind: string(KindBurn)})
	return l.commit(ctx, b, func() {
		l.accounts[MintAccount] = newAccount(KindMint, nil)
		l.accounts[BurnAccount] = newAccount(KindBurn, nil)
	})
}

// Open opens account id of kind, without an overdraft limit: its available
// balance never goes below zero. It is OpenWith with only the kind.
func (l *Ledger) Open(ctx context.Context, id string, kind Kind) error {
	return l.OpenWith(ctx, id, AccountOptions{Kind: kind})
}

// AccountOptions describes an account to open.
type AccountOptions struct {
	// Kind is the account's kind: agent, operator, escrow, or any
	// user-defined kind matching [a-z][a-z0-9_]{0,31}. It is required;
	// mint and burn are the system accounts' and cannot be opened again.
	Kind Kind
	// OverdraftLimit is how far below zero the account's available (and so
	// posted) balance may go. Nil or zero means none; otherwise it must be a
	// valid amount (ValidateAmount).
	OverdraftLimit *apd.Decimal
}

// OpenWith opens account id as opts describes and publishes account_opened,
// which carries the overdraft limit if there is one. Opening an existing id,
// closed or not, or a second mint or burn account, is ErrAccountExists; a
// malformed kind is ErrInvalidKind; a bad limit is ErrInvalidAmount.
func (l *Ledger) OpenWith(ctx context.Context, id string, opts AccountOptions) error {
	if err := validID("account", id); err != nil {
		return err
	}
	kind := opts.Kind
	switch {
	case kind.system():
		return fmt.Errorf("%w: the ledger has its %s account", ErrAccountExists, kind)
	case !kind.valid():
		return fmt.Errorf("%w: %q", ErrInvalidKind, kind)
	}
	limit := new(apd.Decimal)
	if opts.OverdraftLimit != nil && !opts.OverdraftLimit.IsZero() {
		var err error
		if limit, err = l.amount(opts.OverdraftLimit); err != nil {
			return fmt.Errorf("overdraft limit: %w", err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.accounts[id]; ok {
		return fmt.Errorf("%w: %q", ErrAccountExists, id)
	}
	b := l.batch(l.now())
	opened := events.AccountOpened{AccountID: id, Kind: string(kind)}
	if !limit.IsZero() {
		opened.OverdraftLimit = decimalOf(limit)
	}
	b.add(id, opened)
	return l.commit(ctx, b, func() { l.accounts[id] = newAccount(kind, limit) })
}

// Close closes account id, which must be a user account whose posted and
// pending balances are zero (ErrAccountNotEmpty), and publishes
// account_closed. A closed account keeps its balance and history for
// queries but refuses every movement and hold with ErrClosedAccount, and its
// id cannot be opened again. Closing a closed account does nothing.
func (l *Ledger) Close(ctx context.Context, id string) error {
	if err := validID("account", id); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.accounts[id]
	switch {
	case !ok:
		return fmt.Errorf("%w: %q", ErrUnknownAccount, id)
	case a.kind.system():
		return fmt.Errorf("%w: cannot close %q", ErrSystemAccount, id)
	case a.closed:
		return nil
	case !a.posted.IsZero() || !a.pending.IsZero():
		return fmt.Errorf("%w: %q has %s posted and %s pending", ErrAccountNotEmpty, id, a.posted.Text('f'), a.pending.Text('f'))
	}
	b := l.batch(l.now())
	b.add(id, events.AccountClosed{AccountID: id, Kind: string(a.kind)})
	return l.commit(ctx, b, func() { a.closed = true })
}

// LastSequence returns the sequence of the last event the ledger published
// (or replayed); the next event gets LastSequence()+1.
func (l *Ledger) LastSequence() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.seq.Last()
}

// commit publishes the batch and, only once the publisher has accepted it,
// applies the change; if the publish fails it calls undo, if given. It runs
// with l.mu held.
func (l *Ledger) commit(ctx context.Context, b *writeBatch, apply func(), undo ...func()) error {
	if err := l.publish(ctx, b); err != nil {
		for _, u := range undo {
			u()
		}
		return err
	}
	apply()
	return nil
}

// publish publishes b, linked into the ledger's chain as one sealed group
// unless it is Staged, and moves LastHash to its last event.
func (l *Ledger) publish(ctx context.Context, b *writeBatch) error {
	if err := b.Publish(ctx, l.pub); err != nil {
		return fmt.Errorf("ledger: publish: %w", err)
	}
	if evs := b.Events(); len(evs) > 0 && !l.staged {
		l.lastHash = evs[len(evs)-1].Hash
	}
	l.forgetOld(l.at)
	return nil
}

// account returns the open account id: ErrUnknownAccount if there is none,
// ErrClosedAccount if it is closed.
func (l *Ledger) account(id string) (*account, error) {
	a, ok := l.accounts[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAccount, id)
	}
	if a.closed {
		return nil, fmt.Errorf("%w: %q", ErrClosedAccount, id)
	}
	return a, nil
}

// userAccount returns the account id if it is not a system account.
func (l *Ledger) userAccount(id string) (*account, error) {
	a, err := l.account(id)
	if err != nil {
		return nil, err
	}
	if a.kind.system() {
		return nil, fmt.Errorf("%w: %q", ErrSystemAccount, id)
	}
	return a, nil
}

// ensureAvailable checks that account id, a, can give amount.
func (l *Ledger) ensureAvailable(id string, a *account, amount *apd.Decimal) error {
	if a.allowNegative() {
		return nil
	}
	var avail apd.Decimal
	if err := subInto(l.dc, &avail, a.posted, a.pending); err != nil {
		return fmt.Errorf("%w: available of %q: %w", ErrBalanceOverflow, id, err)
	}
	if !a.limit.IsZero() {
		if err := addInto(l.dc, &avail, &avail, a.limit); err != nil {
			return fmt.Errorf("%w: available of %q: %w", ErrBalanceOverflow, id, err)
		}
	}
	if avail.Cmp(amount) < 0 {
		return &InsufficientCreditError{
			Account:   id,
			Available: new(apd.Decimal).Set(&avail),
			Needed:    new(apd.Decimal).Set(amount),
		}
	}
	return nil
}

// add returns x + y, or ErrBalanceOverflow if it is not exact.
func (l *Ledger) add(x, y *apd.Decimal) (*apd.Decimal, error) {
	d := l.slab.new()
	if err := addInto(l.dc, d, x, y); err != nil {
		return nil, fmt.Errorf("%w: %s + %s: %w", ErrBalanceOverflow, x.Text('f'), y.Text('f'), err)
	}
	return d, nil
}

// sub returns x - y, or ErrBalanceOverflow if it is not exact.
func (l *Ledger) sub(x, y *apd.Decimal) (*apd.Decimal, error) {
	d := l.slab.new()
	if err := subInto(l.dc, d, x, y); err != nil {
		return nil, fmt.Errorf("%w: %s - %s: %w", ErrBalanceOverflow, x.Text('f'), y.Text('f'), err)
	}
	return d, nil
}
