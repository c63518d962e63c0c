package benchkit

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Errors of collecting a stream.
var (
	// ErrCollectLimit reports a Collect that read DefaultMaxCollect events
	// without reaching the end it was given.
	ErrCollectLimit = errors.New("benchkit: collect limit reached")
	// ErrCollectUnbounded reports a Collect given no end: none of Until, To,
	// Max and Idle.
	ErrCollectUnbounded = errors.New("benchkit: collect has no end")
)

// Errors of scenarios. A *ScenarioError wraps ErrScenario and, where one
// applies, a more specific sentinel below.
var (
	// ErrScenario is wrapped by every error of a scenario that cannot be
	// loaded or built: malformed JSON, a field of the wrong type, an
	// invalid rule.
	ErrScenario = errors.New("benchkit: invalid scenario")
	// ErrCondition marks a success condition that does not parse.
	ErrCondition = errors.New("benchkit: invalid condition")
	// ErrConstraint marks a constraint or ordering expression that does not
	// parse or refers to nothing.
	ErrConstraint = errors.New("benchkit: invalid constraint")
	// ErrUnknownOutcome marks a success condition naming an outcome the
	// scenario does not define.
	ErrUnknownOutcome = errors.New("benchkit: unknown outcome")
	// ErrMalformedEvent marks an event of the stream whose data cannot be
	// read; it is reported in [Result.Malformed], never panicked on.
	ErrMalformedEvent = errors.New("benchkit: malformed event")
)

// Errors of judges and of runs.
var (
	// ErrJudgeOutput is wrapped by the error of a judge program whose stdout
	// is not the answer the protocol defines, or is larger than MaxJudgeOutput.
	ErrJudgeOutput = errors.New("benchkit: malformed judge output")
	// ErrTrigger reports an injected event whose trigger RunScenario does not
	// know.
	ErrTrigger = errors.New("benchkit: unknown trigger")
	// ErrNothingToReject reports an injected bid_rejected or order_cancelled
	// when the agent has no open bid for it to end.
	ErrNothingToReject = errors.New("benchkit: no open bid to end")
)

// ScenarioError is an error at one place of a scenario. Path names it the
// way the JSON file does, such as
// "validation.required_event_sequence[2].constraints.total_cost".
type ScenarioError struct {
	// Path locates the offending value; empty for the document itself.
	Path string
	// Err says what is wrong; it may wrap ErrCondition, ErrConstraint or
	// ErrUnknownOutcome.
	Err error
}

// Error returns "benchkit: scenario: <path>: <what is wrong>".
func (e *ScenarioError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("benchkit: scenario: %v", e.Err)
	}
	return fmt.Sprintf("benchkit: scenario: %s: %v", e.Path, e.Err)
}

// Unwrap returns ErrScenario and the underlying error, so that errors.Is
// finds either.
func (e *ScenarioError) Unwrap() []error { return []error{ErrScenario, e.Err} }

// errAt returns a *ScenarioError at path.
func errAt(path string, format string, args ...any) error {
	return &ScenarioError{Path: path, Err: fmt.Errorf(format, args...)}
}

// asSyntax reports whether err is a JSON syntax error, setting *se.
func asSyntax(err error, se **json.SyntaxError) bool { return errors.As(err, se) }
