package benchkit

import (
	"context"
	"fmt"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/events"
)

// Judge scores a run against criteria, as an LLM judge does.
type Judge interface {
	// Evaluate returns a score for each criterion of req.Rule.
	Evaluate(ctx context.Context, req JudgeRequest) (map[string]*apd.Decimal, error)
}

// JudgeRequest is what a Judge is asked to score: the whole scenario (its
// description, initial state, expected behaviour and every field as
// written, in Scenario.Extra), the rule with its criteria and threshold,
// and the events the run's rules see.
type JudgeRequest struct {
	// Scenario is the scenario evaluated, whole.
	Scenario *Scenario
	// Rule is the judge rule asked about: its criteria and threshold.
	Rule *JudgeRule
	// Events are the events the run's rules see, in stream order.
	Events []events.Event
}

// JudgeFunc adapts a function to the Judge interface.
type JudgeFunc func(ctx context.Context, req JudgeRequest) (map[string]*apd.Decimal, error)

// Evaluate calls f.
func (f JudgeFunc) Evaluate(ctx context.Context, req JudgeRequest) (map[string]*apd.Decimal, error) {
	return f(ctx, req)
}

// JudgeRule is a rule a judge decides: judge_evaluation, or any validation
// key whose object has "type": "llm_judge" (such as output_quality). It
// exposes to the success condition judge_score (the mean of the criteria's
// scores, kept as an exact fraction), judge_min (the lowest score) and
// threshold. It passes when judge_score >= threshold.
//
// The scores come from EvalOptions.Judge when one is configured. Without
// one, the stream is the truth: the last judge_evaluation event of the run
// published by a judge (source judge) for this scenario (its scenario field
// is the scenario's id, or empty) and about the agent under test (or about
// no agent) decides — with its score for every criterion of the rule if it
// has them, else with its overall score, held to the scenario's threshold;
// an evaluation with no score decides by its passed field. Without either,
// or when the judge fails or leaves a criterion unscored, the rule is
// NotEvaluated.
type JudgeRule struct {
	// Key is the validation key the rule was written under; empty means
	// judge_evaluation.
	Key string
	// Criteria are the names the judge scores; at least one.
	Criteria []string
	// Threshold is the pass threshold of judge_score.
	Threshold *apd.Decimal
}

// Kind returns the rule's validation key: "judge_evaluation" unless Key
// says otherwise.
func (j *JudgeRule) Kind() string {
	if j.Key != "" {
		return j.Key
	}
	return KindJudge
}

// Evaluate asks the judge, or reads its verdict from the stream.
func (j *JudgeRule) Evaluate(ctx context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: j.Kind(), Values: map[string]Ratio{"threshold": RatioOf(j.Threshold)}}
	if run.opts.Judge == nil {
		return j.fromStream(res, run)
	}
	transcript := run.Events()
	scores, err := run.opts.Judge.Evaluate(ctx, JudgeRequest{Scenario: run.scenario, Rule: j, Events: transcript})
	if err != nil {
		res.Reason = fmt.Sprintf("judge failed: %v", err)
		return res
	}
	return j.scored(res, scores, transcript)
}

// scored decides the rule from a score per criterion.
func (j *JudgeRule) scored(res RuleResult, scores map[string]*apd.Decimal, transcript []events.Event) RuleResult {
	sum, low := new(apd.Decimal), (*apd.Decimal)(nil)
	for _, c := range j.Criteria {
		s := scores[c]
		if s == nil || s.Form != apd.Finite {
			res.Reason = fmt.Sprintf("judge gave no score for criterion %q", c)
			return res
		}
		if _, err := exactRatioContext().Add(sum, sum, s); err != nil {
			res.Reason = fmt.Sprintf("judge scores: %v", err)
			return res
		}
		if low == nil || s.Cmp(low) < 0 {
			low = s
		}
	}
	score := Ratio{Num: sum, Den: apd.New(int64(len(j.Criteria)), 0)}
	res.Values["judge_score"], res.Values["judge_min"] = score, RatioOf(low)
	return judged(res, score, j.Threshold, transcript)
}

// fromStream decides the rule from the last judge_evaluation event of the
// run that is for this scenario and about the agent under test.
func (j *JudgeRule) fromStream(res RuleResult, run *Run) RuleResult {
	var last *fieldView
	for i := range run.seen {
		v := &run.seen[i]
		if v.event.Type != events.TypeJudgeEvaluation || v.event.Source != events.SourceJudge {
			continue
		}
		if sc := v.dataString("scenario"); sc != "" && sc != run.scenario.ID {
			continue
		}
		last = v
	}
	if last == nil {
		res.Reason = "no judge configured (EvalOptions.Judge) and no judge_evaluation for this scenario on the stream"
		return res
	}
	scores, err := streamScores(last, j.Criteria)
	if passed, ok := last.data.(map[string]any)["passed"].(bool); err != nil && ok {
		res.Verdict, res.Events = verdictOf(passed), []events.Event{last.event}
		res.Reason = fmt.Sprintf("%s by %s, with no score, says passed=%t", stream.EventName(last.event), last.dataString("judge"), passed)
		return res
	}
	if err != nil {
		res.Reason = fmt.Sprintf("%s: %v", stream.EventName(last.event), err)
		return res
	}
	res = j.scored(res, scores, []events.Event{last.event})
	res.Reason = fmt.Sprintf("%s (from %s by %s)", res.Reason, stream.EventName(last.event), last.dataString("judge"))
	return res
}

// streamScores reads the scores of criteria from a judge_evaluation: its
// score of each criterion if it has every one, else its overall score for
// each.
func streamScores(v *fieldView, criteria []string) (map[string]*apd.Decimal, error) {
	out := make(map[string]*apd.Decimal, len(criteria))
	all := true
	for _, c := range criteria {
		x, ok := v.lookup("criteria." + c)
		d, isNum := numeric(x)
		if !ok || !isNum {
			all = false
			break
		}
		out[c] = d
	}
	if all {
		return out, nil
	}
	x, _ := v.lookup("overall")
	d, ok := numeric(x)
	if !ok {
		return nil, fmt.Errorf("no score for %v and no overall score", slices.Clone(criteria))
	}
	for _, c := range criteria {
		out[c] = d
	}
	return out, nil
}

// judged sets the verdict of a judge's result from its score.
func judged(res RuleResult, score Ratio, threshold *apd.Decimal, transcript []events.Event) RuleResult {
	cmp, err := score.Cmp(RatioOf(threshold))
	if err != nil {
		res.Reason = fmt.Sprintf("judge score: %v", err)
		return res
	}
	res.Verdict = verdictOf(cmp >= 0)
	res.Events = transcript
	rel := ">="
	if cmp < 0 {
		rel = "<"
	}
	res.Reason = fmt.Sprintf("judge_score %s %s threshold %s", score, rel, threshold.Text('f'))
	return res
}
