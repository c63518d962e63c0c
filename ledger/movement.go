package ledger

import (
	"context"
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// op names what a movement did.
type op uint8

const (
	opMint op = iota + 1
	opTransfer
	opBurn
	opCapture
)

func (o op) String() string {
	switch o {
	case opMint:
		return "mint"
	case opTransfer:
		return "transfer"
	case opBurn:
		return "burn"
	case opCapture:
		return "capture"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// movement is what a transfer id did: the fields that a retry must repeat.
type movement struct {
	op       op
	id       string
	hold     string // the captured hold, for opCapture
	from, to string
	amount   *apd.Decimal
	reason   string
}

// same reports whether m and o are the same operation.
func (m *movement) same(o movement) bool {
	return m.op == o.op && m.id == o.id && m.hold == o.hold && m.from == o.from &&
		m.to == o.to && m.reason == o.reason && m.amount.Cmp(o.amount) == 0
}

// Mint issues amount new credits to account to as transfer transferID: the
// mint account's balance goes down by amount. It publishes credits_minted.
func (l *Ledger) Mint(ctx context.Context, transferID, to string, amount *apd.Decimal, reason string) error {
	return l.move(ctx, &movement{op: opMint, id: transferID, from: MintAccount, to: to, reason: reason}, amount)
}

// Transfer moves amount from account from to account to as transfer
// transferID. It publishes credits_transferred.
func (l *Ledger) Transfer(ctx context.Context, transferID, from, to string, amount *apd.Decimal, reason string) error {
	return l.move(ctx, &movement{op: opTransfer, id: transferID, from: from, to: to, reason: reason}, amount)
}

// Burn moves amount from account from to the burn account as transfer
// transferID. It publishes credits_burned.
func (l *Ledger) Burn(ctx context.Context, transferID, from string, amount *apd.Decimal, reason string) error {
	return l.move(ctx, &movement{op: opBurn, id: transferID, from: from, to: BurnAccount, reason: reason}, amount)
}

// move validates and performs m of amount.
func (l *Ledger) move(ctx context.Context, m *movement, amount *apd.Decimal) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stage()
	ch, err := l.prepareMove(s, m, amount)
	return l.finish(ctx, s, ch, err)
}

// prepareMove validates m of amount against the ledger's state and adds its
// event to s. It runs with l.mu held.
func (l *Ledger) prepareMove(s stage, m *movement, amount *apd.Decimal) (change, error) {
	amt, err := l.amount(amount)
	if err != nil {
		return change{}, err
	}
	m.amount = amt
	if err := validIDs("transfer", m.id, "from account", m.from, "to account", m.to); err != nil {
		return change{}, err
	}
	if err := validReason(m.reason); err != nil {
		return change{}, err
	}
	if done, err := l.retried(m); done || err != nil {
		return change{}, err
	}
	from, to, err := l.movementAccounts(m)
	if err != nil {
		return change{}, err
	}
	if err := l.ensureAvailable(m.from, from, amt); err != nil {
		return change{}, err
	}
	fromPosted, err := l.sub(from.posted, amt)
	if err != nil {
		return change{}, err
	}
	toPosted, err := l.add(to.posted, amt)
	if err != nil {
		return change{}, err
	}
	e := refOf(s.b.add(m.subject(), m.payload(fromPosted, toPosted)))
	return change{accounts: [2]*account{from, to}, transfer: m.id, apply: func() {
		from.posted, to.posted = fromPosted, toPosted
		l.transfers[m.id] = *m
		l.record(from, e, entry{transfer: m.id, counterparty: m.to, amount: amt, debit: true})
		l.record(to, e, entry{transfer: m.id, counterparty: m.from, amount: amt})
	}}, nil
}

// retried reports whether m's transfer id was used already: done and no error
// for the same movement, ErrExistsWithDifferentFields for another one.
func (l *Ledger) retried(m *movement) (bool, error) {
	prior, ok := l.transfers[m.id]
	switch {
	case !ok:
		return false, nil
	case m.same(prior):
		return true, nil
	}
	return true, fmt.Errorf("%w: transfer %q was a %s of %s from %q to %q",
		ErrExistsWithDifferentFields, m.id, prior.op, prior.amount.Text('f'), prior.from, prior.to)
}

// movementAccounts returns the accounts of m, checking that they differ,
// exist, and that system accounts appear only as the source of a mint or the
// destination of a burn.
func (l *Ledger) movementAccounts(m *movement) (from, to *account, err error) {
	if m.from == m.to {
		return nil, nil, fmt.Errorf("%w: %q", ErrSameAccount, m.from)
	}
	if from, err = l.account(m.from); err != nil {
		return nil, nil, err
	}
	if to, err = l.account(m.to); err != nil {
		return nil, nil, err
	}
	if m.op != opMint && from.kind.system() {
		return nil, nil, fmt.Errorf("%w: cannot %s from %q", ErrSystemAccount, m.op, m.from)
	}
	if m.op != opBurn && to.kind.system() {
		return nil, nil, fmt.Errorf("%w: cannot %s to %q", ErrSystemAccount, m.op, m.to)
	}
	return from, to, nil
}

// subject returns the account an event of m is about.
func (m *movement) subject() string {
	if m.op == opMint {
		return m.to
	}
	return m.from
}

// payload returns the event of m with the resulting posted balances.
func (m *movement) payload(fromPosted, toPosted *apd.Decimal) events.Payload {
	body := events.Movement{
		TransferID:  m.id,
		From:        m.from,
		To:          m.to,
		Amount:      decimalOf(m.amount),
		Reason:      m.reason,
		FromBalance: decimalOf(fromPosted),
		ToBalance:   decimalOf(toPosted),
	}
	switch m.op {
	case opMint:
		return events.CreditsMinted{Movement: body}
	case opBurn:
		return events.CreditsBurned{Movement: body}
	}
	return events.CreditsTransferred{Movement: body}
}
