package scarcity

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// utilisationPlaces is the number of decimal places of reported utilisation.
const utilisationPlaces = 4

// EfficiencyPlaces is the number of decimal places of market_cleared's
// efficiency, the round's welfare over its optimal welfare, rounded down.
const EfficiencyPlaces = 4

// clear runs a round: bundles due are activated or expired first, so that
// the round books against the capacity left now.
func (m *Market) clear(ctx context.Context) (auction.Result, error) {
	defer m.tel.roundTook(m.cfg.Clock.Now())
	advanced := m.sched.Advance(ctx)
	if advanced != nil && !errors.Is(advanced, sched.ErrAftermath) {
		return auction.Result{}, advanced
	}
	bids := m.orders.bids()
	round := auction.Round{
		Number: m.round + 1, At: m.cfg.Clock.Now(), Bids: bids,
		Calendar: m.sched.Snapshot(), Reserve: clonePrices(m.reserve), Scale: m.cfg.Scale,
	}
	res, err := m.cfg.Mechanism.Clear(round)
	if err != nil {
		return res, fmt.Errorf("scarcity: round %d: %w", round.Number, err)
	}
	if err := m.checkResult(round, res); err != nil {
		return res, err
	}
	m.round = round.Number
	for !round.At.Before(m.nextClear) { // as a restored market would compute it
		m.nextClear = m.nextClear.Add(m.cfg.ClearEvery)
	}
	// An allocation stages about six events (its bid's hold released, its
	// lease placed, its bundle scheduled, activated, its agent awake, the
	// allocation), a rejection two.
	m.stage.grow(6*len(res.Allocations) + 2*len(res.Rejections) + len(m.catalog.Names()) + 1)
	var errs []error
	for _, a := range res.Allocations {
		errs = append(errs, m.settle(ctx, a))
	}
	for _, r := range res.Rejections {
		o, _ := m.orders.get(r.Bid.ID)
		errs = append(errs, m.refuse(ctx, o, r.Reason, r.Detail))
	}
	errs = append(errs, m.closeRound(len(bids), res), advanced)
	return res, sched.Join(errs...)
}

// checkResult verifies res against the Mechanism contract and checks that
// every payment is an amount the ledger can capture.
func (m *Market) checkResult(round auction.Round, res auction.Result) error {
	if err := auction.Verify(round, res); err != nil {
		return fmt.Errorf("%w: %w", ErrMechanism, err)
	}
	for _, a := range res.Allocations {
		if err := m.ledger.ValidateAmount(a.Payment); err != nil {
			return fmt.Errorf("%w: bid %q pays %v: %w", ErrMechanism, a.Bid.ID, a.Payment, err)
		}
	}
	return nil
}

// settle leases an allocated bundle and stages resources_allocated: in one
// ledger batch the bid's hold is released and a lease hold of the payment
// placed, then the scheduler books the bundle, paid for by that hold as its
// time passes (sched.Lease): in full at expiry, pro rata if it ends early.
// A bundle the scheduler cannot take is refused instead, its credits
// returned.
func (m *Market) settle(ctx context.Context, a auction.Allocation) error {
	o, _ := m.orders.get(a.Bid.ID)
	if err := m.sched.Check(a.Bundle); err != nil {
		return m.refuse(ctx, o, events.ReasonSettlementFailed, err.Error())
	}
	bundleID, leaseID := o.bundleID(), o.leaseID()
	if err := m.ledger.Apply(ctx,
		ledger.ReleaseOp{HoldID: o.holdID, Reason: "allocated"},
		ledger.HoldOp{HoldID: leaseID, Account: o.bid.Agent, Amount: a.Payment},
	); err != nil {
		return m.refuse(ctx, o, events.ReasonSettlementFailed, err.Error())
	}
	o.holdID = leaseID // from here on, the lease hold is what a refusal returns
	lease := sched.Lease{HoldID: leaseID, Amount: a.Payment, Payee: OperatorAccount, Scale: m.cfg.Scale}
	if err := m.sched.ScheduleLeased(ctx, bundleID, o.bid.Agent, o.id, a.Bundle, lease); err != nil {
		return m.refuse(ctx, o, events.ReasonSettlementFailed, err.Error())
	}
	m.orders.remove(o.bid.ID)
	m.publish(o.bid.Agent, events.ResourcesAllocated{
		OrderID: o.id, AgentID: o.bid.Agent, BundleID: bundleID, Round: m.round,
		Quantities: a.Bundle.EventQuantities(), Window: a.Bundle.EventWindow(),
		Amount: events.DecimalOf(a.Payment), Bid: events.DecimalOf(o.bid.Limit),
		PaymentID: sched.PaymentID(bundleID), LeaseID: leaseID,
	})
	return nil
}

// refuse releases a bid's hold, takes the bid out of the book and stages
// its rejection.
func (m *Market) refuse(ctx context.Context, o order, reason events.RejectReason, detail string) error {
	err := m.ledger.Release(ctx, o.holdID, string(reason))
	m.orders.remove(o.bid.ID)
	m.publish(o.bid.Agent, events.BidRejected{OrderID: o.id, AgentID: o.bid.Agent, Reason: reason, Detail: detail})
	return err
}

// closeRound stages the round's price updates and summary, and moves the
// reserve prices for the next round.
func (m *Market) closeRound(bids int, res auction.Result) error {
	util := m.utilisation()
	batch := m.seq.Batch(m.cfg.Clock.Now())
	for _, name := range m.catalog.Names() {
		p, ok := res.Prices[name]
		if !ok || p == nil || p.Cmp(m.prices[name]) == 0 {
			continue
		}
		batch.Add(name, events.PriceUpdate{
			Resource: name, Round: m.round, Old: events.DecimalOf(m.prices[name]), New: events.DecimalOf(p),
			Utilisation: events.DecimalOf(util[name]), Reason: "clearing",
		})
	}
	batch.Add("", m.summary(bids, res, util))
	m.cleared = batch.Events()[len(batch.Events())-1].Time
	_ = batch.Publish(context.Background(), m.stage) // staging cannot fail
	for name, p := range res.Prices {
		// Only a price that changed moves, as its price_update says: a
		// market replayed from its events holds the same decimals.
		if old, ok := m.prices[name]; ok && p != nil && p.Cmp(old) != 0 {
			m.prices[name] = new(apd.Decimal).Set(p)
		}
	}
	return m.moveReserve(m.cfg, util)
}

func (m *Market) summary(bids int, res auction.Result, util map[string]*apd.Decimal) events.MarketCleared {
	mc := events.MarketCleared{
		Round: m.round, Mechanism: cmp.Or(res.Mechanism, m.cfg.Mechanism.Name()), Bids: bids, Winners: len(res.Allocations),
		Volume: events.Quantities(res.Volume.Clone()), Prices: make(map[string]events.Decimal),
		Utilisation: make(map[string]events.Decimal), Revenue: decimalOrEmpty(res.Revenue),
		Surplus: decimalOrEmpty(res.Surplus),
	}
	mc.Welfare, mc.OptimalWelfare, mc.Efficiency = welfareSummary(res)
	if res.Welfare != nil {
		mc.GreedyWelfare = decimalOrEmpty(res.GreedyWelfare)
	}
	for _, name := range m.catalog.Names() {
		if p := res.Prices[name]; p != nil {
			mc.Prices[name] = events.DecimalOf(p)
		}
		mc.Utilisation[name] = events.DecimalOf(util[name])
	}
	return mc
}

// utilisation returns, per resource, the booked share of capacity now,
// rounded down to utilisationPlaces.
func (m *Market) utilisation() map[string]*apd.Decimal {
	used := m.sched.Snapshot().UsedAt(m.cfg.Clock.Now())
	ctx := apd.BaseContext.WithPrecision(34)
	ctx.Rounding = apd.RoundDown
	out := make(map[string]*apd.Decimal)
	for _, r := range m.catalog.Resources() {
		u := new(apd.Decimal)
		_, _ = ctx.Quo(u, apd.New(used[r.Name], 0), apd.New(r.Capacity, 0))
		_, _ = ctx.Quantize(u, u, -utilisationPlaces)
		out[r.Name] = u
	}
	return out
}

// moveReserve applies cfg's reserve rule to the reserve price of every
// resource.
func (st *marketState) moveReserve(cfg Config, util map[string]*apd.Decimal) error {
	for _, r := range cfg.Resources {
		next, err := cfg.ReserveRule.Next(st.reserve[r.Name], util[r.Name], cfg.Scale)
		if err != nil {
			return fmt.Errorf("scarcity: reserve for %q: %w", r.Name, err)
		}
		st.reserve[r.Name] = next
	}
	return nil
}

// welfareSummary returns the round's welfare, optimal welfare and
// efficiency, each empty where the mechanism did not compute it. Efficiency
// is welfare / optimal rounded down to EfficiencyPlaces, exactly, and 1 when
// both are zero.
func welfareSummary(res auction.Result) (welfare, optimal, efficiency events.Decimal) {
	if res.Welfare == nil {
		return "", "", ""
	}
	welfare = events.DecimalOf(res.Welfare)
	if res.OptimalWelfare == nil {
		return welfare, "", ""
	}
	optimal = events.DecimalOf(res.OptimalWelfare)
	if res.OptimalWelfare.IsZero() {
		if res.Welfare.IsZero() {
			return welfare, optimal, "1"
		}
		return welfare, optimal, ""
	}
	ctx := apd.BaseContext.WithPrecision(uint32(max(34, res.Welfare.NumDigits()+EfficiencyPlaces+2)))
	ctx.Rounding = apd.RoundDown
	e := new(apd.Decimal)
	if _, err := ctx.Quo(e, res.Welfare, res.OptimalWelfare); err != nil {
		return welfare, optimal, ""
	}
	if _, err := ctx.Quantize(e, e, -EfficiencyPlaces); err != nil {
		return welfare, optimal, ""
	}
	return welfare, optimal, events.DecimalOf(e)
}

func decimalOrEmpty(d *apd.Decimal) events.Decimal {
	if d == nil {
		return ""
	}
	return events.DecimalOf(d)
}
