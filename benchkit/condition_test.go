package benchkit_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

func TestParseCondition(t *testing.T) {
	ok := map[string][]string{
		"a":                              {"a"},
		"a AND b or NOT (c)":             {"a", "b", "c"},
		"judge_score >= threshold":       {"judge_score", "threshold"},
		"NOT NOT x.y_1 AND s < -2.5":     {"x.y_1", "s"},
		"((a) OR (b == 3 AND c != 0.1))": {"a", "b", "c"},
	}
	for text, want := range ok {
		c, err := benchkit.ParseCondition(text)
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if diff := cmp.Diff(sortedCopy(want), sortedCopy(c.Names())); diff != "" {
			t.Errorf("%q names (-want +got):\n%s", text, diff)
		}
	}
	for _, bad := range []string{"", "a AND", "(a", "a)", "3", "a = b", "!a", "a && b", "AND", "a b", "a < ", "1e", strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100)} {
		if _, err := benchkit.ParseCondition(bad); !errors.Is(err, benchkit.ErrCondition) {
			t.Errorf("%q: error %v, want ErrCondition", bad, err)
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestConditionThreeValued evaluates conditions over a passing
// forbidden_events rule, a failing required_events rule and an unevaluated
// external rule.
func TestConditionThreeValued(t *testing.T) {
	r := newRun("c").bid("alice", "o1", "1")
	cases := map[string]benchkit.Verdict{
		"no_forbidden_present":                          benchkit.Pass,
		"all_required_present":                          benchkit.Fail,
		"NOT all_required_present":                      benchkit.Pass,
		"no_forbidden_present OR all_required_present":  benchkit.Pass,
		"no_forbidden_present AND all_required_present": benchkit.Fail,
		"code_quality":                                  benchkit.NotEvaluated,
		"code_quality OR no_forbidden_present":          benchkit.Pass,
		"code_quality AND all_required_present":         benchkit.Fail,
		"code_quality AND no_forbidden_present":         benchkit.NotEvaluated,
		"NOT code_quality":                              benchkit.NotEvaluated,
		"score > 1 OR no_forbidden_present":             benchkit.Pass,
	}
	for cond, want := range cases {
		s := load(t, `{"task_id":"t","validation":{"forbidden_events":[{"type":"bid_rejected"}],
			"required_events":[{"type":"balance_queried"}],"code_quality":{},"success_condition":"`+cond+`"}}`)
		res := eval(s, r.evs, benchkit.EvalOptions{})
		if res.ConditionValue != want {
			t.Errorf("%q = %s, want %s (%v)", cond, res.ConditionValue, want, res.Err)
		}
	}
}

func TestUncoveredRulesStillCount(t *testing.T) {
	s := load(t, `{"task_id":"t","validation":{"forbidden_events":[{"type":"bid_rejected"}],
		"required_events":[{"type":"balance_queried"}],"success_condition":"no_forbidden_present"}}`)
	r := newRun("c").bid("alice", "o1", "1")
	res := eval(s, r.evs, benchkit.EvalOptions{})
	if res.ConditionValue != benchkit.Pass || res.Verdict != benchkit.Fail || !strings.Contains(res.Reason, "required_events fail") {
		t.Errorf("condition %s, verdict %s: %s", res.ConditionValue, res.Verdict, res.Reason)
	}
	_ = events.TypeBidPlaced
}
