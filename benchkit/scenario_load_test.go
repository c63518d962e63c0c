package benchkit_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
)

func TestLoadScenarioErrors(t *testing.T) {
	seq := `"required_event_sequence":[{"type":"bid_placed","label":"a"},{"type":"bid_rejected"},{"type":"bid_placed","constraints":{"total_cost":%s}}]`
	cases := []struct {
		name, text, path string
		is               error
	}{
		{"malformed", `{"task_id":`, "", nil},
		{"not an object", `[1,2]`, "", nil},
		{"trailing", `{"task_id":"x","validation":{"required_events":[{"type":"a"}]}} {}`, "", nil},
		{"no id", `{"validation":{"required_events":[{"type":"a"}]}}`, "task_id", nil},
		{"id type", `{"task_id":7,"validation":{}}`, "task_id", nil},
		{"ids differ", `{"task_id":"a","scenario_id":"b","validation":{}}`, "scenario_id", nil},
		{"no validation", `{"task_id":"a"}`, "validation", nil},
		{"no rules", `{"task_id":"a","validation":{}}`, "validation", nil},
		{"balance float text", `{"task_id":"a","initial_state":{"agent_balance":"lots"},"validation":{}}`, "initial_state.agent_balance", nil},
		{"price type", `{"task_id":"a","initial_state":{"resource_prices":{"cpu":[1]}},"validation":{}}`, "initial_state.resource_prices.cpu", nil},
		{"injected type", `{"task_id":"a","injected_events":[{"trigger":"t","event":{}}],"validation":{}}`, "injected_events[0].event.type", nil},
		{"steps type", `{"task_id":"a","validation":{"required_event_sequence":{}}}`, "validation.required_event_sequence", nil},
		{"step no type", `{"task_id":"a","validation":{"required_events":[{"tool_name":"x"}]}}`, "validation.required_events[0].type", nil},
		{"filter object", `{"task_id":"a","validation":{"required_events":[{"type":"x","tool":{"a":1}}]}}`, "validation.required_events[0].tool", nil},
		{"constraint op", `{"task_id":"a","validation":{` + strings.Replace(seq, "%s", `"~5"`, 1) + `}}`, "validation.required_event_sequence[2].constraints.total_cost", benchkit.ErrConstraint},
		{"constraint label", `{"task_id":"a","validation":{` + strings.Replace(seq, "%s", `"<b.total_cost"`, 1) + `}}`, "validation.required_event_sequence[2].constraints.total_cost", benchkit.ErrConstraint},
		{"bare percent", `{"task_id":"a","validation":{` + strings.Replace(seq, "%s", `"<=10%"`, 1) + `}}`, "validation.required_event_sequence[2].constraints.total_cost", benchkit.ErrConstraint},
		{"constraint type", `{"task_id":"a","validation":{` + strings.Replace(seq, "%s", `true`, 1) + `}}`, "validation.required_event_sequence[2].constraints.total_cost", nil},
		{"label twice", `{"task_id":"a","validation":{"required_event_sequence":[{"type":"x","label":"a"},{"type":"x","label":"a"}]}}`, "validation.required_event_sequence[1].label", nil},
		{"label outside sequence", `{"task_id":"a","validation":{"forbidden_events":[{"type":"x","label":"a"}]}}`, "validation.forbidden_events[0].label", nil},
		{"ordering syntax", `{"task_id":"a","validation":{"ordering_constraints":["a THEN b"]}}`, "validation.ordering_constraints[0]", benchkit.ErrConstraint},
		{"ordering name", `{"task_id":"a","validation":{"ordering_constraints":["bid_placed BEFORE nowhere"]}}`, "validation.ordering_constraints[0]", benchkit.ErrConstraint},
		{"judge criteria", `{"task_id":"a","validation":{"judge_evaluation":{"pass_threshold":3}}}`, "validation.judge_evaluation.criteria", nil},
		{"judge threshold", `{"task_id":"a","validation":{"judge_evaluation":{"criteria":["x"],"pass_threshold":"high"}}}`, "validation.judge_evaluation.pass_threshold", nil},
		{"condition syntax", `{"task_id":"a","validation":{"required_events":[{"type":"x"}],"success_condition":"all_required_present AND"}}`, "validation.success_condition", benchkit.ErrCondition},
		{"condition type", `{"task_id":"a","validation":{"required_events":[{"type":"x"}],"success_condition":1}}`, "validation.success_condition", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := benchkit.LoadScenario(strings.NewReader(c.text))
			var se *benchkit.ScenarioError
			if !errors.As(err, &se) || !errors.Is(err, benchkit.ErrScenario) {
				t.Fatalf("error %v, want a *ScenarioError", err)
			}
			if se.Path != c.path {
				t.Errorf("path %q, want %q (%v)", se.Path, c.path, err)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v, want %v", err, c.is)
			}
		})
	}
}

func TestLoadScenarioKeepsUnknown(t *testing.T) {
	s := load(t, `{"scenario_id":"s","notes":{"x":1},"validation":{"required_events":[{"type":"bid_placed","amount":1e2}],"code_quality":[1]}}`)
	if string(s.Extra["notes"]) != `{"x":1}` {
		t.Errorf("extra %s", s.Extra["notes"])
	}
	if len(s.Rules) != 2 || s.Rules[1].Kind() != "code_quality" {
		t.Errorf("rules %v", s.Rules)
	}
	r := newRun("c").add("market", "alice", mustRaw("bid_placed", `{"amount":100.0}`))
	if res := eval(s, r.evs, benchkit.EvalOptions{}); ruleOf(t, res, benchkit.KindRequiredEvents).Verdict != benchkit.Pass {
		t.Errorf("1e2 filter does not match 100.0: %s", benchkit.FormatResult(res))
	}
}

func TestScenarioInGo(t *testing.T) {
	c, err := benchkit.ParseConstraint("total_cost", "<=250")
	if err != nil {
		t.Fatal(err)
	}
	cond, err := benchkit.ParseCondition("all_required_present AND no_forbidden_present")
	if err != nil {
		t.Fatal(err)
	}
	s := &benchkit.Scenario{
		ID: "go_built",
		Rules: []benchkit.Rule{
			&benchkit.RequiredSequence{Steps: []benchkit.Step{{Type: "balance_queried"}, {Type: "bid_placed", Constraints: []benchkit.Constraint{c}}}},
			&benchkit.ForbiddenEvents{Events: []benchkit.Step{{Type: "bid_rejected"}}},
		},
		Condition: cond,
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	r := newRun("c").balance("alice", "300").bid("alice", "o1", "250")
	benchkit.AssertScenario(t, s, r.evs)
	s.Rules = append(s.Rules, &benchkit.ForbiddenEvents{})
	if err := s.Validate(); !errors.Is(err, benchkit.ErrScenario) {
		t.Errorf("two forbidden rules: %v", err)
	}
}
