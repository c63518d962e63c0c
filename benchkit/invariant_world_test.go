package benchkit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// World resources: cpu is sampled (OS-level), tokens and spend are
// consumed (service-level); spend is the LLM spend resource.
var worldOptions = benchkit.Options{
	Capacities: map[string]int64{"cpu": 100, "tokens": 10_000, "spend": 50},
	OSLevel:    map[string]bool{"cpu": true},
	Spend:      &benchkit.SpendLimit{Resource: "spend", Limit: 50, Window: time.Minute},
}

// world extends a streamBuilder with the scheduler's events, so that a test
// can build the stream of a whole market: bids, clearing, leased bundles,
// metering and payment.
type world struct {
	*streamBuilder
	sched  *events.Sequencer
	agents []string
	round  uint64
}

func newWorld(tb fataler, agents int) *world {
	names := make([]string, agents)
	for i := range names {
		names[i] = fmt.Sprintf("a%d", i)
	}
	w := &world{streamBuilder: newLedger(tb, names...), agents: names}
	w.sched = events.NewSequencer(events.SourceScheduler, "run-1", 0)
	for _, a := range names {
		w.mint(a, 1_000_000)
	}
	return w
}

// emit publishes one event of s, caused by causation, at the current time.
func (w *world) emit(s *events.Sequencer, causation, subject string, p events.Payload) events.Event {
	w.tb.Helper()
	batch := s.Batch(w.now)
	e := batch.AddCaused(causation, subject, p)
	collect := events.PublisherFunc(func(_ context.Context, evs ...events.Event) error {
		w.evs = append(w.evs, evs...)
		return nil
	})
	if err := batch.Publish(context.Background(), collect); err != nil {
		w.tb.Fatalf("publish %v: %v", e, err)
	}
	return e
}

// tick advances the clock by d.
func (w *world) tick(d time.Duration) { w.now = w.now.Add(d) }

// book books a bundle of quantities for agent from now, for seconds, paid
// by the hold lease (none if empty), and activates it: the scheduler's
// events alone. It returns the bundle_scheduled.
func (w *world) book(agent, bundleID, lease string, q events.Quantities, seconds int64) events.Event {
	scheduled := w.emit(w.sched, "", agent, events.BundleScheduled{
		BundleID: bundleID, AgentID: agent, Quantities: q,
		Window: events.Window{Start: w.now, DurationSeconds: seconds}, LeaseHold: lease,
	})
	act := w.emit(w.sched, "", agent, events.BundleActivated{BundleID: bundleID, AgentID: agent})
	w.emit(w.sched, act.ID, agent, events.AgentAwake{AgentID: agent})
	return scheduled
}

// bid publishes a bid of agent for quantities held by a new hold of cost,
// and returns the order and the hold ids.
func (w *world) bid(agent string, q events.Quantities, seconds, cost int64) (order, hold string) {
	hold = w.hold(agent, cost)
	order = w.id("o")
	w.emit(w.market, "", agent, events.BidPlaced{
		OrderID: order, AgentID: agent, Quantities: q,
		Window: events.Window{DurationSeconds: seconds}, TotalCost: cents(cost), HoldID: hold,
	})
	return order, hold
}

// lease settles a won order as the market does: the bid's hold is
// released, a lease hold of amount placed, the bundle booked and the
// allocation published. It returns the lease hold's id and the
// bundle_scheduled.
func (w *world) lease(agent, order, bidHold, bundleID string, q events.Quantities, seconds, amount, bid int64) (string, events.Event) {
	w.release(bidHold)
	lease := w.hold(agent, amount)
	scheduled := w.book(agent, bundleID, lease, q, seconds)
	w.allocateLease(agent, order, bundleID, lease, q, seconds, amount, bid)
	return lease, scheduled
}

// allocateLease publishes the market's allocation of order's bundle to
// agent, paid by the lease hold lease under the payment id "pay/" +
// bundleID.
func (w *world) allocateLease(agent, order, bundleID, lease string, q events.Quantities, seconds, amount, bid int64) events.Event {
	return w.emit(w.market, "", agent, events.ResourcesAllocated{
		OrderID: order, AgentID: agent, BundleID: bundleID, Round: w.round,
		Quantities: q, Window: events.Window{Start: w.now, DurationSeconds: seconds},
		Amount: cents(amount), Bid: cents(bid), PaymentID: "pay/" + bundleID, LeaseID: lease,
	})
}

// schedule has agent bid for a bundle of quantities from now, for
// seconds, and win it: the bid, its lease, the scheduler's booking and
// activation, and the allocation. It returns the bundle_scheduled.
func (w *world) schedule(agent, bundleID string, q events.Quantities, seconds int64) events.Event {
	order, hold := w.bid(agent, q, seconds, 500)
	_, scheduled := w.lease(agent, order, hold, bundleID, q, seconds, 400, 500)
	return scheduled
}

// use records quantity of resource used in a bundle, used so far.
func (w *world) use(agent, bundleID, resource string, quantity, used, limit int64) events.Event {
	return w.emit(w.sched, "", agent, events.UsageRecorded{
		BundleID: bundleID, AgentID: agent, Resource: resource, Quantity: quantity, Used: used, Limit: limit,
	})
}

// end publishes the end of a bundle (expired, or released with a reason)
// and the agent's dormancy.
func (w *world) end(agent, bundleID, reason string) events.Event {
	var e events.Event
	if reason == "" {
		e = w.emit(w.sched, "", agent, events.BundleExpired{BundleID: bundleID, AgentID: agent})
	} else {
		e = w.emit(w.sched, "", agent, events.BundleReleased{BundleID: bundleID, AgentID: agent, Reason: reason})
	}
	w.emit(w.sched, e.ID, agent, events.AgentDormant{AgentID: agent})
	return e
}

// cycle runs one round of the market: every agent bids, the market clears
// at a moving price, each winner's bundle is leased, used and paid.
func (w *world) cycle() {
	w.round++
	type bid struct{ order, hold string }
	q := events.Quantities{"cpu": 1, "tokens": 100, "spend": 1}
	bids := make([]bid, len(w.agents))
	for i, a := range w.agents {
		bids[i].order, bids[i].hold = w.bid(a, q, 10, 500)
	}
	price := cents(100 + int64(w.round%7))
	w.emit(w.market, "", "cpu", events.PriceUpdate{
		Resource: "cpu", Round: w.round, Old: cents(100 + int64((w.round-1)%7)), New: price,
		Utilisation: "0.5", Reason: "clearing",
	})
	w.emit(w.market, "", "", events.MarketCleared{
		Round: w.round, Mechanism: "greedy", Bids: len(w.agents), Winners: len(w.agents),
		Volume: events.Quantities{"cpu": int64(len(w.agents))}, Prices: map[string]events.Decimal{"cpu": price},
		Utilisation: map[string]events.Decimal{"cpu": "0.5"}, Revenue: "1", Surplus: "1",
		Welfare: "3", OptimalWelfare: "4", Efficiency: "0.75",
	})
	for i, a := range w.agents {
		bundleID := "b/" + bids[i].order
		lease, _ := w.lease(a, bids[i].order, bids[i].hold, bundleID, q, 10, 400, 500)
		w.use(a, bundleID, "tokens", 40, 40, 100)
		w.use(a, bundleID, "cpu", 1, 1, 1)
		w.use(a, bundleID, "tokens", 60, 100, 100)
		w.use(a, bundleID, "spend", 1, 1, 1)
		w.end(a, bundleID, "released")
		w.captureAs(lease, "pay/"+bundleID, "market", 300)
	}
	w.tick(time.Minute)
}

// captureAs captures amount of a hold under the transfer id, releasing the
// rest.
func (w *world) captureAs(holdID, transferID, to string, amount int64) {
	h := w.holds[holdID]
	w.pending[h.account] -= h.amount
	h.closed = true
	w.balance[h.account] -= amount
	w.balance[to] += amount
	w.publish(w.ledger, h.account, events.HoldCaptured{
		HoldID: holdID, TransferID: transferID, AccountID: h.account, To: to,
		Amount: cents(amount), Released: cents(h.amount - amount),
		FromBalance: cents(w.balance[h.account]), ToBalance: cents(w.balance[to]),
		Pending: cents(w.pending[h.account]),
	})
}
