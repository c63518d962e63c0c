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
