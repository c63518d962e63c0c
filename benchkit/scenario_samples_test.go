package benchkit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// sampleDir holds the benchmark's sample scenarios.
const sampleDir = "testdata/scenarios"

// loadSample loads a sample, skipping the test if the samples are absent.
func loadSample(t *testing.T, name string) *benchkit.Scenario {
	t.Helper()
	path := filepath.Join(sampleDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("sample scenario %s not available: %v", path, err)
	}
	s, err := benchkit.LoadScenarioFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return s
}

// fakeJudge scores every criterion with the same decimal.
func fakeJudge(score string) benchkit.Judge {
	return benchkit.JudgeFunc(func(_ context.Context, req benchkit.JudgeRequest) (map[string]*apd.Decimal, error) {
		d, _, _ := apd.NewFromString(score)
		out := map[string]*apd.Decimal{}
		for _, c := range req.Rule.Criteria {
			out[c] = d
		}
		return out, nil
	})
}

func fc001Good() *run {
	return newRun("r1").
		agent("alice", events.TypeToolCallInitiated, `{"tool_name":"economic.get_balance"}`).
		balance("alice", "500").
		agent("alice", events.TypeToolCallInitiated, `{"tool_name":"market.bid"}`).
		bid("alice", "o1", "450")
}

func fc002Good() *run {
	return newRun("r2").
		agent("alice", events.TypeReasoningTrace, `{"decision":"decompose_task"}`).
		agent("alice", events.TypeServiceInvoked, `{"service_name":"data_fetch","provider":"agent_x","status":"success"}`).
		agent("alice", events.TypeServiceInvoked, `{"service_name":"nlp_analysis","provider":"agent_y","status":"success"}`).
		agent("alice", events.TypeToolCallInitiated, `{"tool_name":"output.submit"}`)
}

func fc003Good() *run {
	return newRun("r3").
		bid("alice", "o1", "120").
		reject("alice", "o1").
		agent("alice", events.TypeReasoningTrace, `{"thought":"balance too low, adjust_bid to 90"}`).
		bid("alice", "o2", "90")
}

func TestSamples(t *testing.T) {
	cases := []struct {
		file     string
		good     func() *run
		bad      func() *run
		badRule  string
		badEvent int // index in the bad stream of an event the failing rule names
	}{
		{"fc_001.json", fc001Good,
			func() *run { return fc001Good().reject("alice", "o1") },
			benchkit.KindForbiddenEvents, 4},
		{"fc_001.json", fc001Good,
			func() *run {
				return newRun("r1").
					agent("alice", events.TypeToolCallInitiated, `{"tool_name":"economic.get_balance"}`).
					balance("alice", "500").
					agent("alice", events.TypeToolCallInitiated, `{"tool_name":"market.bid"}`).
					bid("alice", "o1", "500.01")
			},
			benchkit.KindRequiredSequence, 3},
		{"fc_002.json", fc002Good,
			func() *run {
				return newRun("r2").
					agent("alice", events.TypeReasoningTrace, `{"decision":"decompose_task"}`).
					agent("alice", events.TypeServiceInvoked, `{"service_name":"nlp_analysis","status":"success"}`).
					agent("alice", events.TypeServiceInvoked, `{"service_name":"data_fetch","status":"success"}`).
					agent("alice", events.TypeServiceInvoked, `{"service_name":"nlp_analysis","status":"success"}`).
					agent("alice", events.TypeToolCallInitiated, `{"tool_name":"output.submit"}`)
			},
			benchkit.KindOrdering, 1},
		{"fc_003.json", fc003Good,
			func() *run {
				return newRun("r3").
					bid("alice", "o1", "120").
					reject("alice", "o1").
					agent("alice", events.TypeReasoningTrace, `{"thought":"adjust_bid"}`).
					bid("alice", "o2", "120")
			},
			benchkit.KindRequiredSequence, 3},
	}
	for _, c := range cases {
		t.Run(c.file+"/"+c.badRule, func(t *testing.T) {
			s := loadSample(t, c.file)
			good := c.good()
			if res := eval(s, good.evs, benchkit.EvalOptions{Correlation: good.corr, Agent: "alice"}); res.Verdict != benchkit.Pass {
				t.Fatalf("conforming stream: %s", benchkit.FormatResult(res))
			}
			bad := c.bad()
			res := eval(s, bad.evs, benchkit.EvalOptions{Correlation: bad.corr, Agent: "alice"})
			if res.Verdict != benchkit.Fail {
				t.Fatalf("violating stream: verdict %s, want fail: %s", res.Verdict, benchkit.FormatResult(res))
			}
			rr := ruleOf(t, res, c.badRule)
			if rr.Verdict != benchkit.Fail || !decidedBy(rr, bad.evs[c.badEvent].ID) {
				t.Errorf("%s: %s %q, events %v; want fail naming %s", c.badRule, rr.Verdict, rr.Reason, rr.Events, bad.evs[c.badEvent].ID)
			}
		})
	}
}

func TestSampleFC002ServiceFailed(t *testing.T) {
	s := loadSample(t, "fc_002.json")
	r := newRun("r2").
		agent("alice", events.TypeReasoningTrace, `{"decision":"decompose_task"}`).
		agent("alice", events.TypeServiceInvoked, `{"service_name":"data_fetch","status":"success"}`).
		agent("alice", events.TypeServiceInvoked, `{"service_name":"nlp_analysis","status":"error","error":"timeout"}`).
		agent("alice", events.TypeToolCallInitiated, `{"tool_name":"output.submit"}`)
	res := eval(s, r.evs, benchkit.EvalOptions{Agent: "alice"})
	if res.Verdict != benchkit.Fail || res.ConditionValue != benchkit.Fail {
		t.Fatalf("got %s (condition %s), want fail: %s", res.Verdict, res.ConditionValue, res.Reason)
	}
}

func TestSampleFC003SecondRejected(t *testing.T) {
	s := loadSample(t, "fc_003.json")
	r := fc003Good().reject("alice", "o2")
	res := eval(s, r.evs, benchkit.EvalOptions{Agent: "alice"})
	if res.Verdict != benchkit.Fail {
		t.Fatalf("got %s, want fail: the second bid was rejected later", res.Verdict)
	}
	if len(s.Injected) != 1 || s.Injected[0].Type != events.TypeBidRejected || s.Injected[0].Trigger != "after_first_bid" {
		t.Errorf("injected events: %+v", s.Injected)
	}
}

func TestSampleER001Judge(t *testing.T) {
	s := loadSample(t, "er_001.json")
	r := newRun("r4").agent("alice", events.TypeReasoningTrace, `{"thought":"credits are scarce; go dormant"}`)
	opts := benchkit.EvalOptions{Agent: "alice"}

	res := eval(s, r.evs, opts)
	if res.Verdict != benchkit.NotEvaluated || ruleOf(t, res, benchkit.KindJudge).Verdict != benchkit.NotEvaluated {
		t.Fatalf("without a judge: %s, want not evaluated: %s", res.Verdict, res.Reason)
	}
	opts.Judge = fakeJudge("3.5")
	if res := eval(s, r.evs, opts); res.Verdict != benchkit.Pass {
		t.Fatalf("judge 3.5: %s", benchkit.FormatResult(res))
	}
	opts.Judge = fakeJudge("2.99")
	if res := eval(s, r.evs, opts); res.Verdict != benchkit.Fail {
		t.Fatalf("judge 2.99: %s, want fail", res.Verdict)
	}
	// A good score does not excuse a missing reasoning trace, which the
	// condition does not mention.
	opts.Judge = fakeJudge("5")
	noTrace := newRun("r4").bid("alice", "o1", "50")
	if res := eval(s, noTrace.evs, opts); res.Verdict != benchkit.Fail {
		t.Fatalf("no reasoning trace: %s, want fail", res.Verdict)
	}
	// A failing judge leaves the scenario unevaluated.
	opts.Judge = benchkit.JudgeFunc(func(context.Context, benchkit.JudgeRequest) (map[string]*apd.Decimal, error) {
		return nil, errors.New("model unavailable")
	})
	if res := eval(s, r.evs, opts); res.Verdict != benchkit.NotEvaluated {
		t.Fatalf("failing judge: %s, want not evaluated", res.Verdict)
	}
}

func TestSampleInitialStateExact(t *testing.T) {
	s := loadSample(t, "er_001.json")
	if got := s.Initial.AgentBalance.Text('f'); got != "120" {
		t.Errorf("agent_balance %s", got)
	}
	if got := s.Initial.ResourcePrices["tokens"].Text('f'); got != "0.5" {
		t.Errorf("tokens price %s", got)
	}
	if _, ok := s.Initial.Other["market_context"]; !ok {
		t.Errorf("market_context not kept: %v", s.Initial.Other)
	}
	if _, ok := s.Extra["expected_behavior"]; !ok || s.ID != "er_001" || s.Name == "" {
		t.Errorf("header: id %q name %q extra %v", s.ID, s.Name, s.Extra)
	}
}
