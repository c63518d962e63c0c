package benchkit

import (
	"context"
	"fmt"
	"strings"
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
			msg += fmt.Sprintf(" (nearest %s: %s)", eventName(run.seen[near].event), why)
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
				found = append(found, fmt.Sprintf("%s matches forbidden %s", eventName(v.event), step))
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
