package benchkit_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// cents returns the Decimal of c hundredths of a credit.
func cents(c int64) events.Decimal { return events.DecimalOf(apd.New(c, -2)) }

// streamBuilder builds the events a correct ledger and market would publish,
// through events.Sequencer batches. It does no validation of its own: it
// computes honestly what each operation reports, so a test can also build
// the stream of a ledger that lets an agent overdraw or captures a hold
// twice.
type streamBuilder struct {
	tb      fataler
	now     time.Time
	ledger  *events.Sequencer
	market  *events.Sequencer
	evs     []events.Event
	balance map[string]int64 // cents, posted
	pending map[string]int64 // cents, held
	holds   map[string]*builderHold
	ids     int
}

type builderHold struct {
	account string
	amount  int64
	closed  bool
}

// fataler is the part of testing.TB and *rapid.T the builder uses.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func newStreamBuilder(tb fataler, correlation string) *streamBuilder {
	return &streamBuilder{
		tb:      tb,
		now:     time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		ledger:  events.NewSequencer(events.SourceLedger, correlation, 0),
		market:  events.NewSequencer(events.SourceMarket, correlation, 0),
		balance: make(map[string]int64),
		pending: make(map[string]int64),
		holds:   make(map[string]*builderHold),
	}
}

// newLedger returns a builder whose ledger has the mint, burn and market
// accounts open, and the agents open with no credits.
func newLedger(tb fataler, agents ...string) *streamBuilder {
	b := newStreamBuilder(tb, "run-1")
	b.open("mint", "mint", true)
	b.open("burn", "burn", false)
	b.open("market", "market", false)
	for _, a := range agents {
		b.open(a, "agent", false)
	}
	return b
}

func (b *streamBuilder) id(prefix string) string {
	b.ids++
	return fmt.Sprintf("%s%d", prefix, b.ids)
}

// publish publishes one event of s as its own batch, one second after the
// last.
func (b *streamBuilder) publish(s *events.Sequencer, subject string, p events.Payload) events.Event {
	b.tb.Helper()
	b.now = b.now.Add(time.Second)
	batch := s.Batch(b.now)
	e := batch.Add(subject, p)
	collect := events.PublisherFunc(func(_ context.Context, evs ...events.Event) error {
		b.evs = append(b.evs, evs...)
		return nil
	})
	if err := batch.Publish(context.Background(), collect); err != nil {
		b.tb.Fatalf("publish %v: %v", e, err)
	}
	return e
}

func (b *streamBuilder) events() []events.Event { return slices.Clone(b.evs) }

func (b *streamBuilder) open(id, kind string, allowNegative bool) {
	b.publish(b.ledger, id, events.AccountOpened{AccountID: id, Kind: kind, AllowNegative: allowNegative})
}

func (b *streamBuilder) movement(from, to string, amount int64) events.Movement {
	b.balance[from] -= amount
	b.balance[to] += amount
	return events.Movement{
		TransferID: b.id("t"), From: from, To: to, Amount: cents(amount),
		FromBalance: cents(b.balance[from]), ToBalance: cents(b.balance[to]),
	}
}

func (b *streamBuilder) mint(to string, amount int64) {
	b.publish(b.ledger, to, events.CreditsMinted{Movement: b.movement("mint", to, amount)})
}

func (b *streamBuilder) burn(from string, amount int64) {
	b.publish(b.ledger, from, events.CreditsBurned{Movement: b.movement(from, "burn", amount)})
}

// transfer moves credits and returns the transfer id.
func (b *streamBuilder) transfer(from, to string, amount int64) string {
	m := b.movement(from, to, amount)
	b.publish(b.ledger, from, events.CreditsTransferred{Movement: m})
	return m.TransferID
}

// hold places a hold and returns its id.
func (b *streamBuilder) hold(account string, amount int64) string {
	id := b.id("h")
	b.holds[id] = &builderHold{account: account, amount: amount}
	b.pending[account] += amount
	b.publish(b.ledger, account, events.HoldPlaced{
		HoldID: id, AccountID: account, Amount: cents(amount),
		Balance: cents(b.balance[account]), Pending: cents(b.pending[account]),
	})
	return id
}

// capture captures amount of a hold for to, releases the rest, and returns
// the transfer id.
func (b *streamBuilder) capture(holdID, to string, amount int64) string {
	h := b.holds[holdID]
	released := h.amount - amount
	if !h.closed {
		b.pending[h.account] -= h.amount
		h.closed = true
	}
	m := b.movement(h.account, to, amount)
	b.publish(b.ledger, h.account, events.HoldCaptured{
		HoldID: holdID, TransferID: m.TransferID, AccountID: h.account, To: to,
		Amount: m.Amount, Released: cents(released), FromBalance: m.FromBalance, ToBalance: m.ToBalance,
		Pending: cents(b.pending[h.account]),
	})
	return m.TransferID
}

func (b *streamBuilder) release(holdID string) {
	h := b.holds[holdID]
	if !h.closed {
		b.pending[h.account] -= h.amount
		h.closed = true
	}
	b.publish(b.ledger, h.account, events.HoldReleased{
		HoldID: holdID, AccountID: h.account, Amount: cents(h.amount), Pending: cents(b.pending[h.account]),
	})
}

func (b *streamBuilder) query(account string) {
	b.publish(b.ledger, account, events.BalanceQueried{
		AccountID: account, Balance: cents(b.balance[account]), Pending: cents(b.pending[account]),
		Available: cents(b.balance[account] - b.pending[account]),
	})
}

// allocate publishes the market's allocation of an order paid by payment.
func (b *streamBuilder) allocate(agent string, amount, bid int64, payment string) events.Event {
	return b.publish(b.market, agent, events.ResourcesAllocated{
		OrderID: b.id("o"), AgentID: agent, BundleID: b.id("b"), Round: 1,
		Quantities: events.Quantities{"cpu": 10}, Window: events.Window{Start: b.now, DurationSeconds: 60},
		Amount: cents(amount), Bid: cents(bid), PaymentID: payment,
	})
}

// found returns the violations in err, in order.
func found(tb testing.TB, err error) []*benchkit.Violation {
	tb.Helper()
	if err == nil {
		return nil
	}
	if !errors.Is(err, benchkit.ErrViolation) {
		tb.Fatalf("error %v does not wrap ErrViolation", err)
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]*benchkit.Violation, len(errs))
	for i, e := range errs {
		v, ok := e.(*benchkit.Violation)
		if !ok {
			tb.Fatalf("joined error %T %v is not a *Violation", e, e)
		}
		out[i] = v
	}
	return out
}
