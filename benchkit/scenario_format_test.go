package benchkit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// Scenario files as people write them: both layouts, descriptive names,
// synonyms, misplaced and misspelt keys.

func TestEverySampleLoadsStrictly(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(sampleDir, "*.json"))
	if err != nil || len(paths) < 7 {
		t.Fatalf("samples: %v %v", paths, err)
	}
	for _, p := range paths {
		if _, err := (benchkit.LoadOptions{Strict: true}).LoadFile(p); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}

func TestDescriptiveNamesBind(t *testing.T) {
	for file, want := range map[string]map[string]string{
		"si_002.json": {"change_applied": "required_events[0]", "tests_passed": "required_events[2]"},
		"fc_004.json": {"within_budget": "resource_consumption", "acceptable_quality": "output_quality"},
		"fc_003.json": {},
	} {
		s := loadSample(t, file)
		if diff := cmp.Diff(want, s.Bindings()); diff != "" {
			t.Errorf("%s bindings (-want +got):\n%s", file, diff)
		}
	}
}

func TestBindOverridesTheRule(t *testing.T) {
	text := `{"task_id":"t","validation":{"required_events":[{"type":"a_happened"},{"type":"b_happened"}],"success_condition":"done"}}`
	if _, err := (benchkit.LoadOptions{Strict: true}).Load(strings.NewReader(text)); !errors.Is(err, benchkit.ErrUnknownOutcome) {
		t.Fatalf("strict, unbound: %v, want ErrUnknownOutcome", err)
	}
	s, err := benchkit.LoadOptions{Strict: true, Bind: map[string]string{"done": "required_events[1]"}}.Load(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	r := newRun("c").agent("alice", "a_happened", `{}`).agent("alice", "b_happened", `{}`)
	if res := eval(s, r.evs, benchkit.EvalOptions{}); res.Verdict != benchkit.Pass {
		t.Errorf("bound: %s", benchkit.FormatResult(res))
	}
	if _, err := (benchkit.LoadOptions{Bind: map[string]string{"done": "required_events[5]"}}).Load(strings.NewReader(text)); err == nil {
		t.Error("a binding to a step that does not exist loaded")
	}
}

func TestUnboundNamesAreNotEvaluated(t *testing.T) {
	s := load(t, `{"task_id":"t","validation":{"required_events":[{"type":"x"}],"success_condition":"all_required_present AND vibes"}}`)
	pass := newRun("c").agent("alice", "x", `{}`)
	res := eval(s, pass.evs, benchkit.EvalOptions{})
	if res.Verdict != benchkit.NotEvaluated || len(res.Unbound) != 1 || !strings.Contains(res.Reason, "vibes") {
		t.Errorf("unbound name: %s %v", benchkit.FormatResult(res), res.Unbound)
	}
	fail := newRun("c").agent("alice", "y", `{}`)
	if res := eval(s, fail.evs, benchkit.EvalOptions{}); res.Verdict != benchkit.Fail {
		t.Errorf("false AND unknown: %s, want fail", res.Verdict)
	}
}

func TestStrictRefusesWhatItDoesNotKnow(t *testing.T) {
	cases := []struct{ name, text, path string }{
		{"misspelt rule", `{"task_id":"t","validation":{"required_events":[{"type":"x"}],"forbiden_events":[{"type":"y"}]}}`, "validation.forbiden_events"},
		{"condition at the top", `{"task_id":"t","validation":{"required_events":[{"type":"x"}]},"success_condition":"all_required_present"}`, "success_condition"},
		{"unknown top key", `{"task_id":"t","validaton":{},"validation":{"required_events":[{"type":"x"}]}}`, "validaton"},
		{"unknown criterion", `{"id":"t","validation_criteria":[{"type":"log_matches","pattern":"x"}]}`, "validation_criteria[0].type"},
		{"unbound number", `{"task_id":"t","validation":{"required_events":[{"type":"x"}],"success_condition":"judge_score >= 3"}}`, "validation.success_condition"},
		{"judge key", `{"task_id":"t","validation":{"judge_evaluation":{"criteria":["c"],"threshold":3,"model":"x"}}}`, "validation.judge_evaluation.model"},
		{"criterion key", `{"id":"t","validation_criteria":[{"type":"resource_limit","resource":"tokens","max":5,"window_seconds":60}]}`, "validation_criteria[0].window_seconds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := benchkit.LoadOptions{Strict: true}.Load(strings.NewReader(c.text))
			var se *benchkit.ScenarioError
			if !errors.As(err, &se) || se.Path != c.path {
				t.Fatalf("strict: %v, want an error at %s", err, c.path)
			}
			if _, err := benchkit.LoadScenario(strings.NewReader(c.text)); err != nil {
				t.Errorf("not strict: %v", err)
			}
		})
	}
	_, err := benchkit.LoadOptions{Strict: true}.Load(strings.NewReader(cases[0].text))
	if !strings.Contains(err.Error(), `did you mean "forbidden_events"`) {
		t.Errorf("no suggestion: %v", err)
	}
	ok := `{"task_id":"t","validation":{"required_events":[{"type":"x"}],"my_rule":{}}}`
	if _, err := (benchkit.LoadOptions{Strict: true, Kinds: []string{"my_rule"}}).Load(strings.NewReader(ok)); err != nil {
		t.Errorf("a kind the caller decides: %v", err)
	}
}

func TestMisplacedConditionStillDecides(t *testing.T) {
	s := load(t, `{"task_id":"t","success_condition":"no_forbidden_present","validation":{"required_events":[{"type":"x"}],"forbidden_events":[{"type":"bad"}]}}`)
	if s.Condition == nil {
		t.Fatal("a success_condition at the top level was dropped")
	}
	r := newRun("c").agent("alice", "x", `{}`).agent("alice", "bad", `{}`)
	if res := eval(s, r.evs, benchkit.EvalOptions{}); res.Verdict != benchkit.Fail {
		t.Errorf("forbidden event present: %s", res.Verdict)
	}
}

func TestMisspeltRuleNeverPasses(t *testing.T) {
	s := load(t, `{"task_id":"t","validation":{"required_events":[{"type":"x"}],"forbiden_events":[{"type":"bad"}]}}`)
	r := newRun("c").agent("alice", "x", `{}`).agent("alice", "bad", `{}`)
	if res := eval(s, r.evs, benchkit.EvalOptions{}); res.Verdict == benchkit.Pass || !strings.Contains(res.Reason, "forbidden_events") {
		t.Errorf("misspelt rule: %s", benchkit.FormatResult(res))
	}
}

func TestJudgeSynonyms(t *testing.T) {
	for _, text := range []string{
		`{"task_id":"t","validation":{"judge_evaluation":{"criteria":["c"],"threshold":3}}}`,
		`{"task_id":"t","validation":{"output_quality":{"type":"llm_judge","criterion":"c","threshold":3.0}}}`,
		`{"task_id":"t","validation":{"judge_evaluation":{"criteria":["c"],"threshold":3,"pass_threshold":"3.0"}}}`,
	} {
		s := load(t, text)
		if res := eval(s, newRun("c").agent("alice", "x", `{}`).evs, benchkit.EvalOptions{Judge: fakeJudge("3")}); res.Verdict != benchkit.Pass {
			t.Errorf("%s: %s", text, benchkit.FormatResult(res))
		}
	}
	bad := `{"task_id":"t","validation":{"judge_evaluation":{"criteria":["c"],"threshold":3,"pass_threshold":4}}}`
	if _, err := benchkit.LoadScenario(strings.NewReader(bad)); err == nil {
		t.Error("two different thresholds loaded")
	}
}

func TestJudgeVerdictOnTheStream(t *testing.T) {
	s := load(t, `{"task_id":"er_001","validation":{"judge_evaluation":{"criteria":["reasoning","outcome"],"pass_threshold":3}}}`)
	judge := func(scenario, score string, passed bool) *run {
		return newRun("c").agent("alice", events.TypeReasoningTrace, `{}`).add(events.SourceJudge, "alice",
			events.JudgeEvaluation{Judge: "j", AgentID: "alice", Scenario: scenario, Overall: events.Decimal(score), Passed: passed,
				Criteria: map[string]events.Decimal{"reasoning": events.Decimal(score), "outcome": events.Decimal(score)}})
	}
	noScore := func(passed bool) *run {
		return newRun("c").agent("alice", events.TypeReasoningTrace, `{}`).
			add(events.SourceJudge, "alice", events.Raw{Type: events.TypeJudgeEvaluation, JSON: []byte(fmt.Sprintf(`{"judge":"j","agent_id":"alice","scenario":"er_001","passed":%t}`, passed))})
	}
	forged := newRun("c").agent("alice", events.TypeJudgeEvaluation, `{"judge":"j","agent_id":"alice","scenario":"er_001","overall":"5","passed":true}`)
	for _, c := range []struct {
		name string
		run  *run
		want benchkit.Verdict
	}{
		{"no score, passed", noScore(true), benchkit.Pass},
		{"no score, failed", noScore(false), benchkit.Fail},
		{"from an agent", forged, benchkit.NotEvaluated},
		{"passed", judge("er_001", "4", true), benchkit.Pass},
		{"failed", judge("er_001", "2", false), benchkit.Fail},
		{"another scenario", judge("fc_001", "4", true), benchkit.NotEvaluated},
		{"no judge", newRun("c").agent("alice", events.TypeReasoningTrace, `{}`), benchkit.NotEvaluated},
	} {
		if res := eval(s, c.run.evs, benchkit.EvalOptions{Agent: "alice"}); res.Verdict != c.want {
			t.Errorf("%s: %s, want %s", c.name, benchkit.FormatResult(res), c.want)
		}
	}
}

func TestOlderLayout(t *testing.T) {
	s := loadSample(t, "fc001.json")
	if s.ID != "fc001" || s.Domain != "functional_competence" || s.Required.Duration.Seconds() != 5 || s.Required.Shares["cpu"].String() != "0.1" {
		t.Fatalf("header: %+v", s)
	}
	active := newRun("c").agent("alice", events.TypeReasoningTrace, `{"status":"agent is active"}`)
	if res := eval(s, active.evs, benchkit.EvalOptions{Agent: "alice"}); res.Verdict != benchkit.Pass {
		t.Errorf("active: %s", benchkit.FormatResult(res))
	}
	idle := newRun("c").agent("alice", events.TypeReasoningTrace, `{"status":"idle"}`)
	if res := eval(s, idle.evs, benchkit.EvalOptions{Agent: "alice"}); res.Verdict != benchkit.Fail {
		t.Errorf("idle: %s", benchkit.FormatResult(res))
	}
	mixed := load(t, `{"id":"m","validation_criteria":[
		{"type":"event_present","event_type":"tool_call_completed","tool_name":"x"},
		{"type":"event_absent","event_type":"service_denied"},
		{"type":"resource_limit","resource":"tokens_used","max":100},
		{"type":"log_match","pattern":"^ok"}]}`)
	good := newRun("c").agent("alice", events.TypeToolCallCompleted, `{"tool_name":"x","status":"ok"}`).usage("alice", "tokens", 50)
	if res := eval(mixed, good.evs, benchkit.EvalOptions{Agent: "alice"}); res.Verdict != benchkit.Pass {
		t.Errorf("criteria met: %s", benchkit.FormatResult(res))
	}
	over := newRun("c").agent("alice", events.TypeToolCallCompleted, `{"tool_name":"x","status":"ok"}`).usage("alice", "tokens", 150)
	if res := eval(mixed, over.evs, benchkit.EvalOptions{Agent: "alice"}); res.Verdict != benchkit.Fail {
		t.Errorf("over the limit: %s", benchkit.FormatResult(res))
	}
}

func TestBudgetKeys(t *testing.T) {
	s := loadSample(t, "fc_004.json")
	rc := ruleOf(t, eval(s, newRun("c").usage("alice", "tokens", 250).evs, benchkit.EvalOptions{Agent: "alice"}), benchkit.KindResourceConsumption)
	if rc.Verdict != benchkit.Fail {
		t.Errorf("tokens_used over 200: %s %s", rc.Verdict, rc.Reason)
	}
	credits := load(t, `{"task_id":"t","validation":{"resource_consumption":{"credits_consumed":"<=1","cost":"<=1"}}}`)
	if rr := ruleOf(t, eval(credits, newRun("c").usage("alice", "tokens", 5).evs, benchkit.EvalOptions{}), benchkit.KindResourceConsumption); rr.Verdict != benchkit.Pass {
		t.Errorf("credits aliases: %s %s", rr.Verdict, rr.Reason)
	}
	gpu := load(t, `{"task_id":"t","validation":{"resource_consumption":{"gpu_used":"<=1"}}}`)
	r := newRun("c").usage("alice", "tokens", 5)
	if rr := ruleOf(t, eval(gpu, r.evs, benchkit.EvalOptions{}), benchkit.KindResourceConsumption); rr.Verdict != benchkit.NotEvaluated || !strings.Contains(rr.Reason, "gpu") {
		t.Errorf("a resource the market lacks: %s %s", rr.Verdict, rr.Reason)
	}
	if rr := ruleOf(t, eval(gpu, r.evs, benchkit.EvalOptions{Resources: []string{"gpu"}}), benchkit.KindResourceConsumption); rr.Verdict != benchkit.Pass {
		t.Errorf("a resource named by the caller, unused: %s %s", rr.Verdict, rr.Reason)
	}
}

func TestStreamsFromFilesKeepEveryField(t *testing.T) {
	s := loadSample(t, "si_002.json")
	r := newRun("c").agent("alice", "code_change_applied", `{"agent_id":"alice"}`).
		add(events.SourceAgent, "alice", events.ToolCallInitiated{AgentID: "alice", ToolName: "test.run", CallID: "k1"}).
		add(events.SourceAgent, "alice", events.ToolCallCompleted{AgentID: "alice", ToolName: "test.run", CallID: "k1", Status: "success"})
	// The typed tool_call_completed does not declare test_results: write
	// the stream with it added, as another system would.
	var buf bytes.Buffer
	if err := benchkit.WriteJSONL(&buf, r.evs); err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(buf.String(), `"status":"success"`, `"status":"success","test_results":"all_passed"`, 1)
	evs, err := benchkit.ReadJSONL(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if res := eval(s, evs, benchkit.EvalOptions{Agent: "alice"}); res.Verdict != benchkit.Pass {
		t.Fatalf("read from a file: %s", benchkit.FormatResult(res))
	}
	if err := benchkit.Check(evs); err != nil {
		t.Errorf("checks over the kept fields: %v", err)
	}
	buf.Reset()
	if err := benchkit.WriteJSONL(&buf, evs); err != nil || !strings.Contains(buf.String(), "all_passed") {
		t.Errorf("written again: %v, kept the field: %v", err, strings.Contains(buf.String(), "all_passed"))
	}
}

// Every rule kind decides the same on a stream in memory and read back
// from JSON Lines; fields another system added to the data, at the top or
// nested, survive reading and writing again.
func TestSameVerdictFromFiles(t *testing.T) {
	cases := ruleCases()
	probeTop := load(t, `{"id":"p","validation_criteria":[{"type":"log_match","pattern":"^extra_value$"}]}`)
	probeNested := load(t, `{"id":"p","validation_criteria":[{"type":"log_match","pattern":"^nested_value$"}]}`)
	rapid.Check(t, func(t *rapid.T) {
		c := rapid.SampledFrom(cases).Draw(t, "case")
		r := c.pass
		if rapid.Bool().Draw(t, "failing") {
			r = c.fail
		}
		s, err := benchkit.LoadScenario(strings.NewReader(c.scenario()))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := benchkit.WriteJSONL(&buf, r.evs); err != nil {
			t.Fatal(err)
		}
		text, extra := buf.String(), rapid.Bool().Draw(t, "extra")
		top, nested := false, false
		if extra {
			text, top, nested = addFields(t, text, rapid.Bool().Draw(t, "top"))
		}
		evs, err := benchkit.ReadJSONL(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		opts := benchkit.EvalOptions{Correlation: "c", Agent: "alice"}
		mem, file := eval(s, r.evs, opts), eval(s, evs, opts)
		if mem.Verdict != file.Verdict {
			t.Fatalf("%s: in memory %s, from the file %s", c.name, benchkit.FormatResult(mem), benchkit.FormatResult(file))
		}
		if !extra {
			return
		}
		buf.Reset()
		if err := benchkit.WriteJSONL(&buf, evs); err != nil {
			t.Fatal(err)
		}
		again, err := benchkit.ReadJSONL(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, stream := range [][]events.Event{evs, again} {
			for _, p := range []struct {
				added bool
				s     *benchkit.Scenario
			}{{top, probeTop}, {nested, probeNested}} {
				if res := eval(p.s, stream, benchkit.EvalOptions{}); p.added && res.Verdict != benchkit.Pass {
					t.Fatalf("added fields lost: %s", benchkit.FormatResult(res))
				}
			}
		}
	})
}

// addFields adds, as another system might, a field note to the window of
// every line's data (an object its type declares) and, if top, a field
// extra_field to the data itself. It reports what it added.
func addFields(t *rapid.T, text string, top bool) (string, bool, bool) {
	var out strings.Builder
	nested := false
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		data, _ := ev["data"].(map[string]any)
		if w, ok := data["window"].(map[string]any); ok {
			w["note"], nested = "nested_value", true
		}
		if top {
			data["extra_field"] = "extra_value"
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.String(), top, nested
}
