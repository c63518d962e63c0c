package benchkit

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// Scenario is a benchmark task: the state an agent starts in, the events
// injected into its run, and the rules its run's events must satisfy. Load
// one from JSON with LoadScenario or build one in Go and check it with
// Validate.
type Scenario struct {
	// ID is the task_id or scenario_id.
	ID string
	// Domain, Name and Description describe the task.
	Domain, Name, Description string
	// Initial is the initial state.
	Initial InitialState
	// Injected are the events the runner injects into the run.
	Injected []InjectedEvent
	// Rules are the rules of the validation block, at most one per kind.
	Rules []Rule
	// Condition is the success condition; nil means every rule must pass.
	Condition *Condition
	// Bind binds names of the condition to what they mean, before the
	// binding rule (see Bindings): name → a rule kind, or a step such as
	// "required_events[1]".
	Bind map[string]string
	// Required are the resources a task of the older layout needs.
	Required RequiredResources
	// Extra keeps the top-level fields this package does not interpret,
	// such as state_description, as written.
	Extra map[string]json.RawMessage
}

// InitialState is the state an agent starts a scenario in.
type InitialState struct {
	// AgentBalance is the agent's credit balance; nil if not given.
	AgentBalance *apd.Decimal
	// ResourcePrices are the prices per resource.
	ResourcePrices map[string]*apd.Decimal
	// Other keeps every other field, as written.
	Other map[string]json.RawMessage
}

// decimal returns the initial-state value at path: "agent_balance" or
// "resource_prices.<resource>".
func (s InitialState) decimal(path string) (*apd.Decimal, error) {
	if path == "agent_balance" && s.AgentBalance != nil {
		return s.AgentBalance, nil
	}
	if r, ok := strings.CutPrefix(path, "resource_prices."); ok && s.ResourcePrices[r] != nil {
		return s.ResourcePrices[r], nil
	}
	return nil, fmt.Errorf("initial_state has no %s", path)
}

// InjectedEvent is an event the runner injects when its trigger fires.
type InjectedEvent struct {
	// Trigger names when, such as "after_first_bid".
	Trigger string
	// Type is the event's type.
	Type events.Type
	// Event is the event as written, type included.
	Event json.RawMessage
}

// sequenceSteps returns the steps of the scenario's required sequence.
func (s *Scenario) sequenceSteps() []Step {
	for _, r := range s.Rules {
		if q, ok := r.(*RequiredSequence); ok {
			return q.Steps
		}
	}
	return nil
}

// rule returns the scenario's rule of kind, or nil.
func (s *Scenario) rule(kind string) Rule {
	for _, r := range s.Rules {
		if r.Kind() == kind {
			return r
		}
	}
	return nil
}

// Validate reports whether the scenario can be evaluated: an id, at least
// one rule, at most one rule per kind, well-formed steps whose labels are
// unique and whose references name earlier labels, orderings whose names
// resolve, a judge with criteria and a threshold, and a condition whose
// names the scenario defines. Errors are *ScenarioError naming the path.
func (s *Scenario) Validate() error {
	if s.ID == "" {
		return errAt("task_id", "missing task_id or scenario_id")
	}
	if len(s.Rules) == 0 {
		return errAt("validation", "no rules")
	}
	seen := map[string]bool{}
	for _, r := range s.Rules {
		if r == nil || r.Kind() == "" {
			return errAt("validation", "a rule is nil or has no kind")
		}
		if seen[r.Kind()] {
			return errAt("validation."+r.Kind(), "more than one %s rule", r.Kind())
		}
		seen[r.Kind()] = true
		if err := s.validateRule(r); err != nil {
			return err
		}
	}
	if s.Condition != nil {
		return s.validateCondition()
	}
	return nil
}

// validateRule checks one rule.
func (s *Scenario) validateRule(r Rule) error {
	path := "validation." + r.Kind()
	switch q := r.(type) {
	case *RequiredSequence:
		return validateSteps(path, q.Steps, true)
	case *RequiredEvents:
		return validateSteps(path, q.Events, false)
	case *ForbiddenEvents:
		return validateSteps(path, q.Events, false)
	case *OrderingConstraints:
		for i, o := range q.Orderings {
			for _, name := range []string{o.First, o.Then} {
				if _, err := resolveOrderName(name, s.sequenceSteps()); err != nil {
					return &ScenarioError{Path: fmt.Sprintf("%s[%d]", path, i), Err: err}
				}
			}
		}
	case *ResourceConsumption:
		for _, c := range q.Limits {
			if err := validateConstraint(c, s.labels()); err != nil {
				return &ScenarioError{Path: path + "." + c.Field, Err: err}
			}
		}
	case *LogMatch:
		if len(q.Patterns) == 0 {
			return errAt(path, "no patterns")
		}
		_, err := q.validate(path)
		return err
	case *JudgeRule:
		if len(q.Criteria) == 0 {
			return errAt(path+".criteria", "no criteria")
		}
		if q.Threshold == nil || q.Threshold.Form != apd.Finite {
			return errAt(path+".pass_threshold", "missing pass threshold")
		}
	}
	return nil
}

// labels returns the labels of the sequence steps.
func (s *Scenario) labels() map[string]bool {
	out := map[string]bool{}
	for _, st := range s.sequenceSteps() {
		if st.Label != "" {
			out[st.Label] = true
		}
	}
	return out
}

// validateSteps checks steps at path; only sequence steps may be labelled.
func validateSteps(path string, steps []Step, sequence bool) error {
	if len(steps) == 0 {
		return errAt(path, "no events")
	}
	labels := map[string]bool{}
	for i, st := range steps {
		p := fmt.Sprintf("%s[%d]", path, i)
		if err := st.validate(p, labels); err != nil {
			return err
		}
		if st.Label == "" {
			continue
		}
		switch {
		case !sequence:
			return errAt(p+".label", "only required_event_sequence steps have labels")
		case !isIdent(st.Label) || st.Label == "initial_state":
			return errAt(p+".label", "label %q is not a name", st.Label)
		case labels[st.Label]:
			return errAt(p+".label", "label %q used twice", st.Label)
		}
		labels[st.Label] = true
	}
	return nil
}

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

// emitterOf returns the source that emits events of type t, and false if t
// is not in the taxonomy. Market, ledger and scheduler types are emitted by
// the system; agent types by agents through the market API; judge types by
// judges.
func emitterOf(t events.Type) (events.Source, bool) {
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
		src, ok := emitterOf(t)
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
