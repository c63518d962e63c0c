package benchkit

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/scarcitylabs/scarcity/events"
)

// EvalOptions scopes and equips one evaluation of a scenario. The zero
// value evaluates every event of the stream, with no judge and no
// evaluators.
type EvalOptions struct {
	// Correlation, if set, selects the run: events of other correlations
	// are ignored.
	Correlation string
	// Agent, if set, is the agent under test: forbidden_events,
	// resource_consumption and all_services_succeeded look only at events
	// about it; the other rules also see events about no agent in
	// particular, never events about other agents. See Run.
	Agent string
	// Judge scores judge rules; nil leaves them to the judge_evaluation
	// events of the stream (see JudgeRule).
	Judge Judge
	// Resources names the market's resources, for resource_consumption;
	// those the stream mentions are known without it.
	Resources []string
	// Evaluators decide the rules of other kinds that need more than the
	// stream; a kind without one is NotEvaluated.
	Evaluators Evaluators
}

// Result is the outcome of a scenario over a stream.
type Result struct {
	// Scenario is the scenario's id.
	Scenario string
	// Verdict is Pass, Fail or NotEvaluated.
	Verdict Verdict
	// Reason says why, naming the rules that decided it.
	Reason string
	// Rules are the results of the rules, in the scenario's order.
	Rules []RuleResult
	// Condition is the success condition as written, empty if none.
	Condition string
	// ConditionValue is the condition's value: Pass for true, Fail for
	// false, NotEvaluated for unknown or undefined (see Err).
	ConditionValue Verdict
	// Gaps are the scenario's taxonomy gaps over the run (Scenario.GapsIn).
	Gaps []Gap
	// Events is the number of events the rules saw.
	Events int
	// Malformed lists the events whose data could not be read; they match
	// no field filter.
	Malformed []error
	// Unbound says, for each name of the condition bound to nothing, why
	// ("name: reason"); such a name is unknown.
	Unbound []string
	// Err is set when the condition names an outcome no rule defined.
	Err error
}

// Evaluate decides the scenario over the stream evs.
//
// The required sequence is evaluated first, so that its labels are known
// to the other rules, then the other rules in order. The verdict is the
// three-valued AND of the condition (if any) and of every rule the
// condition does not refer to (directly or through an outcome such as
// all_required_present): Fail if any is false, else NotEvaluated if any is
// unknown, else Pass. A scenario whose rules are all NotEvaluated is
// NotEvaluated, and one whose run has no events fails: it never passes
// vacuously.
func (s *Scenario) Evaluate(ctx context.Context, evs []events.Event, opts EvalOptions) Result {
	run := newRun(s, evs, opts)
	res := Result{Scenario: s.ID, Gaps: s.GapsIn(run.Events()), Events: len(run.seen), Malformed: run.bad}
	if s.Condition != nil {
		res.Condition = s.Condition.String()
	}
	byKind := s.evaluateRules(ctx, run)
	values := map[string]Ratio{}
	for _, r := range s.Rules {
		rr := byKind[r.Kind()]
		res.Rules = append(res.Rules, rr)
		for k, v := range rr.Values {
			values[k] = v
		}
	}
	defs := s.outcomes()
	verdict, covered := Pass, map[string]bool{}
	if s.Condition != nil {
		env := &outcomeEnv{defs: defs, run: run, results: byKind, values: values, stepVerdicts: s.evaluateSteps(ctx, run, defs)}
		t, err := s.Condition.eval(env)
		res.ConditionValue, res.Err = verdictOfTruth(t), err
		verdict, covered = res.ConditionValue, defs.covered(s.Condition)
		for _, n := range slices.Sorted(maps.Keys(defs.unbound)) {
			res.Unbound = append(res.Unbound, fmt.Sprintf("%s: %s", n, defs.unbound[n]))
		}
	}
	for _, rr := range res.Rules {
		if !covered[rr.Kind] {
			verdict = verdictOfTruth(and3(truthOf(verdict), truthOf(rr.Verdict)))
		}
	}
	res.Verdict, res.Reason = verdict, s.explain(res, verdict)
	switch {
	case len(run.seen) == 0:
		res.Verdict = Fail
		res.Reason = fmt.Sprintf("no events of the run in the stream (correlation %q, agent %q)", opts.Correlation, opts.Agent)
	case allUnevaluated(res.Rules) && res.Verdict == Pass:
		res.Verdict, res.Reason = NotEvaluated, "no rule was evaluated"
	}
	return res
}

// evaluateRules evaluates every rule, the required sequence first.
func (s *Scenario) evaluateRules(ctx context.Context, run *Run) map[string]RuleResult {
	order := slices.Clone(s.Rules)
	slices.SortStableFunc(order, func(a, b Rule) int {
		return cmp.Compare(rank(a), rank(b))
	})
	out := make(map[string]RuleResult, len(order))
	for _, r := range order {
		rr := r.Evaluate(ctx, run)
		rr.Kind = r.Kind()
		out[r.Kind()] = rr
	}
	return out
}

// evaluateSteps decides the names of the condition bound to a step: true
// when an event of the run matches the step.
func (s *Scenario) evaluateSteps(ctx context.Context, run *Run, defs outcomeDefs) map[string]Verdict {
	out := make(map[string]Verdict, len(defs.steps))
	for name, ref := range defs.steps {
		st, _ := s.step(ref)
		out[name] = (&RequiredEvents{Events: []Step{st}}).Evaluate(ctx, run).Verdict
	}
	return out
}

// rank puts the required sequence first.
func rank(r Rule) int {
	if _, ok := r.(*RequiredSequence); ok {
		return 0
	}
	return 1
}

// allUnevaluated reports whether no rule was evaluated.
func allUnevaluated(rs []RuleResult) bool {
	for _, r := range rs {
		if r.Verdict != NotEvaluated {
			return false
		}
	}
	return true
}

// explain says why the scenario has its verdict.
func (s *Scenario) explain(res Result, v Verdict) string {
	var parts []string
	if res.Err != nil {
		parts = append(parts, fmt.Sprintf("condition %q has no value: %v", res.Condition, res.Err))
	} else if res.Condition != "" && res.ConditionValue != Pass {
		parts = append(parts, fmt.Sprintf("condition %q is %s", res.Condition, truthWord(res.ConditionValue)))
	}
	for _, u := range res.Unbound {
		parts = append(parts, "unbound name "+u)
	}
	for _, rr := range res.Rules {
		if rr.Verdict != Pass && (v != Fail || rr.Verdict == Fail) {
			parts = append(parts, fmt.Sprintf("%s %s: %s", rr.Kind, rr.Verdict, rr.Reason))
		}
	}
	if v == Pass {
		if res.Condition != "" {
			return fmt.Sprintf("condition %q holds", res.Condition)
		}
		return "every rule passes"
	}
	return strings.Join(parts, "; ")
}

// truthWord names the value of a condition.
func truthWord(v Verdict) string {
	switch v {
	case Pass:
		return "true"
	case Fail:
		return "false"
	}
	return "unknown"
}
