package benchkit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// Rule is one check of a scenario's validation block, decided from the
// events of a run.
type Rule interface {
	// Kind names the rule as the validation block does, such as
	// "required_event_sequence".
	Kind() string
	// Evaluate decides the rule over the run. It never panics on a
	// malformed stream: an event it cannot read does not match.
	Evaluate(ctx context.Context, run *Run) RuleResult
}

// The rule kinds of the validation block: those the stream alone decides,
// and the judge's. Any other key is a [JudgeRule] if its object's type is
// llm_judge, else an [ExternalRule] of that kind.
const (
	KindRequiredSequence    = "required_event_sequence"
	KindRequiredEvents      = "required_events"
	KindForbiddenEvents     = "forbidden_events"
	KindOrdering            = "ordering_constraints"
	KindResourceConsumption = "resource_consumption"
	KindJudge               = "judge_evaluation"
	// KindLogMatch is the kind of LogMatch, a criterion of the older
	// layout.
	KindLogMatch = "log_match"
)

// Verdict is the outcome of a rule, of a condition or of a scenario. The
// zero value is NotEvaluated, so nothing passes by default.
type Verdict int

// The verdicts.
const (
	// NotEvaluated means the stream alone cannot decide: no evaluator for
	// the rule's kind, an evaluator that failed, or a condition that depends
	// on such a rule.
	NotEvaluated Verdict = iota
	// Pass means the rule holds.
	Pass
	// Fail means the rule does not hold.
	Fail
)

// String returns "pass", "fail" or "not evaluated".
func (v Verdict) String() string {
	switch v {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	default:
		return "not evaluated"
	}
}

// RuleResult is the outcome of one rule.
type RuleResult struct {
	// Kind is the rule's kind.
	Kind string
	// Verdict is Pass, Fail or NotEvaluated.
	Verdict Verdict
	// Reason says, in words, why the rule has its verdict; for a failure,
	// what is missing or wrong and where.
	Reason string
	// Events are the events that decided the verdict: the matched events of
	// a passing rule, the offending or nearest event of a failing one.
	Events []events.Event
	// Values are the named numbers the rule exposes to the success
	// condition, such as judge_score and threshold.
	Values map[string]Ratio
}

// verdictOf returns Pass if ok, else Fail.
func verdictOf(ok bool) Verdict {
	if ok {
		return Pass
	}
	return Fail
}

// Ratio is an exact number Num/Den with Den above zero. Most values are
// decimals (Den is one); a mean is kept as a fraction so that comparing it
// never rounds.
type Ratio struct {
	// Num is the numerator.
	Num *apd.Decimal
	// Den is the denominator, above zero; nil means one.
	Den *apd.Decimal
}

// RatioOf returns the Ratio of the decimal d.
func RatioOf(d *apd.Decimal) Ratio { return Ratio{Num: d} }

// String returns the decimal, or "num/den" for a fraction.
func (r Ratio) String() string {
	if r.Num == nil {
		return "<nil>"
	}
	if r.Den == nil || r.Den.Cmp(apd.New(1, 0)) == 0 {
		return r.Num.Text('f')
	}
	return fmt.Sprintf("%s/%s", r.Num.Text('f'), r.Den.Text('f'))
}

// den returns the denominator, one if unset.
func (r Ratio) den() *apd.Decimal {
	if r.Den == nil {
		return apd.New(1, 0)
	}
	return r.Den
}

// Cmp compares r with s exactly, by cross-multiplying: -1, 0 or +1. It
// fails if a value is missing, a denominator is not above zero, or a
// product needs more than maxRatioDigits digits.
func (r Ratio) Cmp(s Ratio) (int, error) {
	if r.Num == nil || s.Num == nil {
		return 0, fmt.Errorf("missing value")
	}
	if r.den().Sign() <= 0 || s.den().Sign() <= 0 {
		return 0, fmt.Errorf("denominator not above zero")
	}
	ctx := exactRatioContext()
	var a, b apd.Decimal
	if _, err := ctx.Mul(&a, r.Num, s.den()); err != nil {
		return 0, err
	}
	if _, err := ctx.Mul(&b, s.Num, r.den()); err != nil {
		return 0, err
	}
	return a.Cmp(&b), nil
}

// maxRatioDigits bounds the significant digits of an exact computation.
const maxRatioDigits = 300

// exactRatioContext returns a context in which rounding is an error.
func exactRatioContext() *apd.Context { return exact.WithPrecision(maxRatioDigits) }

// Run is the part of a stream one evaluation of a scenario looks at, as
// rules see it. Events of other correlations are never in it.
//
// With EvalOptions.Agent set, an event is about the agent when its subject,
// or its data's agent_id, account_id, from or to, is the agent; it is about
// another agent when it is not about the agent but names an agent_id, or
// comes from the agent source. Events about no agent (market_cleared,
// price_update, a judge's events, …) are shared.
type Run struct {
	opts     EvalOptions
	scenario *Scenario
	all      []fieldView // every event of the run's correlation
	seen     []fieldView // about the agent or shared
	agent    []fieldView // about the agent
	labels   map[string]int
	bad      []error
}

// newRun selects the events of the scenario's run from evs.
func newRun(s *Scenario, evs []events.Event, opts EvalOptions) *Run {
	r := &Run{opts: opts, scenario: s, labels: map[string]int{}}
	for _, e := range evs {
		if opts.Correlation != "" && e.Correlation != opts.Correlation {
			continue
		}
		v := viewOf(e)
		if v.err != nil {
			r.bad = append(r.bad, v.err)
		}
		r.all = append(r.all, v)
		switch {
		case opts.Agent == "" || v.about(opts.Agent):
			r.seen = append(r.seen, v)
			r.agent = append(r.agent, v)
		case !v.aboutOther(opts.Agent):
			r.seen = append(r.seen, v)
		}
	}
	return r
}

// about reports whether the event is about agent.
func (v fieldView) about(agent string) bool {
	if v.event.Subject == agent {
		return true
	}
	for _, k := range []string{"agent_id", "account_id", "from", "to"} {
		if v.dataString(k) == agent {
			return true
		}
	}
	return false
}

// aboutOther reports whether the event, not about agent, is about another.
func (v fieldView) aboutOther(agent string) bool {
	return !v.about(agent) && (v.dataString("agent_id") != "" || v.event.Source == events.SourceAgent)
}

// Options returns the options of the evaluation.
func (r *Run) Options() EvalOptions { return r.opts }

// Events returns the events the run's rules see, in stream order: those of
// the correlation about the agent or about no agent in particular.
func (r *Run) Events() []events.Event { return eventsOf(r.seen) }

// AgentEvents returns the events of the correlation about the agent, in
// stream order; all of the correlation's events if no agent is named.
func (r *Run) AgentEvents() []events.Event { return eventsOf(r.agent) }

// Label returns the event the required sequence matched for a label, once
// the sequence has been evaluated.
func (r *Run) Label(name string) (events.Event, bool) {
	i, ok := r.labels[name]
	if !ok {
		return events.Event{}, false
	}
	return r.seen[i].event, true
}

// eventsOf returns the events of views.
func eventsOf(vs []fieldView) []events.Event {
	out := make([]events.Event, len(vs))
	for i, v := range vs {
		out[i] = v.event
	}
	return out
}

// resolve returns the decimal a constraint reference stands for: a field
// of a labelled event, or a decimal of the initial state.
func (r *Run) resolve(ref string) (*apd.Decimal, error) {
	head, path, _ := strings.Cut(ref, ".")
	if head == "initial_state" {
		return r.scenario.Initial.decimal(path)
	}
	i, ok := r.labels[head]
	if !ok {
		return nil, fmt.Errorf("label %q has matched no event", head)
	}
	x, ok := r.seen[i].lookup(path)
	if !ok {
		return nil, fmt.Errorf("%s has no field %s", stream.EventName(r.seen[i].event), path)
	}
	d, ok := numeric(x)
	if !ok {
		return nil, fmt.Errorf("%s field %s is not a number", stream.EventName(r.seen[i].event), path)
	}
	return d, nil
}

// Evaluator decides a rule kind that needs more than the stream, such as
// output_quality, code quality or a statistical comparison.
type Evaluator interface {
	// Evaluate decides rule over the events the run's rules see. An error
	// makes the rule NotEvaluated.
	Evaluate(ctx context.Context, rule *ExternalRule, transcript []events.Event) (RuleResult, error)
}

// EvaluatorFunc adapts a function to the Evaluator interface.
type EvaluatorFunc func(ctx context.Context, rule *ExternalRule, transcript []events.Event) (RuleResult, error)

// Evaluate calls f.
func (f EvaluatorFunc) Evaluate(ctx context.Context, rule *ExternalRule, transcript []events.Event) (RuleResult, error) {
	return f(ctx, rule, transcript)
}

// Evaluators registers an Evaluator per rule kind.
type Evaluators map[string]Evaluator

// ExternalRule is a rule of a kind the stream alone cannot decide: any key
// of the validation block that is not a built-in kind. It is decided by
// the Evaluator registered for its kind, and is NotEvaluated without one.
type ExternalRule struct {
	// RuleKind is the key of the validation block.
	RuleKind string
	// Config is the rule's JSON value, as written.
	Config json.RawMessage
}

// Kind returns the rule's kind.
func (x *ExternalRule) Kind() string { return x.RuleKind }

// Evaluate calls the registered evaluator.
func (x *ExternalRule) Evaluate(ctx context.Context, run *Run) RuleResult {
	ev := run.opts.Evaluators[x.RuleKind]
	if ev == nil {
		return RuleResult{Kind: x.RuleKind, Reason: fmt.Sprintf("no evaluator registered for %q (EvalOptions.Evaluators)%s", x.RuleKind, suggest(x.RuleKind, builtinKinds))}
	}
	res, err := ev.Evaluate(ctx, x, run.Events())
	res.Kind = x.RuleKind
	if err != nil {
		return RuleResult{Kind: x.RuleKind, Reason: fmt.Sprintf("evaluator failed: %v", err)}
	}
	return res
}
