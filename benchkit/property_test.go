package benchkit_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// ledgerMachine drives a streamBuilder with random operations that a correct
// ledger and market accept: no agent spends or holds more than it has
// available, holds are captured or released once, and every allocation is
// paid within its bid.
type ledgerMachine struct {
	b      *streamBuilder
	agents []string
	open   map[string]bool // holds not yet closed
}

func newLedgerMachine(t *rapid.T) *ledgerMachine {
	m := &ledgerMachine{b: newLedger(t, "a0"), agents: []string{"a0"}, open: make(map[string]bool)}
	return m
}

func (m *ledgerMachine) available(agent string) int64 {
	return m.b.balance[agent] - m.b.pending[agent]
}

// agentWith draws an agent with at least one cent available, or skips.
func (m *ledgerMachine) agentWith(t *rapid.T) string {
	var rich []string
	for _, a := range m.agents {
		if m.available(a) > 0 {
			rich = append(rich, a)
		}
	}
	if len(rich) == 0 {
		t.Skip("no agent has credits")
	}
	return rapid.SampledFrom(rich).Draw(t, "agent")
}

func (m *ledgerMachine) amountUpTo(t *rapid.T, most int64) int64 {
	return rapid.Int64Range(1, most).Draw(t, "cents")
}

func (m *ledgerMachine) openHold(t *rapid.T) string {
	ids := slices.Sorted(maps.Keys(m.open))
	if len(ids) == 0 {
		t.Skip("no open hold")
	}
	id := rapid.SampledFrom(ids).Draw(t, "hold")
	delete(m.open, id)
	return id
}

func (m *ledgerMachine) OpenAgent(t *rapid.T) {
	if len(m.agents) == 4 {
		t.Skip("enough agents")
	}
	a := fmt.Sprintf("a%d", len(m.agents))
	m.b.open(a, "agent", false)
	m.agents = append(m.agents, a)
}

func (m *ledgerMachine) Mint(t *rapid.T) {
	m.b.mint(rapid.SampledFrom(m.agents).Draw(t, "to"), m.amountUpTo(t, 100000))
}

func (m *ledgerMachine) Transfer(t *rapid.T) {
	from := m.agentWith(t)
	to := rapid.SampledFrom(append([]string{"market"}, m.agents...)).Draw(t, "to")
	if to == from {
		t.Skip("same account")
	}
	m.b.transfer(from, to, m.amountUpTo(t, m.available(from)))
}

func (m *ledgerMachine) Burn(t *rapid.T) {
	from := m.agentWith(t)
	m.b.burn(from, m.amountUpTo(t, m.available(from)))
}

func (m *ledgerMachine) Hold(t *rapid.T) {
	a := m.agentWith(t)
	m.open[m.b.hold(a, m.amountUpTo(t, m.available(a)))] = true
}

// Capture captures part or all of a hold, as the payment of an allocation
// or not.
func (m *ledgerMachine) Capture(t *rapid.T) {
	id := m.openHold(t)
	h := m.b.holds[id]
	amount := m.amountUpTo(t, h.amount)
	payment := m.b.capture(id, "market", amount)
	if rapid.Bool().Draw(t, "allocation") {
		m.b.allocate(h.account, amount, h.amount, payment)
	}
}

func (m *ledgerMachine) Release(t *rapid.T) { m.b.release(m.openHold(t)) }

// Pay pays an allocation by a direct transfer.
func (m *ledgerMachine) Pay(t *rapid.T) {
	a := m.agentWith(t)
	amount := m.amountUpTo(t, m.available(a))
	bid := amount + rapid.Int64Range(0, 1000).Draw(t, "bid above")
	m.b.allocate(a, amount, bid, m.b.transfer(a, "market", amount))
}

func (m *ledgerMachine) Query(t *rapid.T) {
	m.b.query(rapid.SampledFrom(append([]string{"mint", "burn", "market"}, m.agents...)).Draw(t, "account"))
}

func (m *ledgerMachine) checkInvariants(t *rapid.T) {
	if err := benchkit.Check(m.b.evs); err != nil {
		t.Fatalf("a valid stream of %d events fails: %v", len(m.b.evs), err)
	}
}

// withAmount returns e with the amount its payload carries set to amount,
// and whether the payload carries one.
func withAmount(e events.Event, amount events.Decimal) (events.Event, bool) {
	switch p := e.Data.(type) {
	case events.CreditsMinted:
		p.Amount = amount
		e.Data = p
	case events.CreditsTransferred:
		p.Amount = amount
		e.Data = p
	case events.CreditsBurned:
		p.Amount = amount
		e.Data = p
	case events.HoldPlaced:
		p.Amount = amount
		e.Data = p
	case events.HoldCaptured:
		p.Amount = amount
		e.Data = p
	case events.HoldReleased:
		p.Amount = amount
		e.Data = p
	case events.ResourcesAllocated:
		p.Amount = amount
		e.Data = p
	default:
		return e, false
	}
	return e, true
}

// amountOf returns the amount e's payload carries.
func amountOf(e events.Event) events.Decimal {
	switch p := e.Data.(type) {
	case events.CreditsMinted:
		return p.Amount
	case events.CreditsTransferred:
		return p.Amount
	case events.CreditsBurned:
		return p.Amount
	case events.HoldPlaced:
		return p.Amount
	case events.HoldCaptured:
		return p.Amount
	case events.HoldReleased:
		return p.Amount
	case events.ResourcesAllocated:
		return p.Amount
	}
	return ""
}

// mutateAmount changes the amount of one random event that carries one and
// returns the stream and the changed event's index.
func mutateAmount(t *rapid.T, evs []events.Event) ([]events.Event, int) {
	var carriers []int
	for i, e := range evs {
		if _, ok := withAmount(e, ""); ok {
			carriers = append(carriers, i)
		}
	}
	if len(carriers) == 0 {
		t.Skip("no event carries an amount")
	}
	i := rapid.SampledFrom(carriers).Draw(t, "mutated event")
	old := amountOf(evs[i]).MustApd()
	c := rapid.Int64Range(-100, 200000).Draw(t, "new cents")
	if cents(c).MustApd().Cmp(old) == 0 {
		c++
	}
	out := slices.Clone(evs)
	out[i], _ = withAmount(out[i], cents(c))
	return out, i
}

func TestRandomValidStreamsPassAndMutationsAreCaught(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newLedgerMachine(t)
		t.Repeat(map[string]func(*rapid.T){
			"OpenAgent": m.OpenAgent,
			"Mint":      m.Mint,
			"Transfer":  m.Transfer,
			"Burn":      m.Burn,
			"Hold":      m.Hold,
			"Capture":   m.Capture,
			"Release":   m.Release,
			"Pay":       m.Pay,
			"Query":     m.Query,
			"":          m.checkInvariants,
		})
		evs, i := mutateAmount(t, m.b.events())
		err := benchkit.Check(evs)
		if !errors.Is(err, benchkit.ErrViolation) {
			t.Fatalf("changing the amount of %v to %s went unnoticed", evs[i], amountOf(evs[i]))
		}
		// The first violation is at the changed event: nothing before it
		// changed.
		var first *benchkit.Violation
		if !errors.As(err, &first) || first.EventID != evs[i].ID {
			t.Fatalf("first violation %v is not at the changed event %s", first, evs[i].ID)
		}
	})
}
