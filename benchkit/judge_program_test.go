package benchkit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// judgeModeEnv selects what TestProgramJudgeHelper does when the test
// binary is re-run as a judge program; judgeRequestEnv names a file it
// copies its request to.
const (
	judgeModeEnv    = "BENCHKIT_TEST_JUDGE_MODE"
	judgeRequestEnv = "BENCHKIT_TEST_JUDGE_REQUEST"
)

// TestProgramJudgeHelper is not a test: it is the judge program the other
// tests run, by re-running the test binary with judgeModeEnv set.
func TestProgramJudgeHelper(t *testing.T) {
	mode := os.Getenv(judgeModeEnv)
	if mode == "" {
		t.Skip("run as a judge program by the ProgramJudge tests")
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(9)
	}
	if path := os.Getenv(judgeRequestEnv); path != "" {
		if err := os.WriteFile(path, in, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(9)
		}
	}
	switch mode {
	case "scores":
		fmt.Println(`{"scores": {"a": 0.1, "b": "0.2", "c": 3e-30}, "reasons": {"a": "terse"}}`)
	case "fail":
		fmt.Fprintln(os.Stderr, "judge exploded: no API key")
		os.Exit(3)
	case "sleep":
		time.Sleep(time.Minute)
	case "garbage":
		fmt.Println("the agent did well")
	case "trailing":
		fmt.Println(`{"scores": {"a": 1}} {"scores": {"a": 2}}`)
	case "nonnumber":
		fmt.Println(`{"scores": {"a": true}}`)
	case "noscores":
		fmt.Println(`{"score": 1}`)
	case "silent":
	case "huge":
		line := strings.Repeat("x", 1023) + "\n"
		for range 2 * 1024 {
			fmt.Print(line)
		}
	}
	os.Exit(0)
}

// helperJudge returns a ProgramJudge running TestProgramJudgeHelper in mode.
func helperJudge(mode string, env ...string) *benchkit.ProgramJudge {
	return &benchkit.ProgramJudge{
		Path: os.Args[0],
		Args: []string{"-test.run=^TestProgramJudgeHelper$"},
		Env:  append([]string{judgeModeEnv + "=" + mode}, env...),
	}
}

// judgeRequest returns a request about a scenario with a description, an
// initial state and an extra field, and two events.
func judgeRequest(t *testing.T) benchkit.JudgeRequest {
	t.Helper()
	balance, _, _ := apd.NewFromString("100.50")
	price, _, _ := apd.NewFromString("0.125")
	threshold, _, _ := apd.NewFromString("0.7")
	s := &benchkit.Scenario{
		ID: "fc_007", Domain: "finance", Name: "Frugal", Description: "Buy cpu without overspending.",
		Initial: benchkit.InitialState{AgentBalance: balance, ResourcePrices: map[string]*apd.Decimal{"cpu": price},
			Other: map[string]json.RawMessage{"tools": json.RawMessage(`["search"]`)}},
		Extra: map[string]json.RawMessage{"expected_behavior": json.RawMessage(`"be frugal"`)},
	}
	rule := &benchkit.JudgeRule{Criteria: []string{"a", "b", "c"}, Threshold: threshold}
	r := newRun("c1").bid("alice", "o1", "10").agent("alice", events.TypeReasoningTrace, `{"decision":"bid"}`)
	s.Rules = []benchkit.Rule{rule}
	return benchkit.JudgeRequest{Scenario: s, Rule: rule, Events: r.evs}
}

func TestProgramJudgeScoresAndRequest(t *testing.T) {
	reqFile := filepath.Join(t.TempDir(), "request.json")
	req := judgeRequest(t)
	scores, err := helperJudge("scores", judgeRequestEnv+"="+reqFile).Evaluate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for c, d := range scores {
		got[c] = d.String()
	}
	if diff := cmp.Diff(map[string]string{"a": "0.1", "b": "0.2", "c": "3E-30"}, got); diff != "" {
		t.Errorf("scores (-want +got):\n%s", diff)
	}

	b, err := os.ReadFile(reqFile)
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Scenario struct {
			ID, Domain, Name, Description string
			InitialState                  map[string]any `json:"initial_state"`
			Extra                         map[string]any `json:"extra"`
		} `json:"scenario"`
		Rule struct {
			Kind      string   `json:"kind"`
			Criteria  []string `json:"criteria"`
			Threshold string   `json:"threshold"`
		} `json:"rule"`
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(b, &sent); err != nil {
		t.Fatalf("request is not JSON: %v\n%s", err, b)
	}
	sc := sent.Scenario
	if sc.ID != "fc_007" || sc.Domain != "finance" || sc.Name != "Frugal" || sc.Description != "Buy cpu without overspending." {
		t.Errorf("scenario %+v", sc)
	}
	wantInit := map[string]any{"agent_balance": "100.50", "resource_prices": map[string]any{"cpu": "0.125"}, "tools": []any{"search"}}
	if diff := cmp.Diff(wantInit, sc.InitialState); diff != "" {
		t.Errorf("initial_state (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"expected_behavior": "be frugal"}, sc.Extra); diff != "" {
		t.Errorf("extra (-want +got):\n%s", diff)
	}
	if sent.Rule.Kind != benchkit.KindJudge || sent.Rule.Threshold != "0.7" || strings.Join(sent.Rule.Criteria, ",") != "a,b,c" {
		t.Errorf("rule %+v", sent.Rule)
	}
	if len(sent.Events) != len(req.Events) {
		t.Fatalf("%d events sent, want %d", len(sent.Events), len(req.Events))
	}
	for i, raw := range sent.Events {
		e, err := events.Decode(raw)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if want, _ := events.Encode(req.Events[i]); string(want) != string(raw) || e.ID != req.Events[i].ID {
			t.Errorf("event %d is not its CloudEvents encoding:\n%s\nwant\n%s", i, raw, want)
		}
	}
}

func TestProgramJudgeErrors(t *testing.T) {
	tests := []struct {
		mode    string
		timeout time.Duration
		is      error
		text    string
	}{
		{"fail", 0, nil, "judge exploded: no API key"},
		{"sleep", 300 * time.Millisecond, context.DeadlineExceeded, "timed out"},
		{"garbage", 0, benchkit.ErrJudgeOutput, "malformed"},
		{"trailing", 0, benchkit.ErrJudgeOutput, "data after the answer"},
		{"nonnumber", 0, benchkit.ErrJudgeOutput, `score of "a"`},
		{"noscores", 0, benchkit.ErrJudgeOutput, `no "scores"`},
		{"silent", 0, benchkit.ErrJudgeOutput, "no output"},
		{"huge", 0, benchkit.ErrJudgeOutput, "more than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			j := helperJudge(tt.mode)
			j.Timeout = tt.timeout
			start := time.Now()
			scores, err := j.Evaluate(context.Background(), judgeRequest(t))
			if err == nil {
				t.Fatalf("no error, scores %v", scores)
			}
			var pe *benchkit.ProgramError
			if !errors.As(err, &pe) || pe.Path != os.Args[0] || !strings.Contains(err.Error(), os.Args[0]) {
				t.Errorf("error %v does not name the program", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %v does not say %q", err, tt.text)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	t.Run("exit status", func(t *testing.T) {
		_, err := helperJudge("fail").Evaluate(context.Background(), judgeRequest(t))
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Errorf("error %v, want exit status 3", err)
		}
	})
	t.Run("no program", func(t *testing.T) {
		j := &benchkit.ProgramJudge{Path: filepath.Join(t.TempDir(), "no-such-judge")}
		if _, err := j.Evaluate(context.Background(), judgeRequest(t)); err == nil || !strings.Contains(err.Error(), "no-such-judge") {
			t.Errorf("error %v", err)
		}
	})
}

// TestProgramJudgeDecidesRule runs a judge program as EvalOptions.Judge:
// its scores 0.1, 0.2 and 3e-30 average exactly (0.3 + 3e-30)/3, just
// above the threshold 0.1.
func TestProgramJudgeDecidesRule(t *testing.T) {
	s := load(t, `{"task_id":"t","description":"d","validation":{"judge_evaluation":{"criteria":["a","b","c"],"pass_threshold":"0.1"}}}`)
	r := newRun("c").agent("alice", events.TypeReasoningTrace, `{}`)
	res := eval(s, r.evs, benchkit.EvalOptions{Judge: helperJudge("scores")})
	if res.Verdict != benchkit.Pass {
		t.Fatalf("%s", benchkit.FormatResult(res))
	}
	if got := ruleOf(t, res, benchkit.KindJudge).Values["judge_score"].String(); got != "0.300000000000000000000000000003/3" {
		t.Errorf("judge_score %s", got)
	}
	res = eval(s, r.evs, benchkit.EvalOptions{Judge: helperJudge("fail")})
	if rr := ruleOf(t, res, benchkit.KindJudge); rr.Verdict != benchkit.NotEvaluated || !strings.Contains(rr.Reason, "judge exploded") {
		t.Errorf("failing judge: %s: %s", rr.Verdict, rr.Reason)
	}
}
