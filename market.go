package scarcity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// Market is one market: a book of bids, a clearing mechanism run on a clock,
// a ledger that settles allocations, and a scheduler that enforces them.
// Every state change is published as events.
//
// An error wrapping events.ErrInDoubt or events.ErrFenced means a publish
// may have stored what the market did not apply: the writer concerned
// refuses further changes (Fenced reports it), nothing is taken back, and
// the market must be restored from its stream (Restore) to go on.
type Market struct {
	cfg     Config
	catalog *bundle.Catalog
	ledger  *ledger.Ledger
	sched   *sched.Scheduler

	mu        sync.Mutex
	seq       *events.Sequencer
	book      *book
	reserve   bundle.Prices
	prices    bundle.Prices
	round     uint64
	nextClear time.Time
	emit      *emitState // sequencers of agents' and judges' events
	// opened holds the credits each agent was opened with by Open, so
	// that opening it again never mints twice, however long ago.
	opened map[string]*apd.Decimal
	// orphanHolds is set when a hold could not be released after a bid's
	// placement or settlement failed; the next Tick settles what is left
	// as Restore does (reconcile).
	orphanHolds bool
	wake        chan struct{} // signalled when Next may have moved earlier
}

// New validates cfg and returns a market whose system accounts (mint, burn,
// operator) are open. Their account_opened events are published through
// cfg.Publisher.
func New(ctx context.Context, cfg Config) (*Market, error) {
	cfg = cfg.withDefaults()
	cat, reserve, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	l, err := ledger.New(ctx, ledgerOptions(cfg))
	if err != nil {
		return nil, err
	}
	if err := l.Open(ctx, OperatorAccount, ledger.KindOperator); err != nil {
		return nil, err
	}
	s, err := sched.New(cat, schedOptions(cfg, l))
	if err != nil {
		return nil, err
	}
	return newMarket(cfg, cat, reserve, l, s), nil
}

// schedOptions returns the options of the scheduler of a market with
// configuration cfg and ledger l.
// ledgerOptions returns the options of cfg's ledger.
func ledgerOptions(cfg Config) ledger.Options {
	return ledger.Options{
		Scale: cfg.Scale, Clock: cfg.Clock, Publisher: cfg.Publisher, Correlation: cfg.Correlation,
		MaxHistory: cfg.MaxHistory, Retention: cfg.Retention,
	}
}

func schedOptions(cfg Config, l *ledger.Ledger) sched.Options {
	return sched.Options{
		Clock: cfg.Clock, Publisher: cfg.Publisher, Correlation: cfg.Correlation, Executor: cfg.Executor,
		Settler: settler{ledger: l, burn: cfg.Settlement == SettleBurn},
		Spend:   cfg.Spend, UsageBatch: cfg.UsageBatch, MaxBundles: cfg.MaxBundles,
	}
}

// newMarket returns a market of cfg over l and s with an empty book, its
// prices at reserve and its first round due ClearEvery from now.
func newMarket(cfg Config, cat *bundle.Catalog, reserve bundle.Prices, l *ledger.Ledger, s *sched.Scheduler) *Market {
	return &Market{
		cfg:       cfg,
		catalog:   cat,
		ledger:    l,
		sched:     s,
		seq:       events.NewSequencer(events.SourceMarket, cfg.Correlation, 0),
		book:      newBook(cfg.MaxBids, cfg.MaxBidsPerAgent, cfg.Retention),
		reserve:   reserve,
		prices:    clonePrices(reserve),
		nextClear: cfg.Clock.Now().Add(cfg.ClearEvery),
		emit:      newEmitState(cfg.Correlation, 0, 0),
		opened:    make(map[string]*apd.Decimal),
		wake:      make(chan struct{}, 1),
	}
}

// Catalog returns the resources the market sells.
func (m *Market) Catalog() *bundle.Catalog { return m.catalog }

// Ledger returns a read-only view of the market's ledger. The ledger
// itself is the market's: credits move only through the Market's commands.
func (m *Market) Ledger() ledger.View { return m.ledger.View() }

// Scheduler returns a read-only view of the market's scheduler. The
// scheduler itself is the market's: bundles are booked, metered and
// released only through the Market's commands.
func (m *Market) Scheduler() sched.View { return m.sched.View() }

// Round returns the number of clearing rounds run so far.
func (m *Market) Round() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.round
}

// Prices returns the clearing price of every resource from the last round,
// or its opening reserve before the first, in credits per unit per second.
func (m *Market) Prices() bundle.Prices {
	m.mu.Lock()
	defer m.mu.Unlock()
	return clonePrices(m.prices)
}

// ReservePrices returns the reserve price of every resource for the next
// round, in credits per unit per second.
func (m *Market) ReservePrices() bundle.Prices {
	m.mu.Lock()
	defer m.mu.Unlock()
	return clonePrices(m.reserve)
}

// Orders returns the open bids in the book, oldest first.
func (m *Market) Orders() []Bid {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Bid
	for _, b := range m.book.bids() {
		o, _ := m.book.get(b.ID)
		if o.settling() {
			continue // it won; its allocation is still to be published
		}
		out = append(out, Bid{ID: o.id, Agent: b.Agent, Bundle: cloneBundle(b.Bundle), Limit: new(apd.Decimal).Set(b.Limit)})
	}
	return out
}

// Open opens an account for agent and mints credits into it (none if
// credits is zero or nil). Opening an agent again with the credits it was
// opened with has no effect, whenever it is retried; with other credits it
// fails with ledger.ErrExistsWithDifferentFields. An account an agent
// opened itself (OpenAccount) receives its opening credits once.
func (m *Market) Open(ctx context.Context, agent string, credits *apd.Decimal) error {
	if err := validID("agent", agent); err != nil {
		return err
	}
	mint := credits != nil && !credits.IsZero()
	if credits != nil && credits.Sign() < 0 {
		return fmt.Errorf("%w: %s for %q", ErrInvalidCredits, credits, agent)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if mint {
		if err := m.ledger.ValidateAmount(credits); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidCredits, err)
		}
	}
	if was, ok := m.opened[agent]; ok {
		if !mint || was.Cmp(credits) != 0 {
			return fmt.Errorf("%w: %q was opened with %s credits", ledger.ErrExistsWithDifferentFields, agent, was)
		}
		return nil
	}
	err := m.ledger.Open(ctx, agent, ledger.KindAgent)
	if errors.Is(err, ledger.ErrAccountExists) && mint {
		if _, aerr := m.agentBalance(agent); aerr != nil {
			return err
		}
	} else if err != nil || !mint {
		return err
	}
	if err := m.ledger.Mint(ctx, openingID(agent), agent, credits, "initial credits"); err != nil {
		return err
	}
	m.opened[agent] = new(apd.Decimal).Set(credits)
	return nil
}

// openingID returns the transfer id of agent's opening credits.
func openingID(agent string) string { return "open/" + agent }

// Mint issues amount new credits to agent as transfer id, for example a
// human reward. Retrying with the same id and amount has no second effect.
func (m *Market) Mint(ctx context.Context, id, agent string, amount *apd.Decimal, reason string) error {
	if err := validID("mint", id); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.agentBalance(agent); err != nil {
		return err
	}
	return m.ledger.Mint(ctx, "mint/"+id, agent, amount, reason)
}

// Balance returns agent's balance and publishes balance_queried.
func (m *Market) Balance(ctx context.Context, agent string) (ledger.Balance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.agentBalance(agent); err != nil {
		return ledger.Balance{}, err
	}
	return m.ledger.QueryBalance(ctx, agent)
}

// agentBalance returns the balance of an agent account, or ErrUnknownAgent.
func (m *Market) agentBalance(agent string) (ledger.Balance, error) {
	b, err := m.ledger.Balance(agent)
	if err != nil || b.Kind != ledger.KindAgent {
		return ledger.Balance{}, fmt.Errorf("%w: %q", ErrUnknownAgent, agent)
	}
	return b, nil
}

// Use consumes qty of a service-level resource from agent's active bundles,
// or is denied (sched.ErrServiceDenied) and consumes nothing.
func (m *Market) Use(ctx context.Context, agent, resource string, qty int64) error {
	return m.sched.Use(ctx, agent, resource, qty)
}

// Reserve sets aside worstCase of a service-level resource in agent's
// bundles (and, for LLM spend, in the spend window) for a call whose cost
// is known only afterwards; see sched.Scheduler.Reserve. It returns the
// reservation's id, for Commit or CancelReservation.
func (m *Market) Reserve(ctx context.Context, agent, resource string, worstCase int64, ttl time.Duration) (string, error) {
	return m.sched.Reserve(ctx, agent, resource, worstCase, ttl)
}

// Commit consumes actual (at most what was reserved) of agent's reservation
// id and returns the rest. A reservation of another agent is
// sched.ErrUnknownReservation, as an unknown one is.
func (m *Market) Commit(ctx context.Context, agent, id string, actual int64) error {
	if err := m.ownReservation(agent, id); err != nil {
		return err
	}
	return m.sched.Commit(ctx, id, actual)
}

// CancelReservation returns all of agent's reservation id.
func (m *Market) CancelReservation(ctx context.Context, agent, id string) error {
	if err := m.ownReservation(agent, id); err != nil {
		return err
	}
	return m.sched.Cancel(ctx, id)
}

// ownReservation checks that reservation id is agent's.
func (m *Market) ownReservation(agent, id string) error {
	if owner, ok := m.sched.ReservationAgent(id); !ok || owner != agent {
		return fmt.Errorf("%w: %q of %q", sched.ErrUnknownReservation, id, agent)
	}
	return nil
}

// Report records an OS-level usage sample for agent; usage beyond its
// bundles terminates it (sched.ErrTerminated).
func (m *Market) Report(ctx context.Context, agent, resource string, level int64) error {
	return m.sched.Report(ctx, agent, resource, level)
}

// Release ends agent's bundle bundleID early: the agent pays for the time
// used, pro rata, and the rest of its lease hold returns to it
// (sched.Lease). It returns the bundle's unused and total seconds. Errors
// wrap ErrUnknownBundle for a bundle that is not agent's, or the
// scheduler's errors (sched.ErrWindowEnded for a bundle already over); an
// error for which sched.Aftermath holds means the bundle was released and
// its payment will be retried.
func (m *Market) Release(ctx context.Context, agent, bundleID string) (unused, total int64, err error) {
	if info, ok := m.sched.Bundle(bundleID); !ok || info.Agent != agent {
		return 0, 0, fmt.Errorf("%w: %q of %q", ErrUnknownBundle, bundleID, agent)
	}
	return m.sched.Release(ctx, bundleID)
}

// publish publishes one market event about subject.
func (m *Market) publish(ctx context.Context, subject string, data events.Payload) error {
	b := m.seq.Batch(m.cfg.Clock.Now())
	b.Add(subject, data)
	return b.Publish(ctx, m.cfg.Publisher)
}

var _ auction.Mechanism = auction.Greedy{}
