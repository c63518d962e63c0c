package invariant_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// ledgerMachine drives a streamBuilder with random operations that a correct
// ledger and market accept: no agent spends or holds more than it has
// available, holds are captured or released once, every bid is backed by a
// hold of its own, and every allocation is of a bid and paid within it.
type ledgerMachine struct {
	b      *streamtest.Builder
	agents []string
	open   map[string]bool   // holds not yet closed
	bids   map[string]string // the order each open bid hold backs
}

func newLedgerMachine(t *rapid.T) *ledgerMachine {
	m := &ledgerMachine{b: streamtest.NewLedger(t, "a0"), agents: []string{"a0"}, open: make(map[string]bool), bids: make(map[string]string)}
	return m
}

// bidOn publishes the market's bid_placed of a new order of agent for
// cost, backed by the open hold holdID, and returns the order id.
func bidOn(b *streamtest.Builder, agent, holdID string, cost int64) string {
	order := b.ID("o")
	b.Publish(b.Market, agent, events.BidPlaced{
		OrderID: order, AgentID: agent, Quantities: events.Quantities{"cpu": 10},
		Window: events.Window{DurationSeconds: 60}, TotalCost: streamtest.Cents(cost), HoldID: holdID,
	})
	return order
}

// allocateOrder publishes the market's allocation of order paid by payment.
func allocateOrder(b *streamtest.Builder, order, agent string, amount, bid int64, payment string) events.Event {
	return b.Publish(b.Market, agent, events.ResourcesAllocated{
		OrderID: order, AgentID: agent, BundleID: b.ID("b"), Round: 1,
		Quantities: events.Quantities{"cpu": 10}, Window: events.Window{Start: b.Now, DurationSeconds: 60},
		Amount: streamtest.Cents(amount), Bid: streamtest.Cents(bid), PaymentID: payment,
	})
}

func (m *ledgerMachine) available(agent string) int64 {
	return m.b.Balance[agent] - m.b.Pending[agent]
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
	m.b.Open(a, "agent", false)
	m.agents = append(m.agents, a)
}

func (m *ledgerMachine) Mint(t *rapid.T) {
	m.b.Mint(rapid.SampledFrom(m.agents).Draw(t, "to"), m.amountUpTo(t, 100000))
}

func (m *ledgerMachine) Transfer(t *rapid.T) {
	from := m.agentWith(t)
	to := rapid.SampledFrom(append([]string{"market"}, m.agents...)).Draw(t, "to")
	if to == from {
		t.Skip("same account")
	}
	m.b.Transfer(from, to, m.amountUpTo(t, m.available(from)))
}

func (m *ledgerMachine) Burn(t *rapid.T) {
	from := m.agentWith(t)
	m.b.Burn(from, m.amountUpTo(t, m.available(from)))
}

func (m *ledgerMachine) Hold(t *rapid.T) {
	a := m.agentWith(t)
	m.open[m.b.Hold(a, m.amountUpTo(t, m.available(a)))] = true
}

// Bid places a bid backed by a new hold of its total cost.
func (m *ledgerMachine) Bid(t *rapid.T) {
	a := m.agentWith(t)
	cost := m.amountUpTo(t, m.available(a))
	h := m.b.Hold(a, cost)
	m.open[h] = true
	m.bids[h] = bidOn(m.b, a, h, cost)
}

// Capture captures part or all of a hold, as the payment of an allocation
// or not. The allocation is of the bid the hold backs; a hold that backs
// none is first bid on, for what it holds.
func (m *ledgerMachine) Capture(t *rapid.T) {
	id := m.openHold(t)
	h := m.b.Holds[id]
	amount := m.amountUpTo(t, h.Amount)
	order, allocated := m.bids[id], rapid.Bool().Draw(t, "allocation")
	delete(m.bids, id)
	if allocated && order == "" {
		order = bidOn(m.b, h.Account, id, h.Amount)
	}
	payment := m.b.Capture(id, "market", amount)
	if allocated {
		allocateOrder(m.b, order, h.Account, amount, h.Amount, payment)
	}
}

// Release releases a hold: a plain one, or a bid's, as a cancelled bid.
func (m *ledgerMachine) Release(t *rapid.T) {
	id := m.openHold(t)
	delete(m.bids, id)
	m.b.Release(id)
}

// Pay pays an allocation by a direct transfer: the bid is placed on a hold
// of its total cost, which is released when the bid wins.
func (m *ledgerMachine) Pay(t *rapid.T) {
	a := m.agentWith(t)
	bid := m.amountUpTo(t, m.available(a))
	amount := m.amountUpTo(t, bid)
	h := m.b.Hold(a, bid)
	order := bidOn(m.b, a, h, bid)
	m.b.Release(h)
	allocateOrder(m.b, order, a, amount, bid, m.b.Transfer(a, "market", amount))
}

func (m *ledgerMachine) Query(t *rapid.T) {
	m.b.Query(rapid.SampledFrom(append([]string{"mint", "burn", "market"}, m.agents...)).Draw(t, "account"))
}

func (m *ledgerMachine) checkInvariants(t *rapid.T) {
	if err := invariant.Check(m.b.Evs); err != nil {
		t.Fatalf("a valid stream of %d events fails: %v", len(m.b.Evs), err)
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
	if streamtest.Cents(c).MustApd().Cmp(old) == 0 {
		c++
	}
	out := slices.Clone(evs)
	out[i], _ = withAmount(out[i], streamtest.Cents(c))
	return out, i
}

// actions are the machine's operations, and its invariant check.
func (m *ledgerMachine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"OpenAgent": m.OpenAgent,
		"Mint":      m.Mint,
		"Transfer":  m.Transfer,
		"Burn":      m.Burn,
		"Hold":      m.Hold,
		"Bid":       m.Bid,
		"Capture":   m.Capture,
		"Release":   m.Release,
		"Pay":       m.Pay,
		"Query":     m.Query,
		"":          m.checkInvariants,
	}
}

func TestRandomValidStreamsPassAndMutationsAreCaught(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newLedgerMachine(t)
		t.Repeat(m.actions())
		evs, i := mutateAmount(t, m.b.Events())
		err := invariant.Check(evs)
		if !errors.Is(err, invariant.ErrViolation) {
			t.Fatalf("changing the amount of %v to %s went unnoticed", evs[i], amountOf(evs[i]))
		}
		// The first violation is at the changed event: nothing before it
		// changed.
		var first *invariant.Violation
		if !errors.As(err, &first) || first.EventID != evs[i].ID {
			t.Fatalf("first violation %v is not at the changed event %s", first, evs[i].ID)
		}
	})
}

// TestDroppedAndDuplicatedHoldsAreCaught drops the hold_placed a bid_placed
// names, which bids_held must flag at the bid, or publishes a hold_placed
// twice while its hold is open, which credits_conserved must flag at the
// second.
func TestDroppedAndDuplicatedHoldsAreCaught(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newLedgerMachine(t)
		t.Repeat(m.actions())
		evs := m.b.Events()
		placed := make(map[string]int) // the position of each hold's hold_placed
		var holds, bids []int          // positions of hold_placed and bid_placed
		for i, e := range evs {
			switch p := e.Data.(type) {
			case events.HoldPlaced:
				placed[p.HoldID] = i
				holds = append(holds, i)
			case events.BidPlaced:
				bids = append(bids, i)
			}
		}
		var mutated []events.Event
		var want invariant.Violation
		if rapid.Bool().Draw(t, "duplicate") {
			if len(holds) == 0 {
				t.Skip("no hold")
			}
			i := rapid.SampledFrom(holds).Draw(t, "hold_placed")
			again := evs[i]
			again.ID += "-again"
			mutated = slices.Insert(slices.Clone(evs), i+1, again)
			want = invariant.Violation{Check: invariant.CreditsConserved, EventID: again.ID}
		} else {
			if len(bids) == 0 {
				t.Skip("no bid")
			}
			bid := rapid.SampledFrom(bids).Draw(t, "bid_placed")
			hold := placed[evs[bid].Data.(events.BidPlaced).HoldID]
			mutated = slices.Delete(slices.Clone(evs), hold, hold+1)
			want = invariant.Violation{Check: invariant.BidsHeld, EventID: evs[bid].ID}
		}
		err := invariant.Check(mutated)
		var joined []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			joined = j.Unwrap()
		}
		for _, e := range joined {
			if v, ok := e.(*invariant.Violation); ok && v.Check == want.Check && v.EventID == want.EventID {
				return
			}
		}
		t.Fatalf("no %s violation at %s: %v", want.Check, want.EventID, err)
	})
}
