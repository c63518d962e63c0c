package scarcity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
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
// Every command — Open, Mint, Reward, Bid, Cancel, Transfer, Balance, Use,
// Report, Release, Reserve, Commit, CancelReservation, Emit, EmitJudgement,
// and Tick or Clear with their round and expiries — is applied by one writer,
// in order, and all its events, whatever component emits them, go to the
// publisher as one group with the events of the commands applied meanwhile
// (see docs/decisions/0001-one-command-one-batch.md). A command returns
// once its events are accepted by the publisher; its error is then the
// command's own. The market's events form one hash chain; the last event of
// each group is sealed and signed with Config.SigningKey.
//
// Queries (Prices, Orders, Round, Ledger, Scheduler) see every command
// applied so far, including those whose events are still being published.
// If a publish fails, the command and every command after it fail with an
// error wrapping events.ErrFenced (and the publisher's error), and the
// market is fenced: its state is ahead of its stream. Before its next
// command it rebuilds itself from its stream (if Config.Publisher is an
// events.Reader, as natstransport and events.Log are), so that it holds
// exactly what the stream holds; queries then see that. A market whose
// publisher cannot be read back stays fenced until rebuilt with Restore.
type Market struct {
	cfg     Config
	catalog *bundle.Catalog

	mu sync.Mutex // the writer's: every command and query takes it
	marketState
	snapshots snapshotPolicy
	stage     *stage
	commit    *committer
	wake      chan struct{} // signalled when Next may have moved earlier
}

// marketState is what a market rebuilds from its stream.
type marketState struct {
	ledger    *ledger.Ledger
	sched     *sched.Scheduler
	seq       *events.Sequencer // the market's own events
	book      *book
	reserve   bundle.Prices
	prices    bundle.Prices
	round     uint64
	nextClear time.Time
	// created is the time of the market's first event, cleared of its
	// last round's summary: rounds fall due ClearEvery apart from created.
	created, cleared time.Time
	emit             *emitState // agents' and judges' sequencers and emit budgets
	// opened holds the credits each agent was opened with by Open, so
	// that opening it again never mints twice, however long ago.
	opened map[string]*apd.Decimal
	// rewards holds what each human gave this period, and the rewards a
	// retry must find (reward.go).
	rewards *rewardState
}

// New validates cfg and returns a market whose system accounts (mint, burn,
// operator) are open and whose signing key is announced: its first group of
// events, published through cfg.Publisher before New returns.
func New(ctx context.Context, cfg Config) (*Market, error) {
	cfg = cfg.withDefaults()
	cat, reserve, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	chain, _ := events.NewChain("", nil)
	m := newMarket(cfg, cat, chain)
	if err := m.write(ctx, func() error { return m.create(ctx, reserve, stream{}) }); err != nil {
		return nil, err
	}
	return m, nil
}

// create makes m's state that of a new market whose sequences start after
// last, and stages its first events: its key's announcement and the
// opening of the system accounts (mint, burn, operator).
func (m *Market) create(ctx context.Context, reserve bundle.Prices, last stream) error {
	m.marketState = newState(m.cfg, reserve, nil, nil, last)
	m.announceKey()
	m.created = m.stage.unit[len(m.stage.unit)-1].Time
	opts := ledgerOptionsAt(m.cfg, m.stage, last.ledger)
	l, err := ledger.New(ctx, opts)
	if err != nil {
		return err
	}
	if err := l.Open(ctx, OperatorAccount, ledger.KindOperator); err != nil {
		return err
	}
	s, err := sched.Restore(ctx, m.catalog, schedOptions(m.cfg, m.stage, l), sched.RestoreOptions{LastSequence: last.sched}, nil)
	if err != nil {
		return err
	}
	m.ledger, m.sched = l, s
	return nil
}

// newMarket returns a market of cfg without state, committing to chain.
func newMarket(cfg Config, cat *bundle.Catalog, chain *events.Chain) *Market {
	m := &Market{cfg: cfg, catalog: cat, stage: &stage{}, wake: make(chan struct{}, 1)}
	m.commit = newCommitter(cfg.Publisher, chain, cfg.SigningKey, m.rebuildLater)
	return m
}

// announceKey stages the announcement of the market's signing key: the
// key that signs the market's chain from the group it is in.
func (m *Market) announceKey() {
	m.publish("", events.AnnounceKey(m.cfg.SigningKey.Public().(ed25519.PublicKey)))
}

// stream is where a rebuilt state resumes: the last sequence of each of
// the market's sources in its stream, void events included.
type stream struct {
	market, ledger, sched, agent, judge, bench uint64
}

// lastSequences returns the last sequence of each source in evs, void
// events included.
func lastSequences(evs []events.Event) stream {
	var last stream
	for _, e := range evs {
		p := map[events.Source]*uint64{events.SourceMarket: &last.market, events.SourceLedger: &last.ledger,
			events.SourceScheduler: &last.sched, events.SourceAgent: &last.agent, events.SourceJudge: &last.judge,
			events.SourceBenchmark: &last.bench}[e.Source]
		if p != nil {
			*p = max(*p, e.Sequence)
		}
	}
	return last
}

// newState returns the state of a market over l and s with an empty book,
// its prices at reserve, its first round due ClearEvery from now, and its
// own sequences resuming after last.
func newState(cfg Config, reserve bundle.Prices, l *ledger.Ledger, s *sched.Scheduler, last stream) marketState {
	return marketState{
		ledger:    l,
		sched:     s,
		seq:       events.NewSequencer(events.SourceMarket, cfg.Correlation, last.market),
		book:      newBook(cfg.MaxBids, cfg.MaxBidsPerAgent, cfg.Retention),
		reserve:   reserve,
		prices:    clonePrices(reserve),
		nextClear: cfg.Clock.Now().Add(cfg.ClearEvery),
		emit:      newEmitState(cfg.Correlation, last),
		opened:    make(map[string]*apd.Decimal),
		rewards:   newRewardState(cfg),
	}
}

// ledgerOptions returns the options of cfg's ledger, staging into st.
func ledgerOptions(cfg Config, st *stage) ledger.Options { return ledgerOptionsAt(cfg, st, 0) }

// ledgerOptionsAt returns ledgerOptions for a ledger replayed from a stream
// whose last ledger event, void or not, is numbered last.
func ledgerOptionsAt(cfg Config, st *stage, last uint64) ledger.Options {
	return ledger.Options{
		Scale: cfg.Scale, Clock: cfg.Clock, Publisher: st, Correlation: cfg.Correlation,
		MaxHistory: cfg.MaxHistory, Retention: cfg.Retention, Staged: true, LastSequence: last,
	}
}

// schedOptions returns the options of the scheduler of a market with
// configuration cfg and ledger l, staging into st.
func schedOptions(cfg Config, st *stage, l *ledger.Ledger) sched.Options {
	return sched.Options{
		Clock: cfg.Clock, Publisher: st, Correlation: cfg.Correlation, Executor: cfg.Executor,
		Settler: settler{ledger: l, burn: cfg.Settlement == SettleBurn},
		Spend:   cfg.Spend, UsageBatch: cfg.UsageBatch, MaxBundles: cfg.MaxBundles, Staged: true,
	}
}

// write applies cmd as one command: under the writer's lock, its events
// staged into one unit, which is committed once the lock is released. It
// returns cmd's error once the unit's events are accepted, or the commit's
// error (wrapping events.ErrFenced if an earlier commit failed) joined with
// cmd's. A fenced market rebuilds itself first; a command whose own unit
// failed returns once the market has rebuilt itself, if it could.
func (m *Market) write(ctx context.Context, cmd func() error) error {
	m.mu.Lock()
	if err := m.recover(ctx); err != nil {
		m.mu.Unlock()
		return err
	}
	err := cmd()
	snap := m.snapshotDue(ctx)
	var mark *chainMark
	if snap != nil {
		mark = &snap.mark
	}
	done := m.commit.submitMarked(m.stage.take(), mark)
	m.mu.Unlock()
	if snap != nil {
		done = m.storeWhenCommitted(snap, done)
	}
	select {
	case cerr := <-done:
		if cerr != nil {
			m.rebuildNow(ctx) // the caller then sees the market its stream holds
			return errors.Join(cerr, err)
		}
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: the command was applied and its events sent; %w", events.ErrInDoubt, context.Cause(ctx))
	}
}

// Fenced reports whether a publish failed, so that the market's state is
// ahead of its stream until it rebuilds itself (at its next command) or
// is restored.
func (m *Market) Fenced() bool {
	m.mu.Lock() // a rebuild replaces m.commit under it
	defer m.mu.Unlock()
	return m.commit.failure() != nil
}

// Catalog returns the resources the market sells.
func (m *Market) Catalog() *bundle.Catalog { return m.catalog }

// Ledger returns a read-only view of the market's ledger. The ledger
// itself is the market's: credits move only through the Market's commands.
// After the market rebuilds itself from its stream, ask for a new view.
func (m *Market) Ledger() ledger.View {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ledger.View()
}

// Scheduler returns a read-only view of the market's scheduler. The
// scheduler itself is the market's: bundles are booked, metered and
// released only through the Market's commands. After the market rebuilds
// itself from its stream, ask for a new view.
func (m *Market) Scheduler() sched.View {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sched.View()
}

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
		out = append(out, Bid{ID: o.id, Agent: b.Agent, Bundle: cloneBundle(b.Bundle), Limit: new(apd.Decimal).Set(b.Limit)})
	}
	return out
}

// Open opens an account for agent and mints credits into it (none if
// credits is zero or nil), in one command. Opening an agent again with the
// credits it was opened with has no effect, whenever it is retried; with
// other credits it fails with ledger.ErrExistsWithDifferentFields. An
// account an agent opened itself (OpenAccount) receives its opening credits
// once.
func (m *Market) Open(ctx context.Context, agent string, credits *apd.Decimal) error {
	if err := validID("agent", agent); err != nil {
		return err
	}
	if credits != nil && credits.Sign() < 0 {
		return fmt.Errorf("%w: %s for %q", ErrInvalidCredits, credits, agent)
	}
	return m.write(ctx, func() error { return m.open(ctx, agent, credits) })
}

func (m *Market) open(ctx context.Context, agent string, credits *apd.Decimal) error {
	mint := credits != nil && !credits.IsZero()
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

// Mint issues amount new credits to agent as transfer id: the operator's
// grant (a human's reward, within a budget, is Reward). Retrying with the
// same id and amount has no second effect.
func (m *Market) Mint(ctx context.Context, id, agent string, amount *apd.Decimal, reason string) error {
	if err := validID("mint", id); err != nil {
		return err
	}
	return m.write(ctx, func() error {
		if _, err := m.agentBalance(agent); err != nil {
			return err
		}
		return m.ledger.Mint(ctx, "mint/"+id, agent, amount, reason)
	})
}

// Balance returns agent's balance and publishes balance_queried.
func (m *Market) Balance(ctx context.Context, agent string) (bal ledger.Balance, err error) {
	err = m.write(ctx, func() error {
		if _, err := m.agentBalance(agent); err != nil {
			return err
		}
		bal, err = m.ledger.QueryBalance(ctx, agent)
		return err
	})
	return bal, err
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
	return m.write(ctx, func() error { return m.sched.Use(ctx, agent, resource, qty) })
}

// Reserve sets aside worstCase of a service-level resource in agent's
// bundles (and, for LLM spend, in the spend window) for a call whose cost
// is known only afterwards; see sched.Scheduler.Reserve. It returns the
// reservation's id, for Commit or CancelReservation.
func (m *Market) Reserve(ctx context.Context, agent, resource string, worstCase int64, ttl time.Duration) (id string, err error) {
	err = m.write(ctx, func() error {
		id, err = m.sched.Reserve(ctx, agent, resource, worstCase, ttl)
		return err
	})
	return id, err
}

// Commit consumes actual (at most what was reserved) of agent's reservation
// id and returns the rest. A reservation of another agent is
// sched.ErrUnknownReservation, as an unknown one is.
func (m *Market) Commit(ctx context.Context, agent, id string, actual int64) error {
	return m.write(ctx, func() error {
		if err := m.ownReservation(agent, id); err != nil {
			return err
		}
		return m.sched.Commit(ctx, id, actual)
	})
}

// CancelReservation returns all of agent's reservation id.
func (m *Market) CancelReservation(ctx context.Context, agent, id string) error {
	return m.write(ctx, func() error {
		if err := m.ownReservation(agent, id); err != nil {
			return err
		}
		return m.sched.Cancel(ctx, id)
	})
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
	return m.write(ctx, func() error { return m.sched.Report(ctx, agent, resource, level) })
}

// Release ends agent's bundle bundleID early: the agent pays for the time
// used, pro rata, and the rest of its lease hold returns to it
// (sched.Lease). It returns the bundle's unused and total seconds. Errors
// wrap ErrUnknownBundle for a bundle that is not agent's, or the
// scheduler's errors (sched.ErrWindowEnded for a bundle already over).
func (m *Market) Release(ctx context.Context, agent, bundleID string) (unused, total int64, err error) {
	err = m.write(ctx, func() error {
		if info, ok := m.sched.Bundle(bundleID); !ok || info.Agent != agent {
			return fmt.Errorf("%w: %q of %q", ErrUnknownBundle, bundleID, agent)
		}
		unused, total, err = m.sched.Release(ctx, bundleID)
		return err
	})
	return unused, total, err
}

// publish stages one market event about subject.
func (m *Market) publish(subject string, data events.Payload) {
	b := m.seq.Batch(m.cfg.Clock.Now())
	b.Add(subject, data)
	_ = b.Publish(context.Background(), m.stage) // staging cannot fail
}

// newKey returns a new signing key.
func newKey() ed25519.PrivateKey {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("scarcity: no randomness for a signing key: %v", err))
	}
	return key
}

var _ auction.Mechanism = auction.Greedy{}
