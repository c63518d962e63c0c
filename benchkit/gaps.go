package benchkit

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
)

// emitters maps each type of the taxonomy to the source that emits it.
var emitters = map[events.Type]events.Source{}

func init() {
	for src, types := range map[events.Source][]events.Type{
		events.SourceMarket: {events.TypeBidPlaced, events.TypeAskPlaced, events.TypeBidRejected,
			events.TypeOrderCancelled, events.TypeOrderExpired, events.TypeMarketCleared,
			events.TypeResourcesAllocated, events.TypePriceUpdate,
			events.TypeHumanRewardIssued}, // scarcity.Market.Reward
		events.SourceLedger: {events.TypeAccountOpened, events.TypeAccountClosed,
			events.TypeCreditsTransferred, events.TypeCreditsMinted, events.TypeCreditsBurned,
			events.TypeHoldPlaced, events.TypeHoldCaptured, events.TypeHoldReleased,
			events.TypeBalanceQueried},
		events.SourceScheduler: {events.TypeBundleScheduled, events.TypeBundleActivated,
			events.TypeBundleExpired, events.TypeBundleReleased, events.TypeUsageRecorded,
			events.TypeServiceDenied, events.TypeAgentTerminated, events.TypeSpendLimitReached,
			events.TypeAgentAwake, events.TypeAgentDormant, events.TypeUsageReserved,
			events.TypeReservationReleased},
		events.SourceAgent: {events.TypeReasoningTrace, events.TypeToolCallInitiated,
			events.TypeToolCallCompleted, events.TypeServiceInvoked, events.TypeReflection},
		events.SourceJudge: {events.TypeJudgeEvaluation},
	} {
		for _, t := range types {
			emitters[t] = src
		}
	}
}

// EmitterOf returns the source that emits events of type t, and false if t
// is not in the taxonomy. Market, ledger and scheduler types are emitted by
// the system; agent types by agents through the market API; judge types by
// judges.
func EmitterOf(t events.Type) (events.Source, bool) {
	s, ok := emitters[t]
	return s, ok
}

// Gap is an event type a scenario refers to that the system's own sources
// (market, ledger, scheduler) do not emit: the run passes only if an agent
// or a judge publishes it, or never if no one does.
//
// A gap is one of three kinds:
//   - a type of the taxonomy that agents or judges emit (Emitter set,
//     AgentDefined false);
//   - an agent type: a type outside the taxonomy that an agent published
//     on the stream, an agent-defined type (events.AgentEvent; Emitter
//     agent, AgentDefined true);
//   - a type no source emits: outside the taxonomy and never published by
//     an agent on the stream (Emitter empty).
type Gap struct {
	// Type is the event type.
	Type events.Type
	// Path is where the scenario refers to it, such as
	// "validation.required_event_sequence[0]".
	Path string
	// Emitter is the source expected to emit it (agent or judge), empty
	// for a type not in the taxonomy that no agent published on the
	// stream.
	Emitter events.Source
	// AgentDefined marks a type outside the taxonomy that agents published
	// on the stream: a type they define themselves.
	AgentDefined bool
}

// String describes the gap.
func (g Gap) String() string {
	switch {
	case g.AgentDefined:
		return fmt.Sprintf("%s (%s): an agent type, not in the taxonomy; published by an agent on the stream", g.Type, g.Path)
	case g.Emitter == "":
		return fmt.Sprintf("%s (%s): not in the taxonomy; no source emits it", g.Type, g.Path)
	}
	return fmt.Sprintf("%s (%s): emitted by the %s, not by the system", g.Type, g.Path, g.Emitter)
}

// Gaps returns the taxonomy gaps of the scenario: the event types its rules
// and injected events refer to that no system source emits, in the order
// the scenario refers to them. Without a stream, a type outside the
// taxonomy is one no source emits; see GapsIn.
func (s *Scenario) Gaps() []Gap { return s.gaps(nil) }

// GapsIn returns the taxonomy gaps of the scenario over the stream evs, as
// Gaps does, except that a type outside the taxonomy of which evs hold an
// event of source agent is an agent type (Gap.AgentDefined). Evaluate
// reports these, over the events of the run.
func (s *Scenario) GapsIn(evs []events.Event) []Gap {
	agentTypes := map[events.Type]bool{}
	for _, e := range evs {
		if e.Source == events.SourceAgent && !events.InTaxonomy(e.Type) {
			agentTypes[e.Type] = true
		}
	}
	return s.gaps(agentTypes)
}

// gaps returns the gaps of the scenario; agentTypes are the types outside
// the taxonomy that agents published.
func (s *Scenario) gaps(agentTypes map[events.Type]bool) []Gap {
	var gaps []Gap
	add := func(t events.Type, path string) {
		src, ok := EmitterOf(t)
		if ok && src != events.SourceAgent && src != events.SourceJudge {
			return
		}
		g := Gap{Type: t, Path: path, Emitter: src}
		if agentTypes[t] {
			g.Emitter, g.AgentDefined = events.SourceAgent, true
		}
		gaps = append(gaps, g)
	}
	for i, in := range s.Injected {
		add(in.Type, fmt.Sprintf("injected_events[%d]", i))
	}
	for _, r := range s.Rules {
		for path, t := range ruleTypes(r) {
			add(t, path)
		}
	}
	return gaps
}

// ruleTypes yields the event types a rule refers to, with their paths.
func ruleTypes(r Rule) func(func(string, events.Type) bool) {
	return func(yield func(string, events.Type) bool) {
		var steps []Step
		switch q := r.(type) {
		case *RequiredSequence:
			steps = q.Steps
		case *RequiredEvents:
			steps = q.Events
		case *ForbiddenEvents:
			steps = q.Events
		case *JudgeRule:
			yield("validation."+q.Kind(), events.TypeJudgeEvaluation)
			return
		}
		for i, st := range steps {
			if !yield(fmt.Sprintf("validation.%s[%d]", r.Kind(), i), st.Type) {
				return
			}
		}
	}
}
