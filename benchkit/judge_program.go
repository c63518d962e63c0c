package benchkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// Defaults and bounds of ProgramJudge.
const (
	// DefaultJudgeTimeout is how long a judge program may run when
	// ProgramJudge.Timeout is zero.
	DefaultJudgeTimeout = time.Minute
	// MaxJudgeOutput bounds what a judge program may write to stdout; a
	// program that writes more is stopped, and its answer is an error.
	MaxJudgeOutput = 1 << 20
	// maxJudgeStderr bounds the stderr a ProgramError keeps.
	maxJudgeStderr = 512
	// judgeWaitDelay bounds the wait for the program's output once it has
	// exited or been killed (a child it started may hold its pipes).
	judgeWaitDelay = time.Second
)

// ProgramJudge is a Judge that runs an external program, without a shell,
// once per judge rule to decide.
//
// The protocol: the program reads from stdin one JSON object,
//
//	{
//	  "scenario": {
//	    "id": "t1", "domain": "...", "name": "...", "description": "...",
//	    "initial_state": {"agent_balance": "100", "resource_prices": {"cpu": "0.5"}, ...},
//	    "extra": {...}
//	  },
//	  "rule": {"kind": "judge_evaluation", "criteria": ["efficiency", "safety"], "threshold": "0.7"},
//	  "events": [{"specversion": "1.0", "id": "...", "type": "bid_placed", ...}, ...]
//	}
//
// where initial_state holds the scenario's initial state (agent_balance
// and the resource_prices as decimal strings, every other field as
// written), extra holds the scenario's other top-level fields as written
// (Scenario.Extra), threshold is a decimal string, and events are the
// events the run's rules see, each in its CloudEvents JSON encoding
// (events.Encode), in stream order. The stdin is then closed.
//
// The program writes to stdout one JSON object, and nothing else but
// white space:
//
//	{"scores": {"efficiency": 0.8, "safety": "0.75"}}
//
// Each score is a JSON number or a decimal string, and is read exactly
// (never as a float). Other members of the object are ignored, so a
// program may add its reasons. A criterion it leaves unscored makes the
// rule NotEvaluated.
//
// The program fails — and the rule is NotEvaluated, with the reason — if it
// exits with a non-zero status, runs longer than Timeout, writes more than
// MaxJudgeOutput bytes to stdout, or writes anything but the object above.
// The error is a *ProgramError, holding the start of the program's stderr.
type ProgramJudge struct {
	// Path is the program: a path, or a name looked up in PATH.
	Path string
	// Args are the program's arguments.
	Args []string
	// Timeout bounds one run of the program; zero means
	// DefaultJudgeTimeout. The program is killed when it expires.
	Timeout time.Duration
	// Env are extra "KEY=value" entries added to the environment of the
	// current process, which the program inherits; an entry overrides an
	// inherited one of the same key.
	Env []string
}

var _ Judge = (*ProgramJudge)(nil)

// ProgramError is the error of a judge program that failed.
type ProgramError struct {
	// Path is the program.
	Path string
	// Stderr is the start of what the program wrote to stderr, at most a
	// few hundred bytes.
	Stderr string
	// Err says what went wrong: an *exec.ExitError for a non-zero exit,
	// context.DeadlineExceeded for a timeout, ErrJudgeOutput for output
	// that breaks the protocol.
	Err error
}

// Error names the program, what went wrong, and its stderr.
func (e *ProgramError) Error() string {
	msg := fmt.Sprintf("benchkit: judge program %s: %v", e.Path, e.Err)
	if e.Stderr != "" {
		msg += fmt.Sprintf(" (stderr: %q)", e.Stderr)
	}
	return msg
}

// Unwrap returns Err.
func (e *ProgramError) Unwrap() error { return e.Err }

// Evaluate runs the program on req and returns its scores.
func (p *ProgramJudge) Evaluate(ctx context.Context, req JudgeRequest) (map[string]*apd.Decimal, error) {
	if p.Path == "" {
		return nil, &ProgramError{Path: `""`, Err: errors.New("no program")}
	}
	if p.Timeout < 0 {
		return nil, &ProgramError{Path: p.Path, Err: fmt.Errorf("negative timeout %v", p.Timeout)}
	}
	in, err := encodeJudgeRequest(req)
	if err != nil {
		return nil, &ProgramError{Path: p.Path, Err: err}
	}
	timeout := p.Timeout
	if timeout == 0 {
		timeout = DefaultJudgeTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stdout := &boundedBuffer{max: MaxJudgeOutput, overflow: cancel}
	stderr := &boundedBuffer{max: maxJudgeStderr}
	cmd := exec.CommandContext(runCtx, p.Path, p.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), stdout, stderr
	cmd.WaitDelay = judgeWaitDelay
	if p.Env != nil {
		cmd.Env = append(os.Environ(), p.Env...)
	}
	err = cmd.Run()
	switch {
	case stdout.over:
		err = fmt.Errorf("%w: more than %d bytes on stdout", ErrJudgeOutput, MaxJudgeOutput)
	case ctx.Err() != nil:
		err = ctx.Err()
	case runCtx.Err() != nil:
		err = fmt.Errorf("timed out after %v: %w", timeout, context.DeadlineExceeded)
	}
	var scores map[string]*apd.Decimal
	if err == nil {
		scores, err = decodeJudgeScores(stdout.buf.Bytes())
	}
	if err != nil {
		return nil, &ProgramError{Path: p.Path, Stderr: stderr.buf.String(), Err: err}
	}
	return scores, nil
}

// judgeRequestJSON is the request a judge program reads.
type judgeRequestJSON struct {
	Scenario *judgeScenarioJSON `json:"scenario"`
	Rule     *judgeRuleJSON     `json:"rule"`
	Events   []json.RawMessage  `json:"events"`
}

type judgeScenarioJSON struct {
	ID           string                     `json:"id"`
	Domain       string                     `json:"domain"`
	Name         string                     `json:"name"`
	Description  string                     `json:"description"`
	InitialState map[string]json.RawMessage `json:"initial_state"`
	Extra        map[string]json.RawMessage `json:"extra"`
}

type judgeRuleJSON struct {
	Kind      string   `json:"kind"`
	Criteria  []string `json:"criteria"`
	Threshold *string  `json:"threshold"`
}

// encodeJudgeRequest returns the JSON of req that a judge program reads.
func encodeJudgeRequest(req JudgeRequest) ([]byte, error) {
	out := judgeRequestJSON{Events: make([]json.RawMessage, len(req.Events))}
	if s := req.Scenario; s != nil {
		init, err := initialStateJSON(s.Initial)
		if err != nil {
			return nil, err
		}
		extra := s.Extra
		if extra == nil {
			extra = map[string]json.RawMessage{}
		}
		out.Scenario = &judgeScenarioJSON{ID: s.ID, Domain: s.Domain, Name: s.Name, Description: s.Description,
			InitialState: init, Extra: extra}
	}
	if r := req.Rule; r != nil {
		out.Rule = &judgeRuleJSON{Kind: r.Kind(), Criteria: r.Criteria}
		if r.Threshold != nil {
			t := r.Threshold.Text('f')
			out.Rule.Threshold = &t
		}
	}
	for i, e := range req.Events {
		b, err := events.Encode(e)
		if err != nil {
			return nil, err
		}
		out.Events[i] = b
	}
	return json.Marshal(out)
}

// initialStateJSON returns the initial state as written: its other fields
// raw, agent_balance and resource_prices as decimal strings.
func initialStateJSON(s InitialState) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(s.Other)+2)
	for k, v := range s.Other {
		out[k] = v
	}
	if s.AgentBalance != nil {
		b, err := json.Marshal(s.AgentBalance.Text('f'))
		if err != nil {
			return nil, err
		}
		out["agent_balance"] = b
	}
	if len(s.ResourcePrices) > 0 {
		prices := make(map[string]string, len(s.ResourcePrices))
		for r, d := range s.ResourcePrices {
			if d != nil {
				prices[r] = d.Text('f')
			}
		}
		b, err := json.Marshal(prices)
		if err != nil {
			return nil, err
		}
		out["resource_prices"] = b
	}
	return out, nil
}

// decodeJudgeScores reads a judge program's answer: one object with a
// "scores" object of numbers or decimal strings, then only white space.
func decodeJudgeScores(b []byte) (map[string]*apd.Decimal, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%w: no output", ErrJudgeOutput)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var answer struct {
		Scores map[string]any `json:"scores"`
	}
	if err := dec.Decode(&answer); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJudgeOutput, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("%w: data after the answer", ErrJudgeOutput)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: after the answer: %v", ErrJudgeOutput, err)
	}
	if answer.Scores == nil {
		return nil, fmt.Errorf(`%w: no "scores" object`, ErrJudgeOutput)
	}
	scores := make(map[string]*apd.Decimal, len(answer.Scores))
	for c, x := range answer.Scores {
		d, ok := numeric(x)
		if !ok {
			return nil, fmt.Errorf("%w: score of %q is %v, not a decimal", ErrJudgeOutput, c, x)
		}
		scores[c] = d
	}
	return scores, nil
}

// boundedBuffer keeps the first max bytes written to it and discards the
// rest, calling overflow once when it first has to.
type boundedBuffer struct {
	buf      bytes.Buffer
	max      int
	over     bool
	overflow func()
}

// Write never fails, so that the program is never blocked on a full pipe.
func (b *boundedBuffer) Write(p []byte) (int, error) {
	room := b.max - b.buf.Len()
	if len(p) > room {
		b.buf.Write(p[:max(room, 0)])
		if !b.over && b.overflow != nil {
			b.overflow()
		}
		b.over = true
		return len(p), nil
	}
	b.buf.Write(p)
	return len(p), nil
}
