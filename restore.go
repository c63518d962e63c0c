package scarcity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// ErrRestore reports a stream from which a market cannot be restored: a
// gap in the market's sequence, or an event that does not follow from the
// ones before it. The ledger's and the scheduler's own checks report
// ledger.ErrReplayMismatch and sched.ErrRestore.
var ErrRestore = errors.New("scarcity: cannot restore")

// Restore returns the market whose events are evs, as it was when the last
// of them was published: its ledger (replayed and verified, hash chain
// included), its scheduler, its book of open bids, its round, prices and
// reserve prices. evs is the market's stream, or any stream holding it: the
// events of other correlations are skipped. cfg must be the configuration
// the market ran with (its resources, reserves, mechanism and reserve rule),
// with the clock and publisher to go on with; rounds stay due every
// ClearEvery from the market's first event.
//
// A batch of events stored only in part (a publish in doubt: see
// events.ErrInDoubt) never happened: its events are skipped, and the
// writers go on numbering after it (events.Complete).
//
// A crash can cut an operation short between its steps. Restore completes
// or undoes what it finds half done, publishing what was missing: a bid
// hold without its bid is released; a bid whose hold is gone is settled as
// the ledger says (allocated, when its bundle is leased and scheduled;
// otherwise cancelled or refused, its credits returned); a leased bundle
// that ended unpaid is paid.
func Restore(ctx context.Context, cfg Config, evs []events.Event) (*Market, error) {
	cfg = cfg.withDefaults()
	cat, reserve, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	l, err := restoreLedger(ctx, cfg, evs)
	if err != nil {
		return nil, err
	}
	open := func(id string) bool { _, ok := l.HoldAmount(id); return ok }
	s, err := sched.Restore(ctx, cat, schedOptions(cfg, l), sched.RestoreOptions{HoldOpen: open}, evs)
	if err != nil && !sched.Aftermath(err) {
		return nil, err
	}
	m := newMarket(cfg, cat, reserve, l, s)
	evs, voids := events.Complete(evs)
	if err := m.replay(evs, voids); err != nil {
		return nil, err
	}
	m.resumeEmit(evs, voids)
	return m, errors.Join(err, m.reconcile(ctx, evs))
}

// restoreLedger replays the ledger of cfg's correlation from evs, or opens
// a new one if evs holds none of its events.
func restoreLedger(ctx context.Context, cfg Config, evs []events.Event) (*ledger.Ledger, error) {
	opts := ledgerOptions(cfg)
	for _, e := range evs {
		if e.Source == events.SourceLedger && e.Correlation == cfg.Correlation {
			return ledger.Replay(opts, evs)
		}
	}
	l, err := ledger.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	return l, l.Open(ctx, OperatorAccount, ledger.KindOperator)
}

// replay rebuilds the market's own state from its events, of which voids
// were set aside.
func (m *Market) replay(evs []events.Event, voids events.Voids) error {
	var last uint64
	var created, cleared time.Time
	for _, e := range evs {
		if e.Correlation != m.cfg.Correlation {
			continue
		}
		if created.IsZero() {
			created = e.Time
		}
		if e.Source == events.SourceLedger {
			m.replayLedgerEvent(e)
		}
		if e.Source != events.SourceMarket {
			continue
		}
		if last = voids.Skip(e.Source, e.Correlation, last); e.Sequence != last+1 {
			return fmt.Errorf("%w: %v follows market sequence %d", ErrRestore, e, last)
		}
		last = e.Sequence
		if err := m.replayEvent(e); err != nil {
			return fmt.Errorf("%w: %v: %w", ErrRestore, e, err)
		}
		if e.Type == events.TypeMarketCleared {
			cleared = e.Time
		}
	}
	m.seq = events.NewSequencer(events.SourceMarket, m.cfg.Correlation, last)
	m.seq.SkipVoid(voids)
	if !created.IsZero() {
		m.nextClear = nextRound(created, cleared, m.cfg.ClearEvery)
	}
	return nil
}

// replayLedgerEvent learns from a ledger event what the market keeps of
// it: the order ids spent on holds and the agents' opening credits.
func (m *Market) replayLedgerEvent(e events.Event) {
	switch p := e.Data.(type) {
	case events.HoldPlaced:
		if id, n, bid := parseBidHold(p.HoldID); bid {
			m.book.spend(orderKey(p.AccountID, id), n, e.Time) // an id is spent once its hold is placed
		}
	case events.CreditsMinted:
		if agent, ok := strings.CutPrefix(p.TransferID, "open/"); ok && p.TransferID == openingID(agent) {
			if credits, err := p.Amount.Apd(); err == nil {
				m.opened[agent] = credits
			}
		}
	}
}

// nextRound returns when the round after the one cleared at cleared is due
// for a market created at created: rounds fall every interval from its
// creation. A zero cleared means none was.
func nextRound(created, cleared time.Time, interval time.Duration) time.Time {
	next := created.Add(interval)
	if cleared.Before(next) {
		return next
	}
	return next.Add((cleared.Sub(next)/interval + 1) * interval)
}

// replayEvent applies one market event.
func (m *Market) replayEvent(e events.Event) error {
	switch p := e.Data.(type) {
	case events.BidPlaced:
		return m.replayBid(p)
	case events.OrderCancelled:
		m.book.remove(orderKey(p.AgentID, p.OrderID))
	case events.BidRejected:
		m.book.remove(orderKey(p.AgentID, p.OrderID))
	case events.ResourcesAllocated:
		m.book.remove(orderKey(p.AgentID, p.OrderID))
	case events.PriceUpdate:
		price, err := p.New.Apd()
		if err != nil {
			return err
		}
		m.prices[p.Resource] = price
	case events.MarketCleared:
		m.round = p.Round
		return m.replayReserve(p)
	}
	return nil
}

// replayBid puts the bid p in the book.
func (m *Market) replayBid(p events.BidPlaced) error {
	limit, err := p.TotalCost.Apd()
	if err != nil {
		return err
	}
	b := bundle.Bundle{Quantities: bundle.Quantities(p.Quantities),
		Window: bundle.Window{Start: p.Window.Start, Duration: time.Duration(p.Window.DurationSeconds) * time.Second}}
	id, n, ok := parseBidHold(p.HoldID)
	if !ok || id != p.OrderID {
		return fmt.Errorf("hold %q is not a hold of order %q", p.HoldID, p.OrderID)
	}
	m.book.add(p.OrderID, auction.Bid{Agent: p.AgentID, Bundle: b, Limit: limit, Seq: n}, p.HoldID)
	return nil
}

// replayReserve moves the reserve prices as the round p summarises did.
func (m *Market) replayReserve(p events.MarketCleared) error {
	util := make(map[string]*apd.Decimal, len(p.Utilisation))
	for name, u := range p.Utilisation {
		d, err := u.Apd()
		if err != nil {
			return err
		}
		util[name] = d
	}
	return m.moveReserve(util)
}

// reconcile completes or undoes the operations a crash cut short.
func (m *Market) reconcile(ctx context.Context, evs []events.Event) error {
	released := releaseReasons(evs, m.cfg.Correlation)
	var errs []error
	for _, b := range m.book.bids() {
		o, _ := m.book.get(b.ID)
		_, open := m.ledger.HoldAmount(o.holdID)
		if !open || strings.HasPrefix(o.holdID, leaseHoldPrefix) { // its settlement was cut short
			errs = append(errs, m.settleOrphan(ctx, o, released[o.holdID]))
		}
	}
	return errors.Join(append(errs, m.releaseUnplaced(ctx))...)
}

// releaseUnplaced releases every bid hold whose bid is not in the book: the
// hold of a bid whose placement failed after its hold was placed.
func (m *Market) releaseUnplaced(ctx context.Context) error {
	placed := make(map[string]bool, len(m.book.orders))
	for _, o := range m.book.orders {
		placed[o.holdID] = true
	}
	var errs []error
	for _, id := range m.ledger.OpenHolds() {
		if _, _, bid := parseBidHold(id); bid && !placed[id] {
			errs = append(errs, m.ledger.Release(ctx, id, "not placed"))
		}
	}
	return errors.Join(errs...)
}

// settleOrphan ends the order o whose bid hold was closed before its
// outcome was published.
func (m *Market) settleOrphan(ctx context.Context, o order, reason string) error {
	bundleID, leaseID := o.bundleID(), o.leaseID()
	amount, leased := m.ledger.HoldAmount(leaseID)
	info, scheduled := m.sched.Bundle(bundleID)
	if scheduled && info.Lease != nil {
		leased, amount = true, info.Lease.Amount // its lease may have been paid since
	}
	var p events.Payload
	switch {
	case leased && scheduled:
		p = events.ResourcesAllocated{
			OrderID: o.id, AgentID: o.bid.Agent, BundleID: bundleID, Round: m.round,
			Quantities: info.Bundle.EventQuantities(), Window: info.Bundle.EventWindow(),
			Amount: events.DecimalOf(amount), Bid: events.DecimalOf(o.bid.Limit),
			PaymentID: sched.PaymentID(bundleID), LeaseID: leaseID,
		}
	case leased:
		o.holdID = leaseID
		return m.refuse(ctx, o, events.ReasonSettlementFailed, "the market stopped while settling it")
	case reason == "cancelled":
		p = events.OrderCancelled{OrderID: o.id, AgentID: o.bid.Agent}
	default:
		p = events.BidRejected{OrderID: o.id, AgentID: o.bid.Agent,
			Reason: events.ReasonSettlementFailed, Detail: "the market stopped while settling it"}
	}
	if err := m.publish(ctx, o.bid.Agent, p); err != nil {
		m.orphanHolds = true // the order stays in the book; the next Tick tries again
		return err
	}
	m.book.remove(o.bid.ID)
	return nil
}

// releaseReasons returns the reason each hold of correlation was released
// with, by hold id.
func releaseReasons(evs []events.Event, correlation string) map[string]string {
	out := make(map[string]string)
	for _, e := range evs {
		if h, ok := e.Data.(events.HoldReleased); ok && e.Source == events.SourceLedger && e.Correlation == correlation {
			out[h.HoldID] = h.Reason
		}
	}
	return out
}
