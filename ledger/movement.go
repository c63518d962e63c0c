package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/internal/assert"

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
	at       time.Time // when it was done; not part of the operation
}

// same reports whether m and o are the same operation.
func (m *movement) same(o movement) bool {
	return m.op == o.op && m.id == o.id && m.hold == o.hold && m.from == o.from &&
		m.to == o.to && m.reason == o.reason && m.amount.Cmp(o.amount) == 0
}

// Mint issues amount new credits to account to as transfer transferID: the
// mint account's balance goes down by amount. It publishes credits_minted.
func (l *Ledger) Mint(ctx context.Context, transferID, to string, amount *apd.Decimal, reason string) error {
	return l.move(ctx, movement{op: opMint, id: transferID, from: MintAccount, to: to, reason: reason}, amount)
}

// Transfer moves amount from account from to account to as transfer
// transferID. It publishes credits_transferred.
func (l *Ledger) Transfer(ctx context.Context, transferID, from, to string, amount *apd.Decimal, reason string) error {
	return l.move(ctx, movement{op: opTransfer, id: transferID, from: from, to: to, reason: reason}, amount)
}

// Burn moves amount from account from to the burn account as transfer
// transferID. It publishes credits_burned.
func (l *Ledger) Burn(ctx context.Context, transferID, from string, amount *apd.Decimal, reason string) error {
	return l.move(ctx, movement{op: opBurn, id: transferID, from: from, to: BurnAccount, reason: reason}, amount)
}

// move validates and performs m of amount. It is the hot path of the
// ledger, so it goes without the closure of a change: one allocation holds
// the event's texts, another its payload.
func (l *Ledger) move(ctx context.Context, m movement, amount *apd.Decimal) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stage()
	mv, err := l.prepareMove(s, m, amount)
	if err != nil || mv.from == nil {
		return err
	}
	if err := l.publish(ctx, s.b); err != nil {
		return err
	}
	l.applyMove(&mv)
	return nil
}

// moveChange is prepareMove as a change of a batch.
func (l *Ledger) moveChange(s stage, m movement, amount *apd.Decimal) (change, error) {
	mv, err := l.prepareMove(s, m, amount)
	if err != nil || mv.from == nil {
		return change{}, err
	}
	return change{accounts: [2]*account{mv.from, mv.to}, transfer: mv.m.id, apply: func() { l.applyMove(&mv) }}, nil
}

// moved is a validated movement whose event is staged; a zero moved (nil
// from) is a retry, which changes nothing.
type moved struct {
	m                    movement
	from, to             *account
	fromPosted, toPosted *apd.Decimal
	fromWas, toWas       *apd.Decimal // the balances fromPosted and toPosted were computed from
	event                eventRef
}

// prepareMove validates m of amount against the ledger's state and adds its
// event to s. It runs with l.mu held.
func (l *Ledger) prepareMove(s stage, m movement, amount *apd.Decimal) (moved, error) {
	amt, err := l.ownAmount(amount)
	if err != nil {
		return moved{}, err
	}
	m.amount = amt
	if err := validIDs("transfer", m.id, "from account", m.from, "to account", m.to); err != nil {
		return moved{}, err
	}
	if err := validReason(m.reason); err != nil {
		return moved{}, err
	}
	if done, err := l.retried(&m); done || err != nil {
		return moved{}, err
	}
	from, to, err := l.movementAccounts(&m)
	if err != nil {
		return moved{}, err
	}
	if err := l.ensureAvailable(m.from, from, amt); err != nil {
		return moved{}, err
	}
	mv := moved{m: m, from: from, to: to, fromWas: from.posted, toWas: to.posted}
	if mv.fromPosted, err = l.sub(from.posted, amt); err != nil {
		return moved{}, err
	}
	if mv.toPosted, err = l.add(to.posted, amt); err != nil {
		return moved{}, err
	}
	mv.event = refOf(s.b.addMovement(&mv))
	return mv, nil
}

// applyMove makes the staged movement mv.
func (l *Ledger) applyMove(mv *moved) {
	m := &mv.m
	assert.That(mv.from.posted == mv.fromWas && mv.to.posted == mv.toWas,
		"ledger: a movement applied over balances other than those it was staged against, so credits would not sum to zero")
	mv.from.posted, mv.to.posted = mv.fromPosted, mv.toPosted
	l.remember(*m)
	l.record(mv.from, mv.event, entry{transfer: m.id, counterparty: m.to, amount: m.amount, debit: true})
	l.record(mv.to, mv.event, entry{transfer: m.id, counterparty: m.from, amount: m.amount})
}

// remember records m as what its transfer id did, at the time of the write
// in progress. The records come from chunks, one allocation per chunk, and
// are kept for Options.Retention (by default for the ledger's life: a retry
// is recognised however late it comes).
func (l *Ledger) remember(m movement) {
	m.at = l.at
	l.transfers.put(m)
	l.forgetLater(m.id, false)
}

// retried reports whether m's transfer id was used already: done and no error
// for the same movement, ErrExistsWithDifferentFields for another one.
func (l *Ledger) retried(m *movement) (bool, error) {
	prior, ok := l.transfers.get(m.id)
	switch {
	case !ok || l.forgotten(prior.at):
		return false, nil
	case m.same(*prior):
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

// addMovement adds the event of mv to b. The event's decimals are
// substrings of one string, built in b's scratch buffer. A replaying
// ledger adds the stream's payload instead when it is the same.
func (b *writeBatch) addMovement(mv *moved) events.Event {
	m := &mv.m
	t := b.movementText(mv)
	if e, ok := b.streamMovement(m, t); ok {
		return b.AddCaused("", m.subject(), e.Data)
	}
	text := string(t.buf)
	body := events.Movement{
		TransferID:  m.id,
		From:        m.from,
		To:          m.to,
		Amount:      events.Decimal(text[:t.ends[0]]),
		Reason:      m.reason,
		FromBalance: events.Decimal(text[t.ends[0]:t.ends[1]]),
		ToBalance:   events.Decimal(text[t.ends[1]:t.ends[2]]),
	}
	return b.AddCaused("", m.subject(), m.payload(body))
}

// movementText is the decimals of a movement event, one after the other:
// its amount, from balance and to balance; ends[i] is where the i-th ends.
type movementText struct {
	buf  []byte
	ends [3]int
}

// movementText builds the texts of mv's event in b's scratch buffer.
func (b *writeBatch) movementText(mv *moved) movementText {
	var t movementText
	t.buf = b.text[:0]
	for i, d := range [...]*apd.Decimal{mv.m.amount, mv.fromPosted, mv.toPosted} {
		t.buf = d.Append(t.buf, 'f')
		t.ends[i] = len(t.buf)
	}
	b.text = t.buf
	return t
}

// field returns the i-th decimal of t, 0 to 2.
func (t *movementText) field(i int) []byte {
	if i == 0 {
		return t.buf[:t.ends[0]]
	}
	return t.buf[t.ends[i-1]:t.ends[i]]
}

// is reports whether s holds the bytes b; it does not allocate.
func is[S ~string](s S, b []byte) bool { return string(s) == string(b) }

// payload returns the event of m with body.
func (m *movement) payload(body events.Movement) events.Payload {
	switch m.op {
	case opMint:
		return events.CreditsMinted{Movement: body}
	case opBurn:
		return events.CreditsBurned{Movement: body}
	}
	return events.CreditsTransferred{Movement: body}
}
