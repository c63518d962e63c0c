package benchkit

import (
	"context"
	"fmt"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// Judge scores a run against criteria, as an LLM judge does.
type Judge interface {
	// Evaluate returns a score for each criterion, given the events the
	// run's rules see.
	Evaluate(ctx context.Context, criteria []string, transcript []events.Event) (map[string]*apd.Decimal, error)
}

// JudgeFunc adapts a function to the Judge interface.
type JudgeFunc func(ctx context.Context, criteria []string, transcript []events.Event) (map[string]*apd.Decimal, error)

// Evaluate calls f.
func (f JudgeFunc) Evaluate(ctx context.Context, criteria []string, transcript []events.Event) (map[string]*apd.Decimal, error) {
	return f(ctx, criteria, transcript)
}

// JudgeRule asks EvalOptions.Judge to score the run on its criteria. It
// exposes to the success condition judge_score (the mean of the criteria's
// scores, kept as an exact fraction), judge_min (the lowest score) and
// threshold. It passes when judge_score >= threshold. Without a judge, or
// when the judge fails or leaves a criterion unscored, it is NotEvaluated.
type JudgeRule struct {
	// Criteria are the names the judge scores; at least one.
	Criteria []string
	// Threshold is the pass threshold of judge_score.
	Threshold *apd.Decimal
}

// Kind returns "judge_evaluation".
func (*JudgeRule) Kind() string { return KindJudge }

// Evaluate asks the judge.
func (j *JudgeRule) Evaluate(ctx context.Context, run *Run) RuleResult {
	res := RuleResult{Kind: KindJudge, Values: map[string]Ratio{"threshold": RatioOf(j.Threshold)}}
	if run.opts.Judge == nil {
		res.Reason = "no judge configured (EvalOptions.Judge)"
		return res
	}
	transcript := run.Events()
	scores, err := run.opts.Judge.Evaluate(ctx, slices.Clone(j.Criteria), transcript)
	if err != nil {
		res.Reason = fmt.Sprintf("judge failed: %v", err)
		return res
	}
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
