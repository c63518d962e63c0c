package benchkit

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
)

// RequiredEvents requires, in any order, at least one event matching each
// of its steps among the events the run sees.
type RequiredEvents struct {
	// Events are the required events.
	Events []Step
}

// Kind returns "required_events".
func (*RequiredEvents) Kind() string { return KindRequiredEvents }

// Evaluate looks for each required event.
func (q *RequiredEvents) Evaluate(_ context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: KindRequiredEvents, Verdict: Pass}
	var missing []string
	for _, step := range q.Events {
		found := false
		near, why := -1, ""
		for i, v := range run.seen {
			w := step.mismatch(v, run.resolve)
			if w == "" {
				res.Events = append(res.Events, v.event)
				found = true
				break
			}
			if w != "type" && near < 0 {
				near, why = i, w
			}
		}
		if found {
			continue
		}
		msg := fmt.Sprintf("no event matches %s", step)
		if near >= 0 {
			msg += fmt.Sprintf(" (nearest %s: %s)", stream.EventName(run.seen[near].event), why)
			res.Events = append(res.Events, run.seen[near].event)
		}
		missing = append(missing, msg)
	}
	if len(missing) > 0 {
		res.Verdict = Fail
		res.Reason = strings.Join(missing, "; ")
		return res
	}
	res.Reason = fmt.Sprintf("all %d required events present", len(q.Events))
	return res
}

// ForbiddenEvents forbids any event matching one of its steps among the
// events about the agent (all of the run's events if no agent is named).
type ForbiddenEvents struct {
	// Events are the forbidden events.
	Events []Step
}

// maxReasons bounds the matches a reason spells out; the rest are counted.
const maxReasons = 3

// Kind returns "forbidden_events".
func (*ForbiddenEvents) Kind() string { return KindForbiddenEvents }

// Evaluate looks for forbidden events.
func (f *ForbiddenEvents) Evaluate(_ context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: KindForbiddenEvents, Verdict: Pass}
	var found []string
	for _, v := range run.agent {
		for _, step := range f.Events {
			if step.mismatch(v, run.resolve) == "" {
				res.Events = append(res.Events, v.event)
				found = append(found, fmt.Sprintf("%s matches forbidden %s", stream.EventName(v.event), step))
				break
			}
		}
	}
	if len(found) > 0 {
		res.Verdict = Fail
		res.Reason = strings.Join(found[:min(len(found), maxReasons)], "; ")
		if len(found) > maxReasons {
			res.Reason += fmt.Sprintf("; and %d more", len(found)-maxReasons)
		}
		return res
	}
	res.Reason = fmt.Sprintf("none of %d forbidden events present", len(f.Events))
	return res
}

// MaxPatternLen bounds a log_match pattern, in bytes.
const MaxPatternLen = 1024

// LogMatch requires, for each of its patterns, an event the run sees whose
// type, or a string anywhere in its data, matches the pattern (a regular
// expression in RE2 syntax). It is the older layout's log_match criterion.
type LogMatch struct {
	// Patterns are the regular expressions; each must match.
	Patterns []string
}

// Kind returns "log_match".
func (*LogMatch) Kind() string { return KindLogMatch }

// validate compiles the patterns.
func (l *LogMatch) validate(path string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(l.Patterns))
	for i, p := range l.Patterns {
		if len(p) > MaxPatternLen {
			return nil, errAt(fmt.Sprintf("%s[%d]", path, i), "pattern longer than %d bytes", MaxPatternLen)
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, errAt(fmt.Sprintf("%s[%d]", path, i), "%v", err)
		}
		out = append(out, re)
	}
	return out, nil
}

// Evaluate looks for an event matching each pattern.
func (l *LogMatch) Evaluate(_ context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: KindLogMatch, Verdict: Pass}
	res.Reason = fmt.Sprintf("all %d patterns matched", len(l.Patterns))
	patterns, err := l.validate(KindLogMatch)
	if err != nil {
		res.Verdict, res.Reason = NotEvaluated, err.Error()
		return res
	}
	var missing []string
	for i, re := range patterns {
		found := false
		for _, v := range run.seen {
			if re.MatchString(string(v.event.Type)) || anyString(v.data, re.MatchString) {
				res.Events, found = append(res.Events, v.event), true
				break
			}
		}
		if !found {
			missing = append(missing, fmt.Sprintf("no event matches pattern %q", l.Patterns[i]))
		}
	}
	if len(missing) > 0 {
		res.Verdict, res.Reason = Fail, strings.Join(missing, "; ")
	}
	return res
}

// anyString reports whether match holds for a string anywhere in x, a
// value decoded from JSON.
func anyString(x any, match func(string) bool) bool {
	switch v := x.(type) {
	case string:
		return match(v)
	case map[string]any:
		for _, y := range v {
			if anyString(y, match) {
				return true
			}
		}
	case []any:
		for _, y := range v {
			if anyString(y, match) {
				return true
			}
		}
	}
	return false
}
