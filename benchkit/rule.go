package benchkit

import (
	"context"

	"github.com/scarcitylabs/scarcity/events"
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
