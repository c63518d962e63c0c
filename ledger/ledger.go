package ledger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// Ledger is a double-entry credit ledger. Create one with New or Replay.
type Ledger struct {
	mu         sync.RWMutex
	dc         *apd.Context // arithmetic of writes
	scale      int32
	maxAmount  *apd.Decimal
	pub        events.Publisher
	now        func() time.Time
	seq        *events.Sequencer
	accounts   map[string]*account
	holds      map[string]*hold    // every hold placed, open or closed
	transfers  map[string]movement // every movement done, by transfer id
	expiries   expiryQueue         // open holds with a deadline
	maxHistory int                 // entries kept per account
}

// New validates opts, then opens the mint account (allowed negative) and the
// burn account, publishing their account_opened events in one batch.
func New(ctx context.Context, opts Options) (*Ledger, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	l := newLedger(cfg)
	if err := l.openSystem(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// newLedger returns a ledger without accounts whose sequence starts at 1.
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
		transfers:  make(map[string]movement),
		maxHistory: cfg.maxHistory,
	}
}

// openSystem opens the mint and burn accounts.
func (l *Ledger) openSystem(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.seq.Batch(l.now())
	b.Add(MintAccount, events.AccountOpened{AccountID: MintAccount, Kind: string(KindMint), AllowNegative: true})
	b.Add(BurnAccount, events.AccountOpened{AccountID: BurnAccount, Kind: string(KindBurn)})
	return l.commit(ctx, b, func() {
		l.accounts[MintAccount] = newAccount(KindMint)
		l.accounts[BurnAccount] = newAccount(KindBurn)
	})
}

// Open opens account id of an agent, operator or escrow kind. Such accounts
// never go negative. Opening an existing id, or a second mint or burn
// account, is ErrAccountExists.
func (l *Ledger) Open(ctx context.Context, id string, kind Kind) error {
	if err := validID("account", id); err != nil {
		return err
	}
	switch {
	case kind.system():
		return fmt.Errorf("%w: the ledger has its %s account", ErrAccountExists, kind)
	case !kind.userKind():
		return fmt.Errorf("%w: %q", ErrInvalidKind, kind)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.accounts[id]; ok {
		return fmt.Errorf("%w: %q", ErrAccountExists, id)
	}
	b := l.seq.Batch(l.now())
	b.Add(id, events.AccountOpened{AccountID: id, Kind: string(kind)})
	return l.commit(ctx, b, func() { l.accounts[id] = newAccount(kind) })
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
func (l *Ledger) commit(ctx context.Context, b *events.Batch, apply func(), undo ...func()) error {
	if err := b.Publish(ctx, l.pub); err != nil {
		for _, u := range undo {
			u()
		}
		return fmt.Errorf("ledger: publish: %w", err)
	}
	apply()
	return nil
}

// account returns the account id, or ErrUnknownAccount.
func (l *Ledger) account(id string) (*account, error) {
	a, ok := l.accounts[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAccount, id)
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
	if _, err := l.dc.Sub(&avail, a.posted, a.pending); err != nil {
		return fmt.Errorf("%w: available of %q: %w", ErrBalanceOverflow, id, err)
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
	d := new(apd.Decimal)
	if _, err := l.dc.Add(d, x, y); err != nil {
		return nil, fmt.Errorf("%w: %s + %s: %w", ErrBalanceOverflow, x.Text('f'), y.Text('f'), err)
	}
	return d, nil
}

// sub returns x - y, or ErrBalanceOverflow if it is not exact.
func (l *Ledger) sub(x, y *apd.Decimal) (*apd.Decimal, error) {
	d := new(apd.Decimal)
	if _, err := l.dc.Sub(d, x, y); err != nil {
		return nil, fmt.Errorf("%w: %s - %s: %w", ErrBalanceOverflow, x.Text('f'), y.Text('f'), err)
	}
	return d, nil
}
