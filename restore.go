package scarcity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// Restore returns the market whose events are evs, as it was when its last
// sealed group was published: its ledger, its scheduler, its book of open
// bids, its round, prices and reserve prices. evs is the market's stream,
// or any stream holding it: the events of other correlations are skipped.
// cfg must be the configuration the market ran with (its resources,
// reserves, mechanism and reserve rule), with the clock and publisher to go
// on with; rounds stay due every ClearEvery from the market's first event.
//
// Restore verifies the market's hash chain first (events.Verify, with
// cfg.PublicKey if set) and trusts nothing the chain does not cover. The
// events of a group cut short by a failed publish are void: never applied,
// though the market numbers its next events after them, and links its next
// group to its last seal. A command is one group or part of one, so a
// restored market never holds half of a command. If cfg.SigningKey is not
// the key the stream last announced, the restored market announces it with
// its first command. An empty stream gives a new market (New).
func Restore(ctx context.Context, cfg Config, evs []events.Event) (*Market, error) {
	cfg = cfg.withDefaults()
	cat, reserve, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	ours := ofCorrelation(evs, cfg.Correlation)
	if len(ours) == 0 {
		return New(ctx, cfg)
	}
	m := newMarket(cfg, cat, nil)
	err = m.rebuild(ctx, reserve, ours)
	m.tel.restored("restore", len(ours), err)
	if err != nil {
		return nil, err
	}
	if len(m.stage.unit) > 0 { // a market made anew, or its key announced
		if err := m.write(ctx, func() error { return nil }); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ofCorrelation returns the events of evs of correlation: evs itself when
// they all are, so the caller must not change it.
func ofCorrelation(evs []events.Event, correlation string) []events.Event {
	i := slices.IndexFunc(evs, func(e events.Event) bool { return e.Correlation != correlation })
	if i < 0 {
		return evs // a stream of one market's events, as most are
	}
	out := slices.Clone(evs[:i])
	for _, e := range evs[i+1:] {
		if e.Correlation == correlation {
			out = append(out, e)
		}
	}
	return out
}

// rebuild sets m's state, and its committer, to what evs, the market's
// events, make of it.
func (m *Market) rebuild(ctx context.Context, reserve bundle.Prices, evs []events.Event) error {
	v, err := events.Verify(evs, events.VerifyOptions{PublicKey: m.cfg.PublicKey})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRestore, err)
	}
	last := lastSequences(evs)
	if len(v.Trusted) == 0 { // every group was cut short: the market never was
		m.commit = newCommitter(m.cfg.Publisher, mustChain(""), m.cfg.SigningKey, m.tel, m.rebuildLater)
		return m.create(ctx, reserve, last)
	}
	l, err := ledger.Restore(ctx, ledgerOptionsAt(m.cfg, m.stage, last.ledger), v.Trusted)
	if err != nil {
		return err
	}
	s, err := sched.Restore(ctx, m.catalog, schedOptions(m.cfg, m.stage, l),
		sched.RestoreOptions{LastSequence: last.sched}, v.Trusted)
	if err != nil {
		return err
	}
	m.stage.take() // nothing the rebuild did is to be published
	st := newState(m.cfg, reserve, l, s, last)
	if err := st.replay(m.cfg, v.Trusted); err != nil {
		return err
	}
	m.marketState = st
	m.resume(mustChain(v.Heads[m.cfg.Correlation]), v.Keys[m.cfg.Correlation])
	return nil
}

// rebuildLater rebuilds the market from its stream as soon as it can: the
// committer calls it once a publish failed. The next command would
// otherwise; this way a market with no traffic recovers too.
func (m *Market) rebuildLater() { m.rebuildNow(context.Background()) }

// rebuildNow rebuilds a fenced market from its stream; if it cannot, the
// next command says why.
func (m *Market) rebuildNow(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_ = m.recover(ctx)
}

// mustChain returns a chain continuing from head, a hash Verify returned.
func mustChain(head string) *events.Chain {
	c, err := events.NewChain(head, nil)
	if err != nil {
		panic(fmt.Sprintf("scarcity: a verified head %q is not a hash: %v", head, err))
	}
	return c
}

// recover rebuilds a fenced market from its stream, once every unit sent
// is answered: it then holds exactly what the stream holds, and commits
// again. It runs with m.mu held, before a command; a market whose publisher
// cannot be read back stays fenced.
func (m *Market) recover(ctx context.Context) error {
	failed := m.commit.failure()
	if failed == nil {
		return nil
	}
	failed = m.commit.drain()
	r, ok := m.cfg.Publisher.(events.Reader)
	if !ok {
		return fenced(failed)
	}
	_, reserve, err := m.cfg.validate()
	if err != nil {
		return err
	}
	report, err := m.reload(ctx, reserve, r)
	m.tel.restored("fenced", report.Events, err)
	if err != nil {
		return errors.Join(fenced(failed), err)
	}
	return nil
}

// replay rebuilds the market's own state from its trusted events.
func (st *marketState) replay(cfg Config, evs []events.Event) error {
	var last uint64
	for _, e := range evs {
		if st.created.IsZero() {
			st.created = e.Time
		}
		if e.Source == events.SourceLedger {
			st.replayLedgerEvent(e)
		}
		if e.Source != events.SourceMarket {
			continue
		}
		if e.Sequence <= last {
			return fmt.Errorf("%w: %v follows market sequence %d", ErrRestore, e, last)
		}
		last = e.Sequence
		if err := st.replayEvent(cfg, e); err != nil {
			return fmt.Errorf("%w: %v: %w", ErrRestore, e, err)
		}
		if e.Type == events.TypeMarketCleared {
			st.cleared = e.Time
		}
	}
	if !st.created.IsZero() {
		st.nextClear = nextRound(st.created, st.cleared, cfg.ClearEvery)
	}
	return nil
}

// replayLedgerEvent learns from a ledger event what the market keeps of
// it: the order ids spent on holds, the agents' opening credits and the
// rewards' mints.
func (st *marketState) replayLedgerEvent(e events.Event) {
	switch p := e.Data.(type) {
	case events.HoldPlaced:
		if id, n, bid := parseBidHold(p.HoldID); bid {
			st.orders.forgetOld(e.Time)                           // as the bid that placed it did
			st.orders.spend(orderKey(p.AccountID, id), n, e.Time) // an id is spent once its hold is placed
		}
	case events.CreditsMinted:
		if agent, ok := strings.CutPrefix(p.TransferID, "open/"); ok && p.TransferID == openingID(agent) {
			if credits, err := p.Amount.Apd(); err == nil {
				st.opened[agent] = credits
			}
		}
		if strings.HasPrefix(p.TransferID, RewardTransferPrefix) {
			st.rewards.replayMint(p, e.Time)
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
func (st *marketState) replayEvent(cfg Config, e events.Event) error {
	switch p := e.Data.(type) {
	case events.BidPlaced:
		return st.replayBid(p)
	case events.OrderCancelled:
		st.orders.remove(orderKey(p.AgentID, p.OrderID))
	case events.BidRejected:
		st.orders.remove(orderKey(p.AgentID, p.OrderID))
	case events.ResourcesAllocated:
		st.orders.remove(orderKey(p.AgentID, p.OrderID))
	case events.PriceUpdate:
		price, err := p.New.Apd()
		if err != nil {
			return err
		}
		st.prices[p.Resource] = price
	case events.MarketCleared:
		st.round = p.Round
		return st.replayReserve(cfg, p)
	case events.HumanRewardIssued:
		return st.rewards.replayReward(p, e.Time)
	}
	return nil
}

// replayBid puts the bid p in the book.
func (st *marketState) replayBid(p events.BidPlaced) error {
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
	st.orders.add(p.OrderID, auction.Bid{Agent: p.AgentID, Bundle: b, Limit: limit, Seq: n}, p.HoldID)
	return nil
}

// replayReserve moves the reserve prices as the round p summarises did.
func (st *marketState) replayReserve(cfg Config, p events.MarketCleared) error {
	util := make(map[string]*apd.Decimal, len(p.Utilisation))
	for name, u := range p.Utilisation {
		d, err := u.Apd()
		if err != nil {
			return err
		}
		util[name] = d
	}
	return st.moveReserve(cfg, util)
}
