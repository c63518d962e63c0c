package ledger

import (
	"context"
	"fmt"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// Balance is a snapshot of one account. Its decimals are copies that belong
// to the caller.
type Balance struct {
	// Posted is the balance of completed movements.
	Posted *apd.Decimal
	// Pending is the total of the account's open holds.
	Pending *apd.Decimal
	// Available is Posted - Pending: what the account can still move or hold.
	Available *apd.Decimal
	// Kind is the account's kind.
	Kind Kind
	// AllowNegative reports whether the account has no floor at all (only
	// the mint account has none).
	AllowNegative bool
	// OverdraftLimit is how far below zero Available may go; nil for none.
	OverdraftLimit *apd.Decimal
	// Closed reports whether the account was closed.
	Closed bool
}

// Balance returns the balance of account id without publishing an event.
func (l *Ledger) Balance(id string) (Balance, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	a, ok := l.accounts[id]
	if !ok {
		return Balance{}, fmt.Errorf("%w: %q", ErrUnknownAccount, id)
	}
	return a.balance(), nil
}

// QueryBalance returns the balance of account id and publishes a
// balance_queried event. If the publish fails it returns the error and no
// balance.
func (l *Ledger) QueryBalance(ctx context.Context, id string) (Balance, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.accounts[id]
	if !ok {
		return Balance{}, fmt.Errorf("%w: %q", ErrUnknownAccount, id)
	}
	bal := a.balance()
	b := l.batch(l.now())
	b.add(id, events.BalanceQueried{
		AccountID: id,
		Balance:   decimalOf(bal.Posted),
		Pending:   decimalOf(bal.Pending),
		Available: decimalOf(bal.Available),
	})
	if err := l.commit(ctx, b, func() {}); err != nil {
		return Balance{}, err
	}
	return bal, nil
}

// Balances returns the balance of every account, system accounts included.
func (l *Ledger) Balances() map[string]Balance {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make(map[string]Balance, len(l.accounts))
	for id, a := range l.accounts {
		out[id] = a.balance()
	}
	return out
}

// Sum returns the sum of the posted balances of all accounts, computed
// without rounding, in reduced form. Credits are conserved, so it is always
// zero.
func (l *Ledger) Sum() *apd.Decimal {
	l.mu.RLock()
	defer l.mu.RUnlock()
	sum := new(apd.Decimal)
	for _, a := range l.accounts {
		mustExact(exact.Context.Add(sum, sum, a.posted))
	}
	return reduce(sum)
}

// balance returns a snapshot of a.
func (a *account) balance() Balance {
	available := new(apd.Decimal)
	mustExact(exact.Context.Sub(available, a.posted, a.pending))
	var limit *apd.Decimal
	if !a.limit.IsZero() {
		limit = new(apd.Decimal).Set(a.limit)
	}
	return Balance{
		Posted:         new(apd.Decimal).Set(a.posted),
		Pending:        new(apd.Decimal).Set(a.pending),
		Available:      available,
		Kind:           a.kind,
		AllowNegative:  a.allowNegative(),
		OverdraftLimit: limit,
		Closed:         a.closed,
	}
}

// mustExact panics if an unrounded addition or subtraction of finite
// balances failed, which apd does only for exponents far outside any the
// ledger produces.
func mustExact(_ apd.Condition, err error) {
	if err != nil {
		panic(fmt.Sprintf("ledger: exact arithmetic failed: %v", err))
	}
}
