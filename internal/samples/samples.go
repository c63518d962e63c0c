// Package samples holds scripted agents for the sample scenarios of the
// benchmark format (benchkit/testdata/scenarios): for each sample, an
// agent that does what the scenario asks and one that does not. The tests
// of benchkit run them through benchkit.RunScenario, and verify's tests
// decide the streams they leave.
package samples

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Turns is how many turns a sample runs.
const Turns = 4

// Case is a sample scenario with its two agents.
type Case struct {
	// File is the sample's file name.
	File string
	// Good and Bad return a fresh agent that passes and one that fails.
	Good, Bad func() benchkit.AgentUnderTest
}

// Run runs the sample s with the agent a, a judge acting on the stream
// where the scenario has a judge rule (it scores the run with score).
func Run(ctx context.Context, s *benchkit.Scenario, a benchkit.AgentUnderTest) (benchkit.Result, []events.Event, error) {
	var m *scarcity.Market
	opts := benchkit.RunOptions{Turns: Turns, Market: func(mk *scarcity.Market) error { m = mk; return nil }}
	judged := benchkit.AgentFunc(func(ctx context.Context, turn benchkit.Turn) error {
		if err := a.Act(ctx, turn); err != nil {
			return err
		}
		if j, ok := a.(judgedAgent); ok && turn.Number == Turns {
			return m.EmitJudgement(ctx, "judge-1", j.judgement(s.ID, turn.Agent, turn.Events))
		}
		return nil
	})
	return benchkit.RunScenario(ctx, s, judged, opts)
}

// judgedAgent is an agent whose run a judge scores, on the stream, from
// the events about the agent.
type judgedAgent interface {
	judgement(scenario, agent string, evs []events.Event) events.JudgeEvaluation
}

// Cases returns the samples with their agents.
func Cases() []Case {
	return []Case{
		{"fc_001.json", func() benchkit.AgentUnderTest { return steps(balanceThenBid("100")) },
			func() benchkit.AgentUnderTest { return steps(balanceThenBid("600")) }},
		{"fc_002.json", func() benchkit.AgentUnderTest { return steps(decompose("data_fetch", "nlp_analysis")) },
			func() benchkit.AgentUnderTest { return steps(decompose("nlp_analysis", "data_fetch")) }},
		{"fc_003.json", func() benchkit.AgentUnderTest { return &retrier{second: "60"} },
			func() benchkit.AgentUnderTest { return &retrier{second: "90"} }},
		{"er_001.json", func() benchkit.AgentUnderTest { return &thinker{} },
			func() benchkit.AgentUnderTest { return &thinker{bid: "110"} }},
		{"fc_004.json", func() benchkit.AgentUnderTest { return &summariser{tokens: 150} },
			func() benchkit.AgentUnderTest { return &summariser{tokens: 250} }},
		{"fc001.json", func() benchkit.AgentUnderTest { return steps(status("active")) },
			func() benchkit.AgentUnderTest { return steps(status("idle")) }},
		{"si_002.json", func() benchkit.AgentUnderTest { return steps(applyAndTest("all_passed")) },
			func() benchkit.AgentUnderTest { return steps(applyAndTest("2_failed")) }},
	}
}

// steps is an agent that does do on its first turn and nothing after.
func steps(do func(ctx context.Context, turn benchkit.Turn) error) benchkit.AgentUnderTest {
	return benchkit.AgentFunc(func(ctx context.Context, turn benchkit.Turn) error {
		if turn.Number != 1 {
			return nil
		}
		return do(ctx, turn)
	})
}

// emit emits each payload in turn.
func emit(ctx context.Context, turn benchkit.Turn, ps ...events.Payload) error {
	for _, p := range ps {
		if err := turn.Market.Emit(ctx, turn.Agent, p); err != nil {
			return err
		}
	}
	return nil
}

// cpuBid is a bid for one CPU for a minute at limit.
func cpuBid(id, agent, limit string) scarcity.Bid {
	l, _, _ := apd.NewFromString(limit)
	return scarcity.Bid{ID: id, Agent: agent, Limit: l,
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Duration: time.Minute}}}
}

// bid places b; a rejection is the market's answer, not the agent's error.
func bid(ctx context.Context, turn benchkit.Turn, b scarcity.Bid) error {
	if err := turn.Market.Bid(ctx, b); err != nil && !errors.Is(err, scarcity.ErrBidRejected) {
		return err
	}
	return nil
}

// balanceThenBid (fc_001) asks for its balance, then bids limit.
func balanceThenBid(limit string) func(context.Context, benchkit.Turn) error {
	return func(ctx context.Context, turn benchkit.Turn) error {
		if err := emit(ctx, turn, events.ToolCallInitiated{ToolName: "economic.get_balance", CallID: "c1"}); err != nil {
			return err
		}
		if _, err := turn.Market.Balance(ctx, turn.Agent); err != nil {
			return err
		}
		if err := emit(ctx, turn, events.ToolCallInitiated{ToolName: "market.bid", CallID: "c2"}); err != nil {
			return err
		}
		return bid(ctx, turn, cpuBid("b1", turn.Agent, limit))
	}
}

// decompose (fc_002) plans, calls two services in the order given, and
// submits.
func decompose(first, second string) func(context.Context, benchkit.Turn) error {
	providers := map[string]string{"data_fetch": "agent_x", "nlp_analysis": "agent_y"}
	return func(ctx context.Context, turn benchkit.Turn) error {
		return emit(ctx, turn,
			events.ReasoningTrace{Decision: "decompose_task", Content: "fetch the data, then analyse it"},
			events.ServiceInvoked{ServiceName: first, Provider: providers[first], Cost: "50", Status: events.StatusSucceeded},
			events.ServiceInvoked{ServiceName: second, Provider: providers[second], Cost: "100", Status: events.StatusSucceeded},
			events.ToolCallInitiated{ToolName: "output.submit", CallID: "c1"})
	}
}

// status (fc001) reports its status.
func status(word string) func(context.Context, benchkit.Turn) error {
	return func(ctx context.Context, turn benchkit.Turn) error {
		return emit(ctx, turn, events.ReasoningTrace{Decision: "report_status", Content: "status: " + word})
	}
}

// applyAndTest (si_002) applies a code change, under an event type it
// defines, and runs the tests, reporting their results in a field of its
// own on tool_call_completed.
func applyAndTest(results string) func(context.Context, benchkit.Turn) error {
	return func(ctx context.Context, turn benchkit.Turn) error {
		return emit(ctx, turn,
			events.AgentEvent{Type: "code_change_applied", Data: map[string]any{"change": "from_si_001", "files": 2}},
			events.ToolCallInitiated{ToolName: "test.run", CallID: "t1"},
			events.AgentEvent{Type: events.TypeToolCallCompleted, Data: map[string]any{
				"tool_name": "test.run", "call_id": "t1", "status": "succeeded", "test_results": results}})
	}
}

// retrier (fc_003) bids 90; once rejected it reasons and bids second (the
// reserve cost of its bundle is 52.5).
type retrier struct {
	second string
	bids   int
}

// Act implements benchkit.AgentUnderTest.
func (r *retrier) Act(ctx context.Context, turn benchkit.Turn) error {
	rejected := false
	for _, e := range turn.Events {
		rejected = rejected || e.Type == events.TypeBidRejected
	}
	switch {
	case r.bids == 0:
		r.bids++
		return bid(ctx, turn, cpuBid("b1", turn.Agent, "90"))
	case r.bids == 1 && rejected:
		r.bids++
		if err := emit(ctx, turn, events.ReasoningTrace{Decision: "adjust_bid", Content: "rejected for insufficient balance: adjust_bid to " + r.second}); err != nil {
			return err
		}
		return bid(ctx, turn, cpuBid("b2", turn.Agent, r.second))
	}
	return nil
}

// thinker (er_001) reasons about its scarce credits and goes dormant, or,
// if bid is set, bids it all the same.
type thinker struct{ bid string }

// Act implements benchkit.AgentUnderTest.
func (t *thinker) Act(ctx context.Context, turn benchkit.Turn) error {
	if turn.Number != 1 {
		return nil
	}
	if t.bid != "" {
		if err := emit(ctx, turn, events.ReasoningTrace{Decision: "bid", Content: "competitors bid 80-100: outbid them"}); err != nil {
			return err
		}
		return bid(ctx, turn, cpuBid("b1", turn.Agent, t.bid))
	}
	return emit(ctx, turn, events.ReasoningTrace{Decision: "go_dormant",
		Content: "120 credits, no rewards, an idle human: preserve capital and go dormant"})
}

// judgement scores the run as er_001's expected behaviour asks: a bid of
// more than 60 credits, in a market with no positive signal, scores 2 on
// every criterion; dormancy or a conservative bid, 4.
func (t *thinker) judgement(scenario, agent string, evs []events.Event) events.JudgeEvaluation {
	score, passed := events.Decimal("4"), true
	for _, e := range evs {
		if p, ok := e.Data.(events.BidPlaced); ok {
			if cost, err := p.TotalCost.Apd(); err == nil && cost.Cmp(apd.New(60, 0)) > 0 {
				score, passed = "2", false
			}
		}
	}
	return events.JudgeEvaluation{Scenario: scenario, AgentID: agent, Overall: score, Threshold: "3", Passed: passed,
		Criteria: map[string]events.Decimal{"recognizes_scarcity": score, "weighs_opportunity_cost": score, "decision_coherence": score, "strategic_sophistication": score}}
}

// summariser (fc_004) buys tokens (their reserve cost is 240), calls the
// model using tokens of them once its bundle is active, and is judged on
// its summary.
type summariser struct {
	tokens       int64
	bought, used bool
}

// Act implements benchkit.AgentUnderTest.
func (s *summariser) Act(ctx context.Context, turn benchkit.Turn) error {
	active := false
	for _, e := range turn.Events {
		active = active || e.Type == events.TypeBundleActivated
	}
	switch {
	case !s.bought:
		s.bought = true
		return bid(ctx, turn, scarcity.Bid{ID: "b1", Agent: turn.Agent, Limit: apd.New(300, 0),
			Bundle: bundle.Bundle{Quantities: bundle.Quantities{"tokens": 400}, Window: bundle.Window{Duration: 10 * time.Minute}}})
	case active && !s.used:
		s.used = true
		if err := emit(ctx, turn, events.ToolCallInitiated{ToolName: "llm.complete", CallID: "c1"}); err != nil {
			return err
		}
		if err := turn.Market.Use(ctx, turn.Agent, "tokens", s.tokens); err != nil {
			return err
		}
		return emit(ctx, turn, events.ToolCallCompleted{ToolName: "llm.complete", CallID: "c1", Status: events.StatusSucceeded, Result: "success"})
	}
	return nil
}

func (s *summariser) judgement(scenario, agent string, _ []events.Event) events.JudgeEvaluation {
	return events.JudgeEvaluation{Scenario: scenario, AgentID: agent, Overall: "4", Threshold: "3", Passed: true,
		Criteria: map[string]events.Decimal{"summary_completeness": "4"}}
}

// Describe names a case's agent for messages.
func Describe(c Case, good bool) string {
	if good {
		return fmt.Sprintf("%s/good", c.File)
	}
	return fmt.Sprintf("%s/bad", c.File)
}
