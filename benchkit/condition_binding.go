package benchkit

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

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
