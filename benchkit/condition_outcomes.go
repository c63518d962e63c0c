package benchkit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scarcitylabs/scarcity/events"
)

// The outcome names a success condition may use, besides the kind of each
// of the scenario's rules (true when that rule passes), <label>_succeeded
// for each sequence label, and the numbers rules expose (judge_score,
// judge_min and threshold of judge_evaluation; consumed.<resource> of
// resource_consumption; any value of an external rule's evaluator).
const (
	// OutcomeAllRequiredPresent holds when required_events and
	// required_event_sequence, those the scenario has, pass.
	OutcomeAllRequiredPresent = "all_required_present"
	// OutcomeNoForbiddenPresent holds when forbidden_events passes.
	OutcomeNoForbiddenPresent = "no_forbidden_present"
	// OutcomeCorrectSequence holds when required_event_sequence and, if
	// the scenario has them, ordering_constraints pass.
	OutcomeCorrectSequence = "correct_sequence"
	// OutcomeAllServicesSucceeded holds when the agent invoked at least one
	// service (service_invoked or tool_call_completed) and none failed.
	OutcomeAllServicesSucceeded = "all_services_succeeded"
	// succeededSuffix makes <label>_succeeded.
	succeededSuffix = "_succeeded"
)

// outcomeDefs are the outcome names a scenario defines, each with the
// kinds of the rules it covers.
type outcomeDefs struct {
	bools    map[string][]string
	nums     map[string][]string
	deferred []string           // kinds whose values are known only when evaluated
	steps    map[string]stepRef // names bound to a step
	unbound  map[string]string  // names bound to nothing, and why
}

// outcomes returns the outcome names the scenario defines, its condition's
// other names bound (see Bindings).
func (s *Scenario) outcomes() outcomeDefs {
	d := s.builtinOutcomes()
	if s.Condition == nil {
		return d
	}
	for _, n := range s.Condition.bools {
		if _, ok := d.bools[n]; ok {
			continue
		}
		target, why := s.bindName(n)
		ref, isStep := parseStepRef(target)
		switch {
		case target == "":
			d.unbound[n] = why
		case isStep:
			d.steps[n] = ref
		default:
			d.bools[n] = []string{target}
		}
	}
	for _, n := range s.Condition.nums {
		if _, ok := d.nums[n]; !ok && len(d.deferred) == 0 {
			d.unbound[n] = "no rule gives this number"
		}
	}
	return d
}

// builtinOutcomes returns the outcome names the scenario's rules define.
func (s *Scenario) builtinOutcomes() outcomeDefs {
	d := outcomeDefs{bools: map[string][]string{}, nums: map[string][]string{},
		steps: map[string]stepRef{}, unbound: map[string]string{}}
	var required []string
	for _, r := range s.Rules {
		k := r.Kind()
		d.bools[k] = []string{k}
		switch q := r.(type) {
		case *RequiredSequence:
			required = append(required, k)
			d.bools[OutcomeCorrectSequence] = append(d.bools[OutcomeCorrectSequence], k)
			for _, st := range q.Steps {
				if st.Label != "" {
					d.bools[st.Label+succeededSuffix] = []string{k}
				}
			}
		case *RequiredEvents:
			required = append(required, k)
		case *ForbiddenEvents:
			d.bools[OutcomeNoForbiddenPresent] = []string{k}
		case *OrderingConstraints:
			d.bools[OutcomeCorrectSequence] = append(d.bools[OutcomeCorrectSequence], k)
		case *JudgeRule:
			for _, n := range []string{"judge_score", "judge_min", "threshold"} {
				d.nums[n] = []string{k}
			}
		case *ResourceConsumption:
			for _, c := range q.Limits {
				d.nums["consumed."+c.Field] = []string{k}
			}
		default:
			d.deferred = append(d.deferred, k)
		}
	}
	if len(required) > 0 {
		d.bools[OutcomeAllRequiredPresent] = required
	}
	if !slices.Contains(d.bools[OutcomeCorrectSequence], KindRequiredSequence) {
		delete(d.bools, OutcomeCorrectSequence) // orderings alone are no sequence
	}
	d.bools[OutcomeAllServicesSucceeded] = nil
	return d
}

// covered returns the kinds of the rules the condition's names cover.
func (d outcomeDefs) covered(c *Condition) map[string]bool {
	out := map[string]bool{}
	for _, n := range c.bools {
		for _, k := range d.bools[n] {
			out[k] = true
		}
	}
	for _, n := range c.nums {
		for _, k := range d.nums[n] {
			out[k] = true
		}
		if _, ok := d.nums[n]; !ok {
			for _, k := range d.deferred {
				out[k] = true
			}
		}
	}
	return out
}

// validateCondition checks that every explicit binding of the scenario
// names a rule or a step it has. Names bound to nothing are not an error
// here: they are unknown when evaluated (LoadOptions.Strict refuses them).
func (s *Scenario) validateCondition() error { return s.checkBind() }

// list names the defined outcomes, for error messages.
func (d outcomeDefs) list() string {
	var names []string
	for n := range d.bools {
		names = append(names, n)
	}
	for n := range d.nums {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// outcomeEnv gives the values of the outcomes of one evaluation.
type outcomeEnv struct {
	defs    outcomeDefs
	run     *Run
	results map[string]RuleResult
	values  map[string]Ratio
	// stepVerdicts are the verdicts of the names bound to a step.
	stepVerdicts map[string]Verdict
}

// boolean returns the truth of a boolean outcome.
func (e *outcomeEnv) boolean(name string) (truth, error) {
	if name == OutcomeAllServicesSucceeded {
		return truthOf(e.servicesSucceeded()), nil
	}
	if _, ok := e.defs.unbound[name]; ok {
		return unknown, nil
	}
	if _, ok := e.defs.steps[name]; ok {
		return truthOf(e.stepVerdicts[name]), nil
	}
	kinds, ok := e.defs.bools[name]
	if !ok {
		return unknown, fmt.Errorf("%w: %q", ErrUnknownOutcome, name)
	}
	t := isTrue
	for _, k := range kinds {
		t = and3(t, truthOf(e.results[k].Verdict))
	}
	if label, ok := strings.CutSuffix(name, succeededSuffix); ok && e.run.hasLabel(label) {
		return and3(t, truthOf(e.labelSucceeded(label))), nil
	}
	return t, nil
}

// number returns the value of a numeric outcome; known is false when the
// rule exposing it was not evaluated.
func (e *outcomeEnv) number(name string) (Ratio, bool, error) {
	if r, ok := e.values[name]; ok && r.Num != nil {
		return r, true, nil
	}
	if _, ok := e.defs.nums[name]; ok {
		return Ratio{}, false, nil
	}
	if _, ok := e.defs.unbound[name]; ok {
		return Ratio{}, false, nil
	}
	for _, k := range e.defs.deferred {
		if e.results[k].Verdict == NotEvaluated {
			return Ratio{}, false, nil
		}
	}
	return Ratio{}, false, fmt.Errorf("%w: number %q", ErrUnknownOutcome, name)
}

// and3 is three-valued AND.
func and3(a, b truth) truth {
	switch {
	case a == isFalse || b == isFalse:
		return isFalse
	case a == isTrue && b == isTrue:
		return isTrue
	}
	return unknown
}

// hasLabel reports whether label is a label of the scenario's sequence.
func (r *Run) hasLabel(label string) bool { return r.scenario.labels()[label] }

// orderEnders are the types that end an order without it succeeding.
var orderEnders = []events.Type{events.TypeBidRejected, events.TypeOrderCancelled, events.TypeOrderExpired}

// labelSucceeded decides <label>_succeeded: the sequence matched an event
// for the label, the event reports no failure, and no later bid_rejected,
// order_cancelled or order_expired has its order_id (when it has none: no
// later bid_rejected has its subject).
func (e *outcomeEnv) labelSucceeded(label string) Verdict {
	i, ok := e.run.labels[label]
	if !ok {
		return Fail
	}
	v := e.run.seen[i]
	if failed(v) {
		return Fail
	}
	order := v.dataString("order_id")
	for _, w := range e.run.seen[i+1:] {
		if !slices.Contains(orderEnders, w.event.Type) {
			continue
		}
		if (order != "" && w.dataString("order_id") == order) ||
			(order == "" && w.event.Type == events.TypeBidRejected && w.event.Subject == v.event.Subject) {
			return Fail
		}
	}
	return Pass
}

// successStatuses are the status values that report success.
var successStatuses = []string{"success", "succeeded", "ok", "completed", "done"}

// failed reports whether the event's data reports a failure: a status
// other than a success status, success false, or a non-empty error.
func failed(v fieldView) bool {
	m, _ := v.data.(map[string]any)
	if s, ok := m["status"].(string); ok && !slices.Contains(successStatuses, strings.ToLower(s)) {
		return true
	}
	if b, ok := m["success"].(bool); ok && !b {
		return true
	}
	switch x := m["error"].(type) {
	case nil:
		return false
	case string:
		return x != ""
	default:
		return true
	}
}

// servicesSucceeded decides all_services_succeeded over the events about
// the agent: at least one service_invoked or tool_call_completed, none of
// which reports a failure, and no service_denied.
func (e *outcomeEnv) servicesSucceeded() Verdict {
	n := 0
	for _, v := range e.run.agent {
		switch v.event.Type {
		case events.TypeServiceInvoked, events.TypeToolCallCompleted:
			n++
			if failed(v) {
				return Fail
			}
		case events.TypeServiceDenied:
			return Fail
		}
	}
	return verdictOf(n > 0)
}
