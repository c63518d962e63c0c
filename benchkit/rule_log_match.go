package benchkit

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// MaxPatternLen bounds a log_match pattern, in bytes.
const MaxPatternLen = 1024

// KindLogMatch is the kind of LogMatch.
const KindLogMatch = "log_match"

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
