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
	tel       *telemetry
	wake      chan struct{} // signalled when Next may have moved earlier
}

// marketState is what a market rebuilds from its stream.
type marketState struct {
	ledger    *ledger.Ledger
	sched     *sched.Scheduler
	seq       *events.Sequencer // the market's own events
	orders    *standingOrders
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
	m := &Market{cfg: cfg, catalog: cat, stage: &stage{}, tel: newTelemetry(cfg), wake: make(chan struct{}, 1)}
	m.commit = newCommitter(cfg.Publisher, chain, cfg.SigningKey, m.tel, m.rebuildLater)
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
		orders:    newStandingOrders(cfg.MaxBids, cfg.MaxBidsPerAgent, cfg.Retention),
		reserve:   reserve,
		prices:    clonePrices(reserve),
		nextClear: cfg.Clock.Now().Add(cfg.ClearEvery),
		emit:      newEmitState(cfg.Correlation, last),
		opened:    make(map[string]*apd.Decimal),
		rewards:   newRewardState(cfg),
	}
}

// ledgerOptionsAt returns the options of cfg's ledger, staging into st,
// for a ledger whose last ledger event, void or not, is numbered last (0 for
// a new one).
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
	m.tel.state(m)
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
	for _, b := range m.orders.bids() {
		o, _ := m.orders.get(b.ID)
		out = append(out, Bid{ID: o.id, Agent: b.Agent, Bundle: cloneBundle(b.Bundle), Limit: new(apd.Decimal).Set(b.Limit)})
	}
	return out
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

// settler pays for leased bundles in the market's ledger: a payment is
// captured to the operator and, under SettleBurn, burned from there in the
// same breath.
type settler struct {
	ledger *ledger.Ledger
	burn   bool
}

// Capture captures amount of the lease hold to the operator, then burns it
// if the market burns its revenue. Both steps are idempotent by their ids,
// so a retry after a failure between them completes the burn.
func (s settler) Capture(ctx context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string) error {
	err := s.ledger.Capture(ctx, holdID, transferID, to, amount, reason)
	if err != nil || !s.burn {
		return err
	}
	return s.ledger.Burn(ctx, "burn/"+transferID, to, amount, reason)
}

// Release returns the whole lease hold to the agent.
func (s settler) Release(ctx context.Context, holdID, reason string) error {
	return s.ledger.Release(ctx, holdID, reason)
}
