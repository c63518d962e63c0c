package benchkit

import (
	"context"
	"fmt"
	"strings"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/events"
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
		after = "after " + stream.EventName(run.seen[pos-1].event) + " (step " + fmt.Sprint(i) + ")"
	}
	msg := fmt.Sprintf("step %d %s not matched %s", i+1, step, after)
	if near >= 0 {
		return msg + fmt.Sprintf("; nearest candidate %s: %s", stream.EventName(run.seen[near].event), why)
	}
	return msg + fmt.Sprintf("; no %s event follows", step.Type)
}

// Ordering requires the event First names to come before the event Then
// names. Text form: "A BEFORE B", or "B AFTER A".
//
// A name resolves, in this order, to: the label of a sequence step (the
// event the sequence matched for it); the one sequence step having a
// filter whose value is the name, such as "data_fetch" for
// {"type": "service_invoked", "data.service_name": "data_fetch"} (the
// first event of the run matching that step, its label references
// ignored); an event type (the first event of that type). The constraint
// holds when both events exist and the first precedes the second in the
// stream.
type Ordering struct {
	// First must come first.
	First string
	// Then must come after First.
	Then string
}

// ParseOrdering parses "A BEFORE B" or "A AFTER B" (keywords in any
// case). Errors wrap ErrConstraint.
func ParseOrdering(s string) (Ordering, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return Ordering{}, fmt.Errorf("%w: %q is not \"A BEFORE B\" or \"A AFTER B\"", ErrConstraint, s)
	}
	switch strings.ToUpper(f[1]) {
	case "BEFORE":
		return Ordering{First: f[0], Then: f[2]}, nil
	case "AFTER":
		return Ordering{First: f[2], Then: f[0]}, nil
	}
	return Ordering{}, fmt.Errorf("%w: %q: want BEFORE or AFTER, got %q", ErrConstraint, s, f[1])
}

// String returns "A BEFORE B".
func (o Ordering) String() string { return o.First + " BEFORE " + o.Then }

// OrderingConstraints requires each of its orderings to hold.
type OrderingConstraints struct {
	// Orderings are the constraints.
	Orderings []Ordering
}

// Kind returns "ordering_constraints".
func (*OrderingConstraints) Kind() string { return KindOrdering }

// Evaluate checks each ordering over the events the run sees.
func (o *OrderingConstraints) Evaluate(_ context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: KindOrdering, Verdict: Pass}
	var bad []string
	for _, ord := range o.Orderings {
		a, whyA := run.firstOf(ord.First)
		b, whyB := run.firstOf(ord.Then)
		switch {
		case a < 0 || b < 0:
			bad = append(bad, fmt.Sprintf("%s: %s", ord, strings.Trim(whyA+"; "+whyB, "; ")))
		case a >= b:
			bad = append(bad, fmt.Sprintf("%s: %s (%s) comes after %s (%s)", ord,
				ord.First, stream.EventName(run.seen[a].event), ord.Then, stream.EventName(run.seen[b].event)))
			res.Events = append(res.Events, run.seen[b].event, run.seen[a].event)
		default:
			res.Events = append(res.Events, run.seen[a].event, run.seen[b].event)
		}
	}
	if len(bad) > 0 {
		res.Verdict = Fail
		res.Reason = strings.Join(bad, "; ")
		return res
	}
	res.Reason = fmt.Sprintf("all %d orderings hold", len(o.Orderings))
	return res
}

// orderTarget is what an ordering name resolves to.
type orderTarget struct {
	label string
	step  *Step
	typ   events.Type
}

// resolveOrderName resolves name against the sequence steps.
func resolveOrderName(name string, steps []Step) (orderTarget, error) {
	var byValue []int
	for i, s := range steps {
		if s.Label == name {
			return orderTarget{label: name}, nil
		}
		for _, v := range s.Filters {
			if v == name {
				byValue = append(byValue, i)
				break
			}
		}
	}
	switch {
	case len(byValue) == 1:
		st := steps[byValue[0]].withoutRefs()
		return orderTarget{step: &st}, nil
	case len(byValue) > 1:
		return orderTarget{}, fmt.Errorf("%w: %q names %d sequence steps; label one of them", ErrConstraint, name, len(byValue))
	}
	if _, known := emitterOf(events.Type(name)); known {
		return orderTarget{typ: events.Type(name)}, nil
	}
	for _, s := range steps {
		if string(s.Type) == name {
			return orderTarget{typ: s.Type}, nil
		}
	}
	return orderTarget{}, fmt.Errorf("%w: %q is no label, step value or event type", ErrConstraint, name)
}

// withoutRefs returns the step without its label and the constraints that
// reference labels.
func (s Step) withoutRefs() Step {
	out := s
	out.Label, out.Constraints = "", nil
	for _, c := range s.Constraints {
		if c.label() == "" {
			out.Constraints = append(out.Constraints, c)
		}
	}
	return out
}

// firstOf returns the index of the event an ordering name stands for, or
// -1 and why there is none.
func (r *Run) firstOf(name string) (int, string) {
	t, err := resolveOrderName(name, r.scenario.sequenceSteps())
	if err != nil {
		return -1, err.Error()
	}
	if t.label != "" {
		if i, ok := r.labels[t.label]; ok {
			return i, ""
		}
		return -1, fmt.Sprintf("label %q matched no event", t.label)
	}
	for i, v := range r.seen {
		if (t.step != nil && t.step.mismatch(v, r.resolve) == "") || (t.step == nil && v.event.Type == t.typ) {
			return i, ""
		}
	}
	if t.step != nil {
		return -1, fmt.Sprintf("no event matches %s", t.step)
	}
	return -1, fmt.Sprintf("no %s event", t.typ)
}
