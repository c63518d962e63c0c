// Package streamtest builds the event streams of a ledger, a market and a
// scheduler for the tests of benchkit's packages: a Builder computes
// honestly what each operation reports, so that a test can build a valid
// stream or the stream of a service that breaks an invariant, and a World
// adds the scheduler's events to build the stream of a whole market.
package streamtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// Cents returns the Decimal of c hundredths of a credit.
func Cents(c int64) events.Decimal { return events.DecimalOf(apd.New(c, -2)) }

// Builder builds the events a correct ledger and market would publish,
// through events.Sequencer batches. It does no validation of its own: it
// computes honestly what each operation reports, so a test can also build
// the stream of a ledger that lets an agent overdraw or captures a hold
// twice.
type Builder struct {
	TB      TB
	Now     time.Time
	Ledger  *events.Sequencer
	Market  *events.Sequencer
	Evs     []events.Event
	Balance map[string]int64 // cents, posted
	Pending map[string]int64 // cents, held
	Holds   map[string]*PlacedHold
	ids     int
}

// PlacedHold is a hold the builder placed.
type PlacedHold struct {
	Account string
	Amount  int64
	Closed  bool
}

// TB is the part of testing.TB and *rapid.T the builder uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// NewBuilder returns a builder of the run correlation, with nothing
// published yet, at noon on 1 June 2025.
func NewBuilder(tb TB, correlation string) *Builder {
	return &Builder{
		TB:      tb,
		Now:     time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Ledger:  events.NewSequencer(events.SourceLedger, correlation, 0),
		Market:  events.NewSequencer(events.SourceMarket, correlation, 0),
		Balance: make(map[string]int64),
		Pending: make(map[string]int64),
		Holds:   make(map[string]*PlacedHold),
	}
}

// NewLedger returns a builder whose ledger has the mint, burn and market
// accounts open, and the agents open with no credits.
func NewLedger(tb TB, agents ...string) *Builder {
	b := NewBuilder(tb, "run-1")
	b.Open("mint", "mint", true)
	b.Open("burn", "burn", false)
	b.Open("market", "market", false)
	for _, a := range agents {
		b.Open(a, "agent", false)
	}
	return b
}

// ID returns a new id: prefix and a number.
func (b *Builder) ID(prefix string) string {
	b.ids++
	return fmt.Sprintf("%s%d", prefix, b.ids)
}

// Publish publishes one event of s as its own batch, one second after the
// last.
func (b *Builder) Publish(s *events.Sequencer, subject string, p events.Payload) events.Event {
	b.TB.Helper()
	b.Now = b.Now.Add(time.Second)
	batch := s.Batch(b.Now)
	e := batch.Add(subject, p)
	collect := events.PublisherFunc(func(_ context.Context, evs ...events.Event) error {
		b.Evs = append(b.Evs, evs...)
		return nil
	})
	if err := batch.Publish(context.Background(), collect); err != nil {
		b.TB.Fatalf("publish %v: %v", e, err)
	}
	return e
}

// Events returns a copy of the events published so far.
func (b *Builder) Events() []events.Event { return slices.Clone(b.Evs) }

// Open opens the account id of kind.
func (b *Builder) Open(id, kind string, allowNegative bool) {
	b.Publish(b.Ledger, id, events.AccountOpened{AccountID: id, Kind: kind, AllowNegative: allowNegative})
}

// Movement moves amount cents of posted credits and returns the movement,
// with a new transfer id, without publishing it.
func (b *Builder) Movement(from, to string, amount int64) events.Movement {
	b.Balance[from] -= amount
	b.Balance[to] += amount
	return events.Movement{
		TransferID: b.ID("t"), From: from, To: to, Amount: Cents(amount),
		FromBalance: Cents(b.Balance[from]), ToBalance: Cents(b.Balance[to]),
	}
}

// Mint mints amount cents to the account to.
func (b *Builder) Mint(to string, amount int64) {
	b.Publish(b.Ledger, to, events.CreditsMinted{Movement: b.Movement("mint", to, amount)})
}

// Burn burns amount cents of the account from.
func (b *Builder) Burn(from string, amount int64) {
	b.Publish(b.Ledger, from, events.CreditsBurned{Movement: b.Movement(from, "burn", amount)})
}

// Transfer moves credits and returns the transfer id.
func (b *Builder) Transfer(from, to string, amount int64) string {
	m := b.Movement(from, to, amount)
	b.Publish(b.Ledger, from, events.CreditsTransferred{Movement: m})
	return m.TransferID
}

// Hold places a hold and returns its id.
func (b *Builder) Hold(account string, amount int64) string {
	id := b.ID("h")
	b.Holds[id] = &PlacedHold{Account: account, Amount: amount}
	b.Pending[account] += amount
	b.Publish(b.Ledger, account, events.HoldPlaced{
		HoldID: id, AccountID: account, Amount: Cents(amount),
		Balance: Cents(b.Balance[account]), Pending: Cents(b.Pending[account]),
	})
	return id
}

// Capture captures amount of a hold for to, releases the rest, and returns
// the transfer id.
func (b *Builder) Capture(holdID, to string, amount int64) string {
	h := b.Holds[holdID]
	released := h.Amount - amount
	if !h.Closed {
		b.Pending[h.Account] -= h.Amount
		h.Closed = true
	}
	m := b.Movement(h.Account, to, amount)
	b.Publish(b.Ledger, h.Account, events.HoldCaptured{
		HoldID: holdID, TransferID: m.TransferID, AccountID: h.Account, To: to,
		Amount: m.Amount, Released: Cents(released), FromBalance: m.FromBalance, ToBalance: m.ToBalance,
		Pending: Cents(b.Pending[h.Account]),
	})
	return m.TransferID
}

// Release releases what the hold holds.
func (b *Builder) Release(holdID string) {
	h := b.Holds[holdID]
	if !h.Closed {
		b.Pending[h.Account] -= h.Amount
		h.Closed = true
	}
	b.Publish(b.Ledger, h.Account, events.HoldReleased{
		HoldID: holdID, AccountID: h.Account, Amount: Cents(h.Amount), Pending: Cents(b.Pending[h.Account]),
	})
}

// Query publishes the balances of account.
func (b *Builder) Query(account string) {
	b.Publish(b.Ledger, account, events.BalanceQueried{
		AccountID: account, Balance: Cents(b.Balance[account]), Pending: Cents(b.Pending[account]),
		Available: Cents(b.Balance[account] - b.Pending[account]),
	})
}

// Allocate publishes the market's allocation of an order paid by payment.
func (b *Builder) Allocate(agent string, amount, bid int64, payment string) events.Event {
	return b.Publish(b.Market, agent, events.ResourcesAllocated{
		OrderID: b.ID("o"), AgentID: agent, BundleID: b.ID("b"), Round: 1,
		Quantities: events.Quantities{"cpu": 10}, Window: events.Window{Start: b.Now, DurationSeconds: 60},
		Amount: Cents(amount), Bid: Cents(bid), PaymentID: payment,
	})
}

// ValidStream builds a run in which every invariant holds: accounts opened,
// credits minted, transferred and burned, a bid's hold captured to pay an
// allocation, a hold released, a balance queried, and an allocation paid by
// a direct transfer.
//
//	 0-4  account_opened mint, burn, market, alice, bob
//	 5    credits_minted     alice 100
//	 6    credits_minted     bob 50.50
//	 7    credits_transferred alice → bob 20.25
//	 8    hold_placed        alice 30
//	 9    hold_captured      25.50 to market, 4.50 released
//	10    resources_allocated alice pays 25.50 (bid 30), market #1
//	11    hold_placed        bob 10
//	12    hold_released      bob 10
//	13    credits_burned     bob 5
//	14    balance_queried    alice
//	15    credits_transferred bob → market 12
//	16    resources_allocated bob pays 12 (bid 15), market #2
func ValidStream(tb TB) *Builder {
	b := NewLedger(tb, "alice", "bob")
	b.Mint("alice", 10000)
	b.Mint("bob", 5050)
	b.Transfer("alice", "bob", 2025)
	h := b.Hold("alice", 3000)
	b.Allocate("alice", 2550, 3000, b.Capture(h, "market", 2550))
	b.Release(b.Hold("bob", 1000))
	b.Burn("bob", 500)
	b.Query("alice")
	b.Allocate("bob", 1200, 1500, b.Transfer("bob", "market", 1200))
	return b
}

// WorldOptions are the options of a World's resources: cpu is sampled (OS-level), tokens and spend are
// consumed (service-level); spend is the LLM spend resource.
var WorldOptions = invariant.Options{
	Capacities: map[string]int64{"cpu": 100, "tokens": 10_000, "spend": 50},
	OSLevel:    map[string]bool{"cpu": true},
	Spend:      &invariant.SpendLimit{Resource: "spend", Limit: 50, Window: time.Minute},
}

// World extends a Builder with the scheduler's events, so that a test
// can build the stream of a whole market: bids, clearing, leased bundles,
// metering and payment.
type World struct {
	*Builder
	Sched  *events.Sequencer
	Agents []string
	Round  uint64
}

// NewWorld returns the world of agents a0, a1, …, each minted 10,000
// credits.
func NewWorld(tb TB, agents int) *World {
	names := make([]string, agents)
	for i := range names {
		names[i] = fmt.Sprintf("a%d", i)
	}
	w := &World{Builder: NewLedger(tb, names...), Agents: names}
	w.Sched = events.NewSequencer(events.SourceScheduler, "run-1", 0)
	for _, a := range names {
		w.Mint(a, 1_000_000)
	}
	return w
}

// Emit publishes one event of s, caused by causation, at the current time.
func (w *World) Emit(s *events.Sequencer, causation, subject string, p events.Payload) events.Event {
	w.TB.Helper()
	batch := s.Batch(w.Now)
	e := batch.AddCaused(causation, subject, p)
	collect := events.PublisherFunc(func(_ context.Context, evs ...events.Event) error {
		w.Evs = append(w.Evs, evs...)
		return nil
	})
	if err := batch.Publish(context.Background(), collect); err != nil {
		w.TB.Fatalf("publish %v: %v", e, err)
	}
	return e
}

// Tick advances the clock by d.
func (w *World) Tick(d time.Duration) { w.Now = w.Now.Add(d) }

// Book books a bundle of quantities for agent from now, for seconds, paid
// by the hold lease (none if empty), and activates it: the scheduler's
// events alone. It returns the bundle_scheduled.
func (w *World) Book(agent, bundleID, lease string, q events.Quantities, seconds int64) events.Event {
	scheduled := w.Emit(w.Sched, "", agent, events.BundleScheduled{
		BundleID: bundleID, AgentID: agent, Quantities: q,
		Window: events.Window{Start: w.Now, DurationSeconds: seconds}, LeaseHold: lease,
	})
	act := w.Emit(w.Sched, "", agent, events.BundleActivated{BundleID: bundleID, AgentID: agent})
	w.Emit(w.Sched, act.ID, agent, events.AgentAwake{AgentID: agent})
	return scheduled
}

// Bid publishes a bid of agent for quantities held by a new hold of cost,
// and returns the order and the hold ids.
func (w *World) Bid(agent string, q events.Quantities, seconds, cost int64) (order, hold string) {
	hold = w.Hold(agent, cost)
	order = w.ID("o")
	w.Emit(w.Market, "", agent, events.BidPlaced{
		OrderID: order, AgentID: agent, Quantities: q,
		Window: events.Window{DurationSeconds: seconds}, TotalCost: Cents(cost), HoldID: hold,
	})
	return order, hold
}

// Lease settles a won order as the market does: the bid's hold is
// released, a lease hold of amount placed, the bundle booked and the
// allocation published. It returns the lease hold's id and the
// bundle_scheduled.
func (w *World) Lease(agent, order, bidHold, bundleID string, q events.Quantities, seconds, amount, bid int64) (string, events.Event) {
	w.Release(bidHold)
	lease := w.Hold(agent, amount)
	scheduled := w.Book(agent, bundleID, lease, q, seconds)
	w.AllocateLease(agent, order, bundleID, lease, q, seconds, amount, bid)
	return lease, scheduled
}

// AllocateLease publishes the market's allocation of order's bundle to
// agent, paid by the lease hold lease under the payment id "pay/" +
// bundleID.
func (w *World) AllocateLease(agent, order, bundleID, lease string, q events.Quantities, seconds, amount, bid int64) events.Event {
	return w.Emit(w.Market, "", agent, events.ResourcesAllocated{
		OrderID: order, AgentID: agent, BundleID: bundleID, Round: w.Round,
		Quantities: q, Window: events.Window{Start: w.Now, DurationSeconds: seconds},
		Amount: Cents(amount), Bid: Cents(bid), PaymentID: "pay/" + bundleID, LeaseID: lease,
	})
}

// Schedule has agent bid for a bundle of quantities from now, for
// seconds, and win it: the bid, its lease, the scheduler's booking and
// activation, and the allocation. It returns the bundle_scheduled.
func (w *World) Schedule(agent, bundleID string, q events.Quantities, seconds int64) events.Event {
	order, hold := w.Bid(agent, q, seconds, 500)
	_, scheduled := w.Lease(agent, order, hold, bundleID, q, seconds, 400, 500)
	return scheduled
}

// Use records quantity of resource used in a bundle, used so far.
func (w *World) Use(agent, bundleID, resource string, quantity, used, limit int64) events.Event {
	return w.Emit(w.Sched, "", agent, events.UsageRecorded{
		BundleID: bundleID, AgentID: agent, Resource: resource, Quantity: quantity, Used: used, Limit: limit,
	})
}

// End publishes the end of a bundle (expired, or released with a reason)
// and the agent's dormancy.
func (w *World) End(agent, bundleID, reason string) events.Event {
	var e events.Event
	if reason == "" {
		e = w.Emit(w.Sched, "", agent, events.BundleExpired{BundleID: bundleID, AgentID: agent})
	} else {
		e = w.Emit(w.Sched, "", agent, events.BundleReleased{BundleID: bundleID, AgentID: agent, Reason: reason})
	}
	w.Emit(w.Sched, e.ID, agent, events.AgentDormant{AgentID: agent})
	return e
}

// Cycle runs one round of the market: every agent bids, the market clears
// at a moving price, each winner's bundle is leased, used and paid.
func (w *World) Cycle() {
	w.Round++
	type bid struct{ order, hold string }
	q := events.Quantities{"cpu": 1, "tokens": 100, "spend": 1}
	bids := make([]bid, len(w.Agents))
	for i, a := range w.Agents {
		bids[i].order, bids[i].hold = w.Bid(a, q, 10, 500)
	}
	price := Cents(100 + int64(w.Round%7))
	w.Emit(w.Market, "", "cpu", events.PriceUpdate{
		Resource: "cpu", Round: w.Round, Old: Cents(100 + int64((w.Round-1)%7)), New: price,
		Utilisation: "0.5", Reason: "clearing",
	})
	w.Emit(w.Market, "", "", events.MarketCleared{
		Round: w.Round, Mechanism: "greedy", Bids: len(w.Agents), Winners: len(w.Agents),
		Volume: events.Quantities{"cpu": int64(len(w.Agents))}, Prices: map[string]events.Decimal{"cpu": price},
		Utilisation: map[string]events.Decimal{"cpu": "0.5"}, Revenue: "1", Surplus: "1",
		Welfare: "3", OptimalWelfare: "4", Efficiency: "0.75",
	})
	for i, a := range w.Agents {
		bundleID := "b/" + bids[i].order
		lease, _ := w.Lease(a, bids[i].order, bids[i].hold, bundleID, q, 10, 400, 500)
		w.Use(a, bundleID, "tokens", 40, 40, 100)
		w.Use(a, bundleID, "cpu", 1, 1, 1)
		w.Use(a, bundleID, "tokens", 60, 100, 100)
		w.Use(a, bundleID, "spend", 1, 1, 1)
		w.End(a, bundleID, "released")
		w.CaptureAs(lease, "pay/"+bundleID, "market", 300)
	}
	w.Tick(time.Minute)
}

// CaptureAs captures amount of a hold under the transfer id, releasing the
// rest.
func (w *World) CaptureAs(holdID, transferID, to string, amount int64) {
	h := w.Holds[holdID]
	w.Pending[h.Account] -= h.Amount
	h.Closed = true
	w.Balance[h.Account] -= amount
	w.Balance[to] += amount
	w.Publish(w.Ledger, h.Account, events.HoldCaptured{
		HoldID: holdID, TransferID: transferID, AccountID: h.Account, To: to,
		Amount: Cents(amount), Released: Cents(h.Amount - amount),
		FromBalance: Cents(w.Balance[h.Account]), ToBalance: Cents(w.Balance[to]),
		Pending: Cents(w.Pending[h.Account]),
	})
}

// WorldStream is a consistent stream of about a million events of a
// market of 100 agents: bids, clearing, leased bundles, metering and
// payment. It is built once.
var WorldStream = sync.OnceValue(func() []events.Event {
	w := NewWorld(Panicker{}, 100)
	for len(w.Evs) < 1_000_000 {
		w.Cycle()
	}
	return w.Events()
})

// Panicker is a TB outside a test, such as a benchmark's set-up done
// once: it panics where a test would fail.
type Panicker struct{}

// Helper does nothing.
func (Panicker) Helper() {}

// Fatalf panics with the message.
func (Panicker) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
