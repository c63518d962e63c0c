package benchkit

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

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

// synonyms are the words of each rule kind besides those of its name.
var synonyms = map[string][]string{
	KindResourceConsumption: {"budget", "within", "under", "limit", "usage", "cost", "spend", "resource"},
	KindJudge:               {"quality", "judge", "score", "acceptable", "rating", "grade"},
	KindForbiddenEvents:     {"forbidden", "avoid", "never", "safe", "no"},
	KindRequiredSequence:    {"sequence", "order", "step"},
	KindOrdering:            {"order", "before", "after"},
	KindRequiredEvents:      {"required", "present"},
	KindLogMatch:            {"log", "status"},
}

// stopWords are dropped from names and targets.
var stopWords = []string{"a", "all", "an", "and", "any", "are", "be", "been", "has", "have", "is", "of", "or", "the", "to", "was", "were"}

// stepRef names a step of required_events or required_event_sequence.
type stepRef struct {
	kind  string
	index int
}

func (r stepRef) String() string { return fmt.Sprintf("%s[%d]", r.kind, r.index) }

// parseStepRef reads "kind[i]".
func parseStepRef(s string) (stepRef, bool) {
	kind, rest, ok := strings.Cut(s, "[")
	idx, found := strings.CutSuffix(rest, "]")
	if !ok || !found {
		return stepRef{}, false
	}
	i, err := strconv.Atoi(idx)
	return stepRef{kind, i}, err == nil && i >= 0
}

// step returns the step ref names, if the scenario has it.
func (s *Scenario) step(ref stepRef) (Step, bool) {
	var steps []Step
	switch q := s.rule(ref.kind).(type) {
	case *RequiredEvents:
		steps = q.Events
	case *RequiredSequence:
		steps = q.Steps
	}
	if ref.index >= len(steps) {
		return Step{}, false
	}
	return steps[ref.index], true
}

// Bindings returns, for each boolean name of the success condition that is
// not one of this package's outcomes, what it is bound to: a rule kind, a
// step such as "required_events[1]", or "" when it binds to nothing.
//
// Authors name the outcomes of a success condition as they like
// ("change_applied AND tests_passed", "within_budget AND
// acceptable_quality"). A name that is not one of this package's outcomes
// (see the Outcome constants) is bound, in this order:
//
//  1. by Scenario.Bind (LoadOptions.Bind), which the caller controls;
//  2. by its words: the name is split into words at every character that is not a letter or a digit,
//     lower-cased,
//     with one ending of -ies/-ied (to -y), -ing, -ed, -es or -s removed where
//     three letters remain, and the words "a",
//     "all", "an", "and", "any", "are", "be", "been", "has", "have", "is",
//     "of", "or", "the", "to", "was" and "were" dropped. Each rule and each
//     step of required_events and required_event_sequence has words too: a
//     rule those of its kind, of its criteria, limits or patterns, and the
//     kind's synonyms below; a step those of its type, label, filters (keys
//     and values) and contains. The name binds to the rule or step sharing
//     the most of its words, if that is at least half of them and no other
//     shares as many.
//
// Synonyms: resource_consumption — budget, within, under, limit, usage,
// cost, spend, resource; a judge rule — quality, judge, score, acceptable,
// rating, grade; forbidden_events — forbidden, avoid, never, safe, no;
// required_event_sequence — sequence, order, step; ordering_constraints —
// order, before, after; required_events — required, present; log_match —
// log, status.
//
// A name bound to a rule is true when the rule passes, and the rule counts
// as referred to by the condition; a name bound to a step is true when an
// event of the run matches the step, and the step's rule still applies as a
// whole. A name that binds to nothing is unknown, so the condition is
// decided in three-valued logic, and Result.Unbound says why; with
// LoadOptions.Strict it is an error.
func (s *Scenario) Bindings() map[string]string {
	out := map[string]string{}
	if s.Condition == nil {
		return out
	}
	builtin := s.builtinOutcomes()
	for _, n := range s.Condition.bools {
		if _, ok := builtin.bools[n]; !ok {
			out[n], _ = s.bindName(n)
		}
	}
	return out
}

// bindName returns what name binds to, or "" and why it binds to nothing.
func (s *Scenario) bindName(name string) (string, string) {
	if t, ok := s.Bind[name]; ok {
		return t, ""
	}
	words := wordsOf(name)
	if len(words) == 0 {
		return "", "it has no words to bind by"
	}
	var best []string
	bestScore := 0
	for target, vocab := range s.targets() {
		score := 0
		for _, w := range words {
			if slices.Contains(vocab, w) {
				score++
			}
		}
		switch {
		case score > bestScore:
			best, bestScore = []string{target}, score
		case score == bestScore && score > 0:
			best = append(best, target)
		}
	}
	slices.Sort(best)
	switch {
	case bestScore == 0:
		return "", "no rule or step shares a word with it"
	case 2*bestScore < len(words):
		return "", fmt.Sprintf("%s shares only %d of its %d words", best[0], bestScore, len(words))
	case len(best) > 1:
		return "", fmt.Sprintf("%s and %s share as many of its words", best[0], best[1])
	}
	return best[0], ""
}

// targets returns the words of each rule and step a name may bind to.
func (s *Scenario) targets() map[string][]string {
	out := map[string][]string{}
	for _, r := range s.Rules {
		kind := r.Kind()
		vocab := append(wordsOf(kind), stems(synonyms[kind])...)
		var steps []Step
		switch q := r.(type) {
		case *JudgeRule:
			vocab = append(vocab, stems(synonyms[KindJudge])...)
			for _, c := range q.Criteria {
				vocab = append(vocab, wordsOf(c)...)
			}
		case *ResourceConsumption:
			for _, c := range q.Limits {
				vocab = append(vocab, wordsOf(c.Field)...)
			}
		case *LogMatch:
			for _, p := range q.Patterns {
				vocab = append(vocab, wordsOf(p)...)
			}
		case *RequiredEvents:
			steps = q.Events
		case *RequiredSequence:
			steps = q.Steps
		}
		out[kind] = vocab
		for i, st := range steps {
			out[stepRef{kind, i}.String()] = st.words()
		}
	}
	return out
}

// words returns the words of a step: its type, label, filters and
// contains.
func (st Step) words() []string {
	w := append(wordsOf(string(st.Type)), wordsOf(st.Label)...)
	w = append(w, wordsOf(st.Contains)...)
	for k, v := range st.Filters {
		w = append(w, wordsOf(strings.TrimPrefix(k, "data."))...)
		w = append(w, wordsOf(v)...)
	}
	return w
}

// wordsOf splits s into stemmed words without stop words.
func wordsOf(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !slices.Contains(stopWords, w) {
			out = append(out, stem(w))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// stems stems each word.
func stems(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = stem(w)
	}
	return out
}

// stem removes an English ending from w, leaving at least three letters.
func stem(w string) string {
	for _, e := range []struct{ end, with string }{{"ies", "y"}, {"ied", "y"}, {"ing", ""}, {"ed", ""}, {"es", ""}, {"s", ""}} {
		if base, ok := strings.CutSuffix(w, e.end); ok && len(base) >= 3 {
			return base + e.with
		}
	}
	return w
}

// checkBind reports an entry of Scenario.Bind that names nothing.
func (s *Scenario) checkBind() error {
	for name, target := range s.Bind {
		if ref, ok := parseStepRef(target); ok {
			if _, ok := s.step(ref); !ok {
				return errAt("bind."+name, "no step %s", target)
			}
			continue
		}
		if s.rule(target) == nil {
			return errAt("bind."+name, "no rule %q", target)
		}
	}
	return nil
}

// strictNames reports a name of the condition that binds to nothing.
func (s *Scenario) strictNames() error {
	d := s.outcomes()
	names := slices.Sorted(maps.Keys(d.unbound))
	if len(names) == 0 {
		return nil
	}
	return &ScenarioError{Path: "validation.success_condition",
		Err: fmt.Errorf("%w: %q: %s; defined: %s", ErrUnknownOutcome, names[0], d.unbound[names[0]], d.list())}
}
