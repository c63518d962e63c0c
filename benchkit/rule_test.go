package benchkit_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// ruleCase is a scenario validation block with a passing and a failing
// stream, and the index of the failing stream's event that must be named.
type ruleCase struct {
	name       string
	validation string // the validation block, or a whole scenario of the older layout
	pass, fail *run
	kind       string
	names      int // -1: the failure names no event
}

// scenario returns the case's scenario text.
func (c ruleCase) scenario() string {
	if strings.HasPrefix(c.validation, `{"id"`) {
		return c.validation
	}
	return `{"task_id":"t","validation":` + c.validation + `}`
}

func ruleCases() []ruleCase {
	seqPass := newRun("c").
		agent("alice", events.TypeToolCallInitiated, `{"tool_name":"market.bid"}`).
		agent("bob", events.TypeReasoningTrace, `{"x":"noise"}`).
		bid("alice", "o1", "100")
	return []ruleCase{
		{"sequence", `{"required_event_sequence":[{"type":"tool_call_initiated","tool_name":"market.bid"},{"type":"bid_placed","data.order_id":"o1","constraints":{"total_cost":"<=100"}}]}`,
			seqPass,
			newRun("c").agent("alice", events.TypeToolCallInitiated, `{"tool_name":"market.bid"}`).bid("alice", "o1", "100.5"),
			benchkit.KindRequiredSequence, 1},
		{"sequence order", `{"required_event_sequence":[{"type":"balance_queried"},{"type":"bid_placed"}]}`,
			newRun("c").balance("alice", "5").bid("alice", "o1", "1"),
			newRun("c").bid("alice", "o1", "1").balance("alice", "5"),
			benchkit.KindRequiredSequence, -1},
		{"sequence envelope filter", `{"required_event_sequence":[{"type":"bid_placed","source":"market","subject":"alice","sequence":2}]}`,
			newRun("c").bid("alice", "o1", "1").bid("alice", "o2", "1"),
			newRun("c").bid("alice", "o1", "1"),
			benchkit.KindRequiredSequence, 0},
		{"required events", `{"required_events":[{"type":"bid_placed"},{"type":"balance_queried","balance":"5.0"}]}`,
			newRun("c").bid("alice", "o1", "1").balance("alice", "5"),
			newRun("c").bid("alice", "o1", "1").balance("alice", "6"),
			benchkit.KindRequiredEvents, 1},
		{"forbidden", `{"forbidden_events":[{"type":"bid_rejected","reason":"insufficient_balance"}]}`,
			newRun("c").bid("alice", "o1", "1"),
			newRun("c").bid("alice", "o1", "1").reject("alice", "o1"),
			benchkit.KindForbiddenEvents, 1},
		{"ordering by type", `{"ordering_constraints":["balance_queried BEFORE bid_placed"]}`,
			newRun("c").balance("alice", "5").bid("alice", "o1", "1"),
			newRun("c").bid("alice", "o1", "1").balance("alice", "5"),
			benchkit.KindOrdering, 0},
		{"resource consumption", `{"resource_consumption":{"tokens":"<=100","cpu":5}}`,
			newRun("c").usage("alice", "tokens", 60).usage("alice", "tokens", 40).usage("alice", "cpu", 5),
			newRun("c").usage("alice", "tokens", 60).usage("alice", "tokens", 41),
			benchkit.KindResourceConsumption, 1},
		{"log match", `{"id":"t","validation_criteria":[{"type":"log_match","pattern":"\\bactive\\b"}]}`,
			newRun("c").agent("alice", events.TypeReasoningTrace, `{"content":"status: active"}`),
			newRun("c").agent("alice", events.TypeReasoningTrace, `{"content":"status: inactive"}`),
			benchkit.KindLogMatch, -1},
		{"judge on the stream", `{"judge_evaluation":{"criteria":["c"],"threshold":3}}`,
			newRun("c").agent("alice", events.TypeReasoningTrace, `{}`).judged("alice", "4"),
			newRun("c").agent("alice", events.TypeReasoningTrace, `{}`).judged("alice", "2"),
			benchkit.KindJudge, 1},
		{"contains", `{"required_events":[{"type":"reasoning_trace","contains":"adjust_bid"}]}`,
			newRun("c").agent("alice", events.TypeReasoningTrace, `{"steps":[{"note":"then adjust_bid"}]}`),
			newRun("c").agent("alice", events.TypeReasoningTrace, `{"adjust_bid":"key, not value"}`),
			benchkit.KindRequiredEvents, 0},
	}
}

func TestRuleKinds(t *testing.T) {
	for _, c := range ruleCases() {
		t.Run(c.name, func(t *testing.T) {
			s := load(t, c.scenario())
			opts := benchkit.EvalOptions{Correlation: "c", Agent: "alice"}
			if res := eval(s, c.pass.evs, opts); res.Verdict != benchkit.Pass {
				t.Fatalf("passing stream: %s", benchkit.FormatResult(res))
			}
			res := eval(s, c.fail.evs, opts)
			rr := ruleOf(t, res, c.kind)
			if res.Verdict != benchkit.Fail || rr.Verdict != benchkit.Fail || rr.Reason == "" {
				t.Fatalf("failing stream: %s", benchkit.FormatResult(res))
			}
			if c.names >= 0 && !decidedBy(rr, c.fail.evs[c.names].ID) {
				t.Errorf("failure %q names %v, want %s", rr.Reason, rr.Events, c.fail.evs[c.names].ID)
			}
		})
	}
}

func TestOwnScenarioFile(t *testing.T) {
	s, err := benchkit.LoadScenarioFile("testdata/scenarios/budget_retry.json")
	if err != nil {
		t.Fatal(err)
	}
	good := func() *run {
		return newRun("x").balance("alice", "200.5").bid("alice", "o1", "200").reject("alice", "o1").
			agent("alice", events.TypeReasoningTrace, `{"plan":"retry lower"}`).bid("alice", "o2", "180").usage("alice", "tokens", 900)
	}
	if res := eval(s, good().evs, benchkit.EvalOptions{Agent: "alice"}); res.Verdict != benchkit.Pass {
		t.Fatalf("good: %s", benchkit.FormatResult(res))
	}
	// 180.01 is above 90 % of 200: the percentage is exact.
	bad := newRun("x").balance("alice", "200.5").bid("alice", "o1", "200").reject("alice", "o1").
		agent("alice", events.TypeReasoningTrace, `{"plan":"retry lower"}`).bid("alice", "o2", "180.01")
	res := eval(s, bad.evs, benchkit.EvalOptions{Agent: "alice"})
	if res.Verdict != benchkit.Fail || !strings.Contains(res.Reason, "180.01 is not <= 180") {
		t.Fatalf("bad: %s", benchkit.FormatResult(res))
	}
	// A first bid above the initial balance does not match the first step.
	over := newRun("x").bid("alice", "o1", "200.51")
	if res := eval(s, over.evs, benchkit.EvalOptions{}); !strings.Contains(ruleOf(t, res, benchkit.KindRequiredSequence).Reason, "200.51 is not <= 200.50") {
		t.Errorf("over: %s", ruleOf(t, res, benchkit.KindRequiredSequence).Reason)
	}
}

func TestScoping(t *testing.T) {
	s := load(t, `{"task_id":"t","validation":{"required_events":[{"type":"bid_placed"}],"forbidden_events":[{"type":"bid_rejected"}]}}`)
	mine := newRun("mine").bid("alice", "o1", "1")
	other := newRun("other").reject("alice", "o9")
	bob := newRun("mine").reject("bob", "o2")
	evs := append(append(append([]events.Event{}, mine.evs...), other.evs...), bob.evs...)
	if res := eval(s, evs, benchkit.EvalOptions{Correlation: "mine", Agent: "alice"}); res.Verdict != benchkit.Pass {
		t.Errorf("scoped: %s", benchkit.FormatResult(res))
	}
	if res := eval(s, evs, benchkit.EvalOptions{}); res.Verdict != benchkit.Fail {
		t.Errorf("unscoped: %s, want fail", res.Verdict)
	}
	if res := eval(s, evs, benchkit.EvalOptions{Correlation: "mine", Agent: "bob"}); res.Verdict != benchkit.Fail {
		t.Errorf("bob: %s, want fail (no bid of bob's, his own rejection)", res.Verdict)
	}
}

func TestNeverVacuous(t *testing.T) {
	s := load(t, `{"task_id":"t","validation":{"forbidden_events":[{"type":"bid_rejected"}]}}`)
	if res := eval(s, nil, benchkit.EvalOptions{}); res.Verdict != benchkit.Fail {
		t.Errorf("empty stream: %s, want fail", res.Verdict)
	}
	r := newRun("c").bid("alice", "o1", "1")
	if res := eval(s, r.evs, benchkit.EvalOptions{Correlation: "other"}); res.Verdict != benchkit.Fail {
		t.Errorf("no event of the run: %s, want fail", res.Verdict)
	}
	ext := load(t, `{"task_id":"t","validation":{"output_quality":{"min":3}}}`)
	if res := eval(ext, r.evs, benchkit.EvalOptions{}); res.Verdict != benchkit.NotEvaluated {
		t.Errorf("unevaluated rules only: %s", res.Verdict)
	}
}

func TestExternalEvaluator(t *testing.T) {
	s := load(t, `{"task_id":"t","validation":{"output_quality":{"rubric":"concise"},"success_condition":"output_quality AND quality >= 4"}}`)
	r := newRun("c").agent("alice", events.TypeToolCallInitiated, `{"tool_name":"output.submit"}`)
	if res := eval(s, r.evs, benchkit.EvalOptions{}); res.Verdict != benchkit.NotEvaluated {
		t.Fatalf("no evaluator: %s", res.Verdict)
	}
	quality := func(score int64) benchkit.Evaluators {
		return benchkit.Evaluators{"output_quality": benchkit.EvaluatorFunc(func(_ context.Context, rule *benchkit.ExternalRule, tr []events.Event) (benchkit.RuleResult, error) {
			var cfg map[string]string
			if err := json.Unmarshal(rule.Config, &cfg); err != nil || cfg["rubric"] != "concise" || len(tr) != 1 {
				t.Errorf("config %s, transcript %d events", rule.Config, len(tr))
			}
			return benchkit.RuleResult{Verdict: benchkit.Pass, Values: map[string]benchkit.Ratio{"quality": benchkit.RatioOf(apd.New(score, 0))}}, nil
		})}
	}
	if res := eval(s, r.evs, benchkit.EvalOptions{Evaluators: quality(4)}); res.Verdict != benchkit.Pass {
		t.Errorf("quality 4: %s", benchkit.FormatResult(res))
	}
	if res := eval(s, r.evs, benchkit.EvalOptions{Evaluators: quality(3)}); res.Verdict != benchkit.Fail {
		t.Errorf("quality 3: %s", res.Verdict)
	}
	bad := load(t, `{"task_id":"t","validation":{"output_quality":{},"success_condition":"nope >= 1"}}`)
	plain := benchkit.Evaluators{"output_quality": benchkit.EvaluatorFunc(func(context.Context, *benchkit.ExternalRule, []events.Event) (benchkit.RuleResult, error) {
		return benchkit.RuleResult{Verdict: benchkit.Pass}, nil
	})}
	res := eval(bad, r.evs, benchkit.EvalOptions{Evaluators: plain})
	if res.Verdict != benchkit.NotEvaluated || res.Err == nil {
		t.Errorf("undefined number at evaluation: %s, err %v", res.Verdict, res.Err)
	}
}

func TestJudgeMeanIsExact(t *testing.T) {
	s := load(t, `{"task_id":"t","validation":{"judge_evaluation":{"criteria":["a","b","c"],"pass_threshold":"3.3333333333333333333333333333333333333"}}}`)
	r := newRun("c").agent("alice", events.TypeReasoningTrace, `{}`)
	judge := benchkit.JudgeFunc(func(context.Context, benchkit.JudgeRequest) (map[string]*apd.Decimal, error) {
		return map[string]*apd.Decimal{"a": apd.New(3, 0), "b": apd.New(3, 0), "c": apd.New(4, 0)}, nil
	})
	res := eval(s, r.evs, benchkit.EvalOptions{Judge: judge})
	if res.Verdict != benchkit.Pass || ruleOf(t, res, benchkit.KindJudge).Values["judge_score"].String() != "10/3" {
		t.Fatalf("10/3 >= 3.33…3: %s", benchkit.FormatResult(res))
	}
}

func TestMalformedEventReported(t *testing.T) {
	s := load(t, `{"task_id":"t","validation":{"required_events":[{"type":"reasoning_trace","decision":"x"}]}}`)
	r := newRun("c").agent("alice", events.TypeReasoningTrace, `{"decision":`)
	r.evs = append(r.evs, events.Event{ID: "no-data", Type: "reflection"})
	res := eval(s, r.evs, benchkit.EvalOptions{})
	if res.Verdict != benchkit.Fail || len(res.Malformed) != 2 {
		t.Fatalf("verdict %s, malformed %v", res.Verdict, res.Malformed)
	}
}

func TestAssertScenario(t *testing.T) {
	s := load(t, `{"task_id":"fc","validation":{"forbidden_events":[{"type":"bid_rejected"}]}}`)
	r := newRun("c").bid("alice", "o1", "1").reject("alice", "o1")
	var tb recordTB
	benchkit.AssertScenario(&tb, s, r.evs, benchkit.EvalOptions{Agent: "alice"})
	if len(tb.msgs) != 1 || !strings.Contains(tb.msgs[0], "forbidden_events: fail") || !strings.Contains(tb.msgs[0], r.evs[1].ID) {
		t.Fatalf("reported %q", tb.msgs)
	}
	tb.msgs = nil
	benchkit.AssertScenario(&tb, s, r.evs[:1])
	if len(tb.msgs) != 0 {
		t.Errorf("passing stream reported %q", tb.msgs)
	}
}

func TestGaps(t *testing.T) {
	s := load(t, `{"task_id":"t","injected_events":[{"trigger":"now","event":{"type":"bid_rejected"}}],
		"validation":{"required_event_sequence":[{"type":"bid_placed"},{"type":"tool_call_initiated"},{"type":"telepathy"}],
		"judge_evaluation":{"criteria":["a"],"pass_threshold":1}}}`)
	var got []string
	for _, g := range s.Gaps() {
		got = append(got, string(g.Type)+"/"+string(g.Emitter)+"@"+g.Path)
	}
	want := "tool_call_initiated/agent@validation.required_event_sequence[1] telepathy/@validation.required_event_sequence[2] judge_evaluation/judge@validation.judge_evaluation"
	if strings.Join(got, " ") != want {
		t.Errorf("gaps\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestNoFloats keeps floating point out of the scenario engine.
func TestNoFloats(t *testing.T) {
	for _, pat := range []string{"scenario*.go", "rule*.go", "condition*.go", "judge*.go", "gaps*.go", "field*.go"} {
		files, _ := globNonTest(pat)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"float32", "float64", "time.Now", "time.Sleep"} {
				if strings.Contains(string(b), bad) {
					t.Errorf("%s uses %s", f, bad)
				}
			}
		}
	}
}
