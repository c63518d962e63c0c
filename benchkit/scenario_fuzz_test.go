package benchkit_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// FuzzLoadScenario feeds LoadScenario any bytes: it must never panic,
// must fail only with a *ScenarioError, and a scenario it loads must
// evaluate over a small stream without panicking.
func FuzzLoadScenario(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(sampleDir, "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	// The older layout, every criterion type.
	f.Add([]byte(`{"id":"o","name":"n","category":"c","difficulty":2,"required_resources":{"cpu_percent":0.5,"duration_seconds":1.5},
		"validation_criteria":[{"type":"log_match","pattern":"act(ive)?"},{"type":"event_present","event_type":"bid_placed","order_id":"o1"},
		{"type":"event_absent","event_type":"bid_rejected"},{"type":"resource_limit","resource":"tokens_used","max":"<=10"},{"type":"custom_check","x":1}]}`))
	// Descriptive names, synonyms, a judge under another key, a top-level condition.
	f.Add([]byte(`{"task_id":"d","success_condition":"budget_kept AND NOT quality_bad","validation":{"resource_consumption":{"cost":"<=5"},
		"output_quality":{"type":"llm_judge","criterion":"c","threshold":2},"required_events":[{"type":"x_done","data.y":"z"}]}}`))
	f.Add([]byte(`{"task_id":"a","validation":{"required_event_sequence":[{"type":"bid_placed","label":"x"},{"type":"bid_placed","constraints":{"total_cost":"<=50%x.total_cost"}}],"success_condition":"x_succeeded"}}`))
	f.Add([]byte(`{"task_id":"a","validation":{"ordering_constraints":["a BEFORE b"]}}`))
	f.Add([]byte(`{"task_id":"a","initial_state":{"agent_balance":1e999999999},"validation":{}}`))
	f.Add([]byte(`{`))
	stream := newRun("c").bid("alice", "o1", "100").reject("alice", "o1").
		agent("alice", events.TypeReasoningTrace, `{"t":"adjust_bid"}`).bid("alice", "o2", "50").
		agent("alice", events.TypeServiceInvoked, `{"service_name":"data_fetch","status":"ok"}`).evs
	f.Fuzz(func(t *testing.T, b []byte) {
		strict, serr := benchkit.LoadOptions{Strict: true}.Load(strings.NewReader(string(b)))
		s, err := benchkit.LoadScenario(strings.NewReader(string(b)))
		for _, e := range []error{err, serr} {
			var se *benchkit.ScenarioError
			if e != nil && !errors.As(e, &se) {
				t.Fatalf("error %v is not a *ScenarioError", e)
			}
		}
		if serr == nil && err != nil {
			t.Fatalf("loads strictly but not leniently: %v", err)
		}
		if err != nil {
			return
		}
		if strict != nil && len(strict.Rules) != len(s.Rules) {
			t.Fatalf("strict and lenient loads differ: %d and %d rules", len(strict.Rules), len(s.Rules))
		}
		if a, b := s.Bindings(), s.Bindings(); !maps.Equal(a, b) {
			t.Fatalf("bindings not deterministic: %v, %v", a, b)
		}
		res := s.Evaluate(context.Background(), stream, benchkit.EvalOptions{Agent: "alice", Judge: fakeJudge("3")})
		_ = benchkit.FormatResult(res)
	})
}

// FuzzCondition feeds ParseCondition any text: it must never panic, and a
// condition it parses must be usable in a scenario.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{"a AND b", "NOT (a OR b) AND c >= 3.5", "judge_score >= threshold", "((((a))))", "a <= -1", "x.y != .5", ")(", "NOT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := benchkit.ParseCondition(text)
		if err != nil {
			if !errors.Is(err, benchkit.ErrCondition) {
				t.Fatalf("error %v does not wrap ErrCondition", err)
			}
			return
		}
		s := &benchkit.Scenario{ID: "f", Rules: []benchkit.Rule{&benchkit.ExternalRule{RuleKind: "x"}}, Condition: c}
		_ = s.Validate()
		_ = s.Evaluate(context.Background(), newRun("c").bid("a", "o", "1").evs, benchkit.EvalOptions{})
	})
}
