package scarcity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"sync"
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

// Errors of Emit and EmitJudgement. Test for them with errors.Is.
var (
	// ErrNotAgentEvent reports a payload of a type agents may not publish:
	// a market, ledger or scheduler type, a judge's or a human reward, or
	// an untyped events.Raw.
	ErrNotAgentEvent = errors.New("scarcity: not an agent event")
	// ErrInvalidAgentEvent reports an agent or judge payload that breaks
	// a bound of the events package; it wraps events.ErrInvalidPayload.
	ErrInvalidAgentEvent = errors.New("scarcity: invalid agent event")
	// ErrImpersonation reports a payload that names an agent or judge
	// other than the caller; the error is an *ImpersonationError.
	ErrImpersonation = errors.New("scarcity: payload names another caller")
)

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
// the agent types of the events package are accepted (reasoning_trace,
// tool_call_initiated, tool_call_completed, service_invoked, reflection;
// ErrNotAgentEvent otherwise), within their bounds (ErrInvalidAgentEvent).
//
// The agent events of a market share one gap-free sequence (source agent,
// the market's correlation), numbered in the order Emit calls publish:
// Emit returns once the publisher has accepted the event, and a failed
// publish consumes no number. Agent events are ordered against the
// market's own events only by the stream: an event emitted before a call
// such as Bid precedes that call's events.
func (m *Market) Emit(ctx context.Context, agent string, p events.Payload) error {
	ap, err := agentPayload(agent, p)
	if err != nil {
		return err
	}
	if err := m.CheckAgent(agent); err != nil {
		return err
	}
	size, err := payloadSize(ap)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAgentEvent, err)
	}
	return m.emit.publishWithin(ctx, m, agent, size, ap)
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
	return m.emit.publish(ctx, m, events.SourceJudge, subject, p)
}

// resumeEmit continues the agent and judge sequences after the last agent
// and judge events of the market's correlation in evs, the stream it is
// restored from, and after their void batches, so that they stay gap-free
// across a restart.
func (m *Market) resumeEmit(evs []events.Event, voids events.Voids) {
	var agent, judge uint64
	for _, e := range evs {
		switch {
		case e.Correlation != m.cfg.Correlation:
		case e.Source == events.SourceAgent:
			agent = max(agent, e.Sequence)
		case e.Source == events.SourceJudge:
			judge = max(judge, e.Sequence)
		}
	}
	agent = voids.Skip(events.SourceAgent, m.cfg.Correlation, agent)
	judge = voids.Skip(events.SourceJudge, m.cfg.Correlation, judge)
	m.emit = newEmitState(m.cfg.Correlation, agent, judge)
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

// emitState holds the sequencers of the events a market publishes on
// behalf of agents and judges, and each agent's emit budget. mu serialises
// their publishes, so that the sequence order is the publish order.
type emitState struct {
	mu      sync.Mutex
	agent   *events.Sequencer
	judge   *events.Sequencer
	budgets map[string]*emitBudget
}

// emitBudget is a token bucket of bytes: it holds at most Config.EmitBytes
// and refills at EmitBytes per EmitPeriod.
type emitBudget struct {
	bytes int64
	at    time.Time // when bytes was last brought up to date
}

// publishWithin publishes p as agent's event if agent's budget holds size
// bytes, and takes them from it once published; otherwise it fails with
// ErrEmitQuota and publishes nothing.
func (s *emitState) publishWithin(ctx context.Context, m *Market, agent string, size int64, p events.Payload) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.budget(m.cfg, agent, m.cfg.Clock.Now())
	if size > b.bytes {
		return fmt.Errorf("%w: %q may emit %d bytes per %v; %d left, %d asked", ErrEmitQuota, agent, m.cfg.EmitBytes, m.cfg.EmitPeriod, b.bytes, size)
	}
	if err := s.publishLocked(ctx, m, events.SourceAgent, agent, p); err != nil {
		return err
	}
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

// publish stamps one event of source (agent or judge) about subject and
// publishes it.
func (s *emitState) publish(ctx context.Context, m *Market, source events.Source, subject string, p events.Payload) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publishLocked(ctx, m, source, subject, p)
}

// publishLocked is publish, with s.mu held.
func (s *emitState) publishLocked(ctx context.Context, m *Market, source events.Source, subject string, p events.Payload) error {
	seq := s.agent
	if source == events.SourceJudge {
		seq = s.judge
	}
	b := seq.Batch(m.cfg.Clock.Now())
	b.Add(subject, p)
	return b.Publish(ctx, m.cfg.Publisher)
}

// newEmitState returns the emit state of a market of correlation whose
// last agent and judge events were numbered agent and judge.
func newEmitState(correlation string, agent, judge uint64) *emitState {
	return &emitState{
		agent:   events.NewSequencer(events.SourceAgent, correlation, agent),
		judge:   events.NewSequencer(events.SourceJudge, correlation, judge),
		budgets: make(map[string]*emitBudget),
	}
}
