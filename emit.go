package scarcity

import (
	"context"
	"encoding/json"
	"fmt"
	"math/bits"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// Emitter publishes the events an agent reports about itself: its
// reasoning, tool calls, service invocations and reflections. The
// in-process *Market satisfies it, and so does the remote client of the
// agent command API.
type Emitter interface {
	// Emit publishes p as agent's event; see Market.Emit.
	Emit(ctx context.Context, agent string, p events.Payload) error
}

var _ Emitter = (*Market)(nil)

// ImpersonationError is the error of an Emit or EmitJudgement whose payload
// names someone other than the caller. Nothing was published.
type ImpersonationError struct {
	// Caller is who called; Named is who the payload names.
	Caller, Named string
	// Type is the payload's type.
	Type events.Type
}

func (e *ImpersonationError) Error() string {
	return fmt.Sprintf("scarcity: %s from %q names %q", e.Type, e.Caller, e.Named)
}

// Is reports whether target is ErrImpersonation.
func (e *ImpersonationError) Is(target error) bool { return target == ErrImpersonation }

// Emit publishes p as an event of agent: source agent, subject agent. The
// identity is the caller's, never the payload's: p's agent_id is set to
// agent, and a payload that names another agent fails with an
// *ImpersonationError. agent must have an account (ErrUnknownAgent). Only
// agent payloads are accepted (ErrNotAgentEvent otherwise): the agent types
// of the events package (reasoning_trace, tool_call_initiated,
// tool_call_completed, service_invoked, reflection), and events.AgentEvent,
// an event of a type the agent defines, such as code_change_applied, whose
// name follows events.CheckAgentDefinedType, or of a built-in agent type
// with fields of the agent's own besides the declared ones (a
// tool_call_completed with test_results); each within its bounds
// (ErrInvalidAgentEvent), such as events.MaxAgentPayloadSize. An
// AgentEvent's data is published as events.Decode gives it back (see
// events.AgentEvent.WithAgent): a deep copy, numbers as json.Number.
//
// Emit is a command of the market like any other: the agent events of a
// market share one gap-free sequence (source agent, the market's
// correlation), in the order the market applies its commands, and Emit
// returns once the event is accepted by the publisher.
func (m *Market) Emit(ctx context.Context, agent string, p events.Payload) error {
	ap, err := agentPayload(agent, p)
	if err != nil {
		return err
	}
	size, err := payloadSize(ap)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAgentEvent, err)
	}
	return m.write(ctx, func() error {
		if _, err := m.agentBalance(agent); err != nil {
			return err
		}
		return m.emit.within(m, agent, size, ap)
	})
}

// Inject publishes p as an event of source benchmark about subject, as one
// command, in the market's chain: a benchmark runner's injected event of a
// scenario (see benchkit.RunScenario). It changes no state of the market.
func (m *Market) Inject(ctx context.Context, subject string, p events.Payload) error {
	if p == nil {
		return fmt.Errorf("%w: no payload", ErrNotAgentEvent)
	}
	return m.write(ctx, func() error {
		m.emit.stage(m, events.SourceBenchmark, subject, p)
		return nil
	})
}

// payloadSize returns the size of p encoded, what it costs an agent's emit
// budget.
func payloadSize(p events.Payload) (int64, error) {
	b, err := json.Marshal(p)
	return int64(len(b)), err
}

// EmitJudgement publishes p as judge's evaluation: source judge, subject
// the agent evaluated (p.AgentID) or, if none, the judge. p.Judge is set to
// judge; one naming another judge fails with an *ImpersonationError. Judge
// events share one gap-free sequence (source judge), as agent events do.
func (m *Market) EmitJudgement(ctx context.Context, judge string, p events.JudgeEvaluation) error {
	if err := validID("judge", judge); err != nil {
		return err
	}
	if p.Judge != "" && p.Judge != judge {
		return &ImpersonationError{Caller: judge, Named: p.Judge, Type: p.EventType()}
	}
	p.Judge = judge
	subject := judge
	if p.AgentID != "" {
		if err := validID("agent", p.AgentID); err != nil {
			return err
		}
		subject = p.AgentID
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAgentEvent, err)
	}
	return m.write(ctx, func() error {
		m.emit.stage(m, events.SourceJudge, subject, p)
		return nil
	})
}

// agentPayload checks that p may be published by agent and returns it
// naming agent.
func agentPayload(agent string, p events.Payload) (events.AgentPayload, error) {
	if err := validID("agent", agent); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("%w: no payload", ErrNotAgentEvent)
	}
	switch p.(type) {
	case events.AgentEvent, *events.AgentEvent:
		// A type agents define, or a built-in agent type extended.
		if err := events.CheckAgentEventType(p.EventType()); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotAgentEvent, err)
		}
	}
	ap, ok := p.(events.AgentPayload)
	if !ok || !events.IsAgentType(p.EventType()) {
		return nil, fmt.Errorf("%w: %s (%T)", ErrNotAgentEvent, p.EventType(), p)
	}
	if named := ap.Agent(); named != "" && named != agent {
		return nil, &ImpersonationError{Caller: agent, Named: named, Type: p.EventType()}
	}
	ap = ap.WithAgent(agent)
	if err := ap.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidAgentEvent, err)
	}
	return ap, nil
}

// emitState holds the sequencers of the events a market stages on behalf
// of agents and judges, and each agent's emit budget. Only the writer uses
// it.
type emitState struct {
	agent   *events.Sequencer
	judge   *events.Sequencer
	bench   *events.Sequencer // events a benchmark runner injects
	budgets map[string]*emitBudget
}

// emitBudget is a token bucket of bytes: it holds at most Config.EmitBytes
// and refills at EmitBytes per EmitPeriod.
type emitBudget struct {
	bytes int64
	at    time.Time // when bytes was last brought up to date
}

// within stages p as agent's event if agent's budget holds size bytes, and
// takes them from it; otherwise it fails with ErrEmitQuota and stages
// nothing.
func (s *emitState) within(m *Market, agent string, size int64, p events.Payload) error {
	b := s.budget(m.cfg, agent, m.cfg.Clock.Now())
	if size > b.bytes {
		return fmt.Errorf("%w: %q may emit %d bytes per %v; %d left, %d asked", ErrEmitQuota, agent, m.cfg.EmitBytes, m.cfg.EmitPeriod, b.bytes, size)
	}
	s.stage(m, events.SourceAgent, agent, p)
	b.bytes -= size
	return nil
}

// budget returns agent's budget refilled up to now: EmitBytes × elapsed /
// EmitPeriod more, in whole bytes, at most EmitBytes.
func (s *emitState) budget(cfg Config, agent string, now time.Time) *emitBudget {
	b, ok := s.budgets[agent]
	if !ok {
		b = &emitBudget{bytes: cfg.EmitBytes, at: now}
		s.budgets[agent] = b
	}
	elapsed := now.Sub(b.at)
	switch {
	case elapsed <= 0:
	case elapsed >= cfg.EmitPeriod:
		b.bytes, b.at = cfg.EmitBytes, now
	default:
		hi, lo := bits.Mul64(uint64(cfg.EmitBytes), uint64(elapsed))
		add, _ := bits.Div64(hi, lo, uint64(cfg.EmitPeriod))
		if add > 0 {
			b.bytes = min(cfg.EmitBytes, b.bytes+int64(add))
			b.at = now
		}
	}
	return b
}

// stage stages one event of source (agent, judge or benchmark) about
// subject.
func (s *emitState) stage(m *Market, source events.Source, subject string, p events.Payload) {
	seq := map[events.Source]*events.Sequencer{events.SourceAgent: s.agent, events.SourceJudge: s.judge,
		events.SourceBenchmark: s.bench}[source]
	b := seq.Batch(m.cfg.Clock.Now())
	b.Add(subject, p)
	_ = b.Publish(context.Background(), m.stage) // staging cannot fail
}

// newEmitState returns the emit state of a market of correlation whose
// last agent, judge and benchmark events were numbered as last says.
func newEmitState(correlation string, last stream) *emitState {
	return &emitState{
		agent:   events.NewSequencer(events.SourceAgent, correlation, last.agent),
		judge:   events.NewSequencer(events.SourceJudge, correlation, last.judge),
		bench:   events.NewSequencer(events.SourceBenchmark, correlation, last.bench),
		budgets: make(map[string]*emitBudget),
	}
}
