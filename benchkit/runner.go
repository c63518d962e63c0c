package benchkit

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// AgentUnderTest is the agent a scenario runs. Each Act is one turn: the
// agent looks at what happened (Turn.Events) and acts through Turn.Market,
// the same interface an agent uses in process and, through
// transport/agentapi, from another process.
type AgentUnderTest interface {
	Act(ctx context.Context, turn Turn) error
}

// AgentFunc adapts a function to AgentUnderTest.
type AgentFunc func(ctx context.Context, turn Turn) error

// Act calls f.
func (f AgentFunc) Act(ctx context.Context, turn Turn) error { return f(ctx, turn) }

// Turn is what an agent gets each turn.
type Turn struct {
	Number int
	Agent  string
	Now    time.Time
	Market scarcity.AgentAPI
	// Events are the run's events about the agent so far, the injected
	// ones included.
	Events []events.Event
}

// RunOptions configures RunScenario. The zero value runs 10 turns of a
// minute for agent "agent" in a market of cpu, memory and tokens.
type RunOptions struct {
	Agent     string
	Turns     int
	TurnEvery time.Duration
	Resources []bundle.Resource
	// Market, if set, is called with the market before the first turn,
	// e.g. to serve it over NATS (transport/agentapi) to an agent in
	// another process whose Act waits for its moves.
	Market func(*scarcity.Market) error
	// Judge and Evaluators decide the rules that need more than the stream.
	Judge      Judge
	Evaluators Evaluators
}

// DefaultResources are the resources of a scenario's market when
// RunOptions names none.
var DefaultResources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	{Name: "memory", Unit: "MiB", Capacity: 16384, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 1_000_000, Enforcement: bundle.ServiceLevel},
}

// RunScenario runs scenario s with agent a and decides it: it builds a
// market on a mock clock with the scenario's initial state (the agent's
// account with agent_balance credits; reserve prices from resource_prices),
// plays the turns (the agent acts, the clock moves, the market clears),
// publishes the scenario's injected events when their triggers fire, and
// evaluates the rules over the run's stream, which it also returns.
//
// Triggers: "at_start"; "after_first_bid" (the agent's first bid_placed);
// "after_first_<type>" (the first event of that type about the agent);
// "turn_<n>" (before turn n, from 1).
//
// Injected market events that end a bid are made real, so that the
// agent's world and the stream agree: a bid_rejected rejects, through
// Market.Reject, the agent's bid of its order_id or else its newest open
// bid (the hold is released; the reason and detail are the event's, by
// default insufficient_balance), and an order_cancelled cancels it; the
// market publishes the event itself. Without an open bid the run fails
// with ErrNothingToReject. A human_reward_issued is given through
// Market.Reward (its amount minted to the agent, from its human or else
// "scenario"; the scenario's market budgets exactly its injected rewards).
// Every other injected event goes on the stream
// with source "benchmark" and the agent as subject, and changes no
// service's state.
func RunScenario(ctx context.Context, s *Scenario, a AgentUnderTest, opts RunOptions) (Result, []events.Event, error) {
	opts = opts.withDefaults()
	inj, err := newInjector(s, opts.Agent)
	if err != nil {
		return Result{}, nil, err
	}
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	log := events.NewLog(events.LogOptions{})
	inj.clock, inj.log = clk, log
	m, err := scenarioMarket(ctx, s, opts, clk, inj)
	if err != nil {
		return Result{}, nil, err
	}
	if err := play(ctx, a, m, clk, inj, opts); err != nil {
		return Result{}, log.Events(0), err
	}
	evs := log.Events(0)
	res := s.Evaluate(ctx, evs, EvalOptions{Correlation: inj.correlation, Agent: opts.Agent, Judge: opts.Judge, Evaluators: opts.Evaluators})
	return res, evs, nil
}

// withDefaults fills the zero fields of o.
func (o RunOptions) withDefaults() RunOptions {
	if o.Agent == "" {
		o.Agent = "agent"
	}
	if o.Turns == 0 {
		o.Turns = 10
	}
	if o.TurnEvery == 0 {
		o.TurnEvery = time.Minute
	}
	if o.Resources == nil {
		o.Resources = DefaultResources
	}
	return o
}

// scenarioMarket opens the market of s's initial state, publishing through
// the injector.
func scenarioMarket(ctx context.Context, s *Scenario, o RunOptions, clk clock.Clock, inj *injector) (*scarcity.Market, error) {
	budget, err := rewardBudget(s)
	if err != nil {
		return nil, err
	}
	cfg := scarcity.Config{Resources: o.Resources, ClearEvery: o.TurnEvery, Clock: clk, Publisher: inj,
		Correlation: inj.correlation, Reserve: map[string]string{}, RewardBudget: budget}
	for _, r := range o.Resources {
		if p, ok := s.Initial.ResourcePrices[r.Name]; ok {
			cfg.Reserve[r.Name] = p.Text('f')
		}
	}
	m, err := scarcity.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	balance := s.Initial.AgentBalance
	if balance == nil {
		balance = new(apd.Decimal)
	}
	if err := m.Open(ctx, o.Agent, balance); err != nil {
		return nil, err
	}
	if o.Market != nil {
		return m, o.Market(m)
	}
	return m, nil
}

// play runs the turns. The injected events due are published through the
// market, in its chain, before each turn and after each of the agent's.
func play(ctx context.Context, a AgentUnderTest, m *scarcity.Market, clk *clock.Mock, inj *injector, o RunOptions) error {
	for n := 1; n <= o.Turns; n++ {
		inj.turnDue(n)
		if err := inj.fire(ctx, m); err != nil {
			return err
		}
		turn := Turn{Number: n, Agent: o.Agent, Now: clk.Now(), Market: m, Events: inj.about()}
		if err := a.Act(ctx, turn); err != nil {
			return fmt.Errorf("benchkit: turn %d: %w", n, err)
		}
		if err := inj.fire(ctx, m); err != nil {
			return err
		}
		clk.Add(o.TurnEvery)
		if err := m.Tick(ctx); err != nil {
			return fmt.Errorf("benchkit: turn %d: %w", n, err)
		}
	}
	return nil
}

// injector is the publisher of a scenario's market: it passes events to
// the log and notes the injected events whose triggers they meet, for play
// to publish through the market.
type injector struct {
	mu          sync.Mutex
	agent       string
	correlation string
	clock       clock.Clock
	log         *events.Log
	pending     []InjectedEvent // not yet due
	due         []InjectedEvent // due, not yet published
	rewards     int             // injected rewards given
}

// newInjector checks the triggers of s's injected events.
func newInjector(s *Scenario, agent string) (*injector, error) {
	corr := "scenario-" + s.ID
	for _, ie := range s.Injected {
		if !knownTrigger(ie.Trigger) {
			return nil, fmt.Errorf("%w: %q", ErrTrigger, ie.Trigger)
		}
	}
	return &injector{agent: agent, correlation: corr, pending: append([]InjectedEvent(nil), s.Injected...)}, nil
}

// knownTrigger reports whether RunScenario can fire trigger.
func knownTrigger(trigger string) bool {
	if trigger == "at_start" || trigger == "after_first_bid" {
		return true
	}
	if n, ok := strings.CutPrefix(trigger, "turn_"); ok {
		_, err := strconv.Atoi(n)
		return err == nil
	}
	_, ok := strings.CutPrefix(trigger, "after_first_")
	return ok
}

// Publish passes evs to the log, then notes the triggers they meet.
func (in *injector) Publish(ctx context.Context, evs ...events.Event) error {
	if err := in.log.Publish(ctx, evs...); err != nil {
		return err
	}
	for _, e := range evs {
		if e.Subject != in.agent || e.Source == events.SourceBenchmark {
			continue
		}
		in.trigger(func(trigger string) bool {
			return trigger == "after_first_"+string(e.Type) || (trigger == "after_first_bid" && e.Type == events.TypeBidPlaced)
		})
	}
	return nil
}

// ReadAll returns the log's events: the market rebuilds itself from them
// if a publish fails.
func (in *injector) ReadAll(ctx context.Context) ([]events.Event, error) { return in.log.ReadAll(ctx) }

// ReadFrom returns the log's events from stream sequence from: the tail a
// market restored from a snapshot reads.
func (in *injector) ReadFrom(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	return in.log.ReadFrom(ctx, from)
}

// LastSequence returns the stream sequence of the log's last event.
func (in *injector) LastSequence(ctx context.Context) (uint64, error) {
	return in.log.LastSequence(ctx)
}

var _ events.TailReader = (*injector)(nil)

// turnDue notes the triggers due before turn n.
func (in *injector) turnDue(n int) {
	in.trigger(func(trigger string) bool {
		return trigger == "turn_"+strconv.Itoa(n) || (n == 1 && trigger == "at_start")
	})
}

// trigger moves the pending injected events whose trigger is due to due.
func (in *injector) trigger(isDue func(string) bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	var rest []InjectedEvent
	for _, ie := range in.pending {
		if isDue(ie.Trigger) {
			in.due = append(in.due, ie)
		} else {
			rest = append(rest, ie)
		}
	}
	in.pending = rest
}

// fire publishes the injected events due through m, once each.
func (in *injector) fire(ctx context.Context, m *scarcity.Market) error {
	in.mu.Lock()
	due := in.due
	in.due = nil
	in.mu.Unlock()
	for _, ie := range due {
		data, err := injectedData(ie)
		if err != nil {
			return err
		}
		switch ie.Type {
		case events.TypeBidRejected, events.TypeOrderCancelled:
			err = in.makeReal(ctx, m, ie.Type, data)
		case events.TypeHumanRewardIssued:
			err = in.reward(ctx, m, data)
		default:
			err = m.Inject(ctx, in.agent, events.Raw{Type: ie.Type, JSON: data})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scenarioHuman is the human who gives a scenario's injected rewards when
// the event names none.
const scenarioHuman = "scenario"

// reward gives the agent an injected human_reward_issued for real: the
// market mints its amount and publishes the reward.
func (in *injector) reward(ctx context.Context, m *scarcity.Market, data json.RawMessage) error {
	r, err := readReward(data)
	if err != nil {
		return err
	}
	in.rewards++
	return m.Reward(ctx, fmt.Sprintf("injected-%d", in.rewards), cmp.Or(r.Human, scenarioHuman), in.agent, r.amount,
		cmp.Or(r.Reason, "injected by the scenario"))
}

// injectedReward is what an injected human_reward_issued says.
type injectedReward struct {
	Human  string         `json:"human"`
	Amount events.Decimal `json:"amount"`
	Reason string         `json:"reason"`
	amount *apd.Decimal
}

// readReward reads an injected human_reward_issued.
func readReward(data json.RawMessage) (injectedReward, error) {
	var r injectedReward
	err := json.Unmarshal(data, &r)
	if err == nil {
		r.amount, err = r.Amount.Apd()
	}
	if err != nil {
		return r, fmt.Errorf("benchkit: injected %s: %w", events.TypeHumanRewardIssued, err)
	}
	return r, nil
}

// rewardBudget returns what the injected rewards of s give in all, the
// budget of the scenario's market for them.
func rewardBudget(s *Scenario) (string, error) {
	total := new(apd.Decimal)
	for _, ie := range s.Injected {
		if ie.Type != events.TypeHumanRewardIssued {
			continue
		}
		r, err := readReward(ie.Event)
		if err != nil {
			return "", err
		}
		if _, err := exactRatioContext().Add(total, total, r.amount); err != nil {
			return "", err
		}
	}
	return total.Text('f'), nil
}

// makeReal ends an open bid of the agent as an injected bid_rejected or
// order_cancelled says: the bid of its order_id, else the agent's newest
// open bid. The market releases the bid's hold and publishes the event
// itself.
func (in *injector) makeReal(ctx context.Context, m *scarcity.Market, typ events.Type, data json.RawMessage) error {
	var fields struct {
		OrderID string `json:"order_id"`
		Reason  string `json:"reason"`
		Detail  string `json:"detail"`
	}
	if err := json.Unmarshal(data, &fields); err != nil {
		return fmt.Errorf("benchkit: injected %s: %w", typ, err)
	}
	order := fields.OrderID
	for _, b := range m.Orders() {
		if b.Agent == in.agent && fields.OrderID == "" {
			order = b.ID // the newest comes last
		}
	}
	if order == "" {
		return fmt.Errorf("%w: injected %s for %q", ErrNothingToReject, typ, in.agent)
	}
	if typ == events.TypeOrderCancelled {
		return m.Cancel(ctx, in.agent, order)
	}
	reason := events.RejectReason(fields.Reason)
	if reason == "" {
		reason = events.ReasonInsufficientBalance
	}
	detail := fields.Detail
	if detail == "" {
		detail = "injected by the scenario"
	}
	return m.Reject(ctx, in.agent, order, reason, detail)
}

// injectedData returns the data of an injected event: its fields but the
// type.
func injectedData(ie InjectedEvent) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(ie.Event, &fields); err != nil {
		return nil, fmt.Errorf("benchkit: injected %s: %w", ie.Type, err)
	}
	delete(fields, "type")
	return json.Marshal(fields)
}

// about returns the run's events about the agent so far.
func (in *injector) about() []events.Event {
	var out []events.Event
	for _, e := range in.log.Events(0) {
		if e.Subject == in.agent {
			out = append(out, e)
		}
	}
	return out
}
