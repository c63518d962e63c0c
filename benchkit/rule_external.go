package benchkit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
)

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
