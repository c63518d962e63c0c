package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// judgeScoreEnv, when set, makes the test binary the judge program of
// TestVerifyJudge: TestJudgeProgramHelper gives that score.
const judgeScoreEnv = "VERIFY_TEST_JUDGE_SCORE"

// TestJudgeProgramHelper is not a test: it is the judge program
// TestVerifyJudge runs, by running the test binary again.
func TestJudgeProgramHelper(t *testing.T) {
	score := os.Getenv(judgeScoreEnv)
	if score == "" {
		t.Skip("run as a judge program by TestVerifyJudge")
	}
	var req struct {
		Scenario struct {
			Description string `json:"description"`
		} `json:"scenario"`
		Events []json.RawMessage `json:"events"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "bad request:", err)
		os.Exit(4)
	}
	if req.Scenario.Description != "Bid for cpu." || len(req.Events) == 0 {
		fmt.Fprintf(os.Stderr, "unexpected request: %q, %d events\n", req.Scenario.Description, len(req.Events))
		os.Exit(5)
	}
	io.Copy(io.Discard, os.Stdin)
	fmt.Printf(`{"scores": {"quality": %s}}`+"\n", score)
	os.Exit(0)
}

// TestVerifyJudge runs verify with --judge: the program's score decides
// the judge rule, and without --judge (and no judge_evaluation on the
// stream) the scenario is not evaluated.
func TestVerifyJudge(t *testing.T) {
	if strings.ContainsAny(os.Args[0], " \t") {
		t.Skip("the test binary's path has white space, which --judge splits on")
	}
	path := quickstartStream(t)
	scenario := writeFile(t, "judged.json", `{"task_id": "j1", "description": "Bid for cpu.",
		"validation": {"judge_evaluation": {"criteria": ["quality"], "pass_threshold": "0.8"}}}`)
	judge := os.Args[0] + " -test.run=^TestJudgeProgramHelper$"
	args := append([]string{"--events", path, "--scenario", scenario}, complete...)
	tests := []struct {
		score string
		args  []string
		code  int
		text  string
	}{
		{"0.8", []string{"--judge", judge}, exitPass, "judge_score 0.8 >= threshold 0.8"},
		{`"0.79999999999999999999"`, []string{"--judge", judge}, exitFail, "judge_score 0.79999999999999999999 < threshold 0.8"},
		{"bad", []string{"--judge", judge}, exitNotEvaluated, "judge failed"},
		{"0.9", nil, exitNotEvaluated, "no judge configured"},
	}
	for _, tt := range tests {
		t.Run(tt.score, func(t *testing.T) {
			t.Setenv(judgeScoreEnv, tt.score)
			out, errs, code := verifyArgs(t, nil, append(args, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.text) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tt.code, tt.text, out, errs)
			}
		})
	}
}
