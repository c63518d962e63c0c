package benchkit

import (
	"context"
	"fmt"
)

// The rule kinds of the validation block that the stream alone decides,
// and the judge's.
const (
	KindRequiredSequence    = "required_event_sequence"
	KindRequiredEvents      = "required_events"
	KindForbiddenEvents     = "forbidden_events"
	KindOrdering            = "ordering_constraints"
	KindResourceConsumption = "resource_consumption"
	KindJudge               = "judge_evaluation"
)

// RequiredSequence requires events matching its steps in order, not
// necessarily adjacent. Each step matches the earliest qualifying event
// after the previous step's event; a labelled step records its event for
// later references.
type RequiredSequence struct {
	// Steps are matched in order.
	Steps []Step
}

// Kind returns "required_event_sequence".
func (*RequiredSequence) Kind() string { return KindRequiredSequence }

// Evaluate matches the steps against the events the run sees.
func (q *RequiredSequence) Evaluate(_ context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: KindRequiredSequence}
	pos := 0
	for i, step := range q.Steps {
		at, near, why := q.find(run, step, pos)
		if at < 0 {
			res.Verdict = Fail
			res.Reason = stepFailure(run, i, step, pos, near, why)
			if near >= 0 {
				res.Events = append(res.Events, run.seen[near].event)
			}
			return res
		}
		res.Events = append(res.Events, run.seen[at].event)
		if step.Label != "" {
			run.labels[step.Label] = at
		}
		pos = at + 1
	}
	res.Verdict = Pass
	res.Reason = fmt.Sprintf("all %d steps matched in order", len(q.Steps))
	return res
}

// find returns the index of the first event from pos that matches step,
// or -1 and the first event of the step's type that did not match, with
// why (-1 if there is none).
func (q *RequiredSequence) find(run *Run, step Step, pos int) (at, near int, why string) {
	near = -1
	for i := pos; i < len(run.seen); i++ {
		w := step.mismatch(run.seen[i], run.resolve)
		if w == "" {
			return i, -1, ""
		}
		if w != "type" && near < 0 {
			near, why = i, w
		}
	}
	return -1, near, why
}

// stepFailure says which step did not match and why.
func stepFailure(run *Run, i int, step Step, pos, near int, why string) string {
	after := "in the stream"
	if pos > 0 {
		after = "after " + eventName(run.seen[pos-1].event) + " (step " + fmt.Sprint(i) + ")"
	}
	msg := fmt.Sprintf("step %d %s not matched %s", i+1, step, after)
	if near >= 0 {
		return msg + fmt.Sprintf("; nearest candidate %s: %s", eventName(run.seen[near].event), why)
	}
	return msg + fmt.Sprintf("; no %s event follows", step.Type)
}
