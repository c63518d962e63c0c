package benchkit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// retryScenario: the agent's first bid is answered by an injected
// rejection; it must reason about adjusting and bid again for less.
const retryScenario = `{
  "task_id": "retry_cheaper",
  "initial_state": {"agent_balance": 100, "resource_prices": {"cpu": 0.001}},
  "injected_events": [
    {"trigger": "after_first_bid", "event": {"type": "bid_rejected", "reason": "insufficient_balance"}}
  ],
  "validation": {
    "required_event_sequence": [
      {"type": "bid_placed", "label": "first_attempt"},
      {"type": "bid_rejected"},
      {"type": "reasoning_trace", "contains": "adjust_bid"},
      {"type": "bid_placed", "label": "second_attempt", "constraints": {"total_cost": "<first_attempt.total_cost"}}
    ],
    "success_condition": "second_attempt_succeeded"
  }
}`

// retrier bids, and after a rejection reasons and bids again for
// lower percent of the first limit.
type retrier struct {
	lower int64 // the second bid's limit, as a percentage of the first
	bids  int
}

func (r *retrier) Act(ctx context.Context, turn benchkit.Turn) error {
	rejected := false
	for _, e := range turn.Events {
		rejected = rejected || e.Type == events.TypeBidRejected
	}
	switch {
	case r.bids == 0:
		return r.bid(ctx, turn, 80)
	case r.bids == 1 && rejected:
		if err := turn.Market.Emit(ctx, turn.Agent, events.ReasoningTrace{Decision: "adjust_bid", Content: "rejected: adjust_bid lower"}); err != nil {
			return err
		}
		return r.bid(ctx, turn, 80*r.lower/100)
	}
	return nil
}

func (r *retrier) bid(ctx context.Context, turn benchkit.Turn, limit int64) error {
	r.bids++
	return turn.Market.Bid(ctx, scarcity.Bid{ID: fmt.Sprintf("bid-%d", r.bids), Agent: turn.Agent, Limit: apd.New(limit, 0),
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 10}, Window: bundle.Window{Duration: time.Minute}}})
}

func loadRetry(t *testing.T) *benchkit.Scenario {
	t.Helper()
	s, err := benchkit.LoadScenario(strings.NewReader(retryScenario))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunScenarioInjectsAndDecides(t *testing.T) {
	ctx := context.Background()
	res, evs, err := benchkit.RunScenario(ctx, loadRetry(t), &retrier{lower: 50}, benchkit.RunOptions{Turns: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != benchkit.Pass {
		t.Fatalf("an agent that retries for less: %s", benchkit.FormatResult(res))
	}
	// The injected rejection is real: the market rejected bid-1 and
	// released its hold (80 of the agent's 100 credits), so the retry for
	// 40 could be afforded; nothing came from the benchmark source.
	var rejected, released, allocated bool
	for _, e := range evs {
		switch p := e.Data.(type) {
		case events.BidRejected:
			rejected = rejected || (e.Source == events.SourceMarket && p.OrderID == "bid-1" && p.Reason == events.ReasonInsufficientBalance)
		case events.HoldReleased:
			released = released || strings.Contains(p.HoldID, "bid-1")
		case events.ResourcesAllocated:
			allocated = allocated || p.OrderID == "bid-1"
		}
		if e.Source == events.SourceBenchmark {
			t.Errorf("%s came from the benchmark source", e)
		}
	}
	if !rejected || !released || allocated {
		t.Errorf("bid-1 rejected by the market %v, its hold released %v, allocated all the same %v", rejected, released, allocated)
	}
	benchkit.AssertInvariants(t, evs)

	res, _, err = benchkit.RunScenario(ctx, loadRetry(t), &retrier{lower: 100}, benchkit.RunOptions{Turns: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != benchkit.Fail {
		t.Errorf("an agent that retries at the same price: %s", benchkit.FormatResult(res))
	}
}

func TestRunScenarioTriggers(t *testing.T) {
	ctx := context.Background()
	body := `{"task_id": "t", "injected_events": [
		{"trigger": "at_start", "event": {"type": "human_reward_issued", "amount": "1"}},
		{"trigger": "turn_3", "event": {"type": "reflection", "content": "later"}}],
		"validation": {"required_event_sequence": [{"type": "human_reward_issued"}, {"type": "reflection"}]}}`
	s, err := benchkit.LoadScenario(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	idle := benchkit.AgentFunc(func(_ context.Context, turn benchkit.Turn) error {
		seen = append(seen, len(turn.Events))
		return nil
	})
	res, evs, err := benchkit.RunScenario(ctx, s, idle, benchkit.RunOptions{Turns: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != benchkit.Pass || seen[0] == 0 || seen[2] <= seen[1] {
		t.Errorf("verdict %s, events seen per turn %v: %s", res.Verdict, seen, benchkit.FormatResult(res))
	}
	// The injected reward is real: the market minted it.
	var minted bool
	for _, e := range evs {
		if p, ok := e.Data.(events.CreditsMinted); ok && p.To == "agent" && strings.HasPrefix(p.TransferID, scarcity.RewardTransferPrefix) && p.Amount == "1" {
			minted = true
		}
	}
	if !minted {
		t.Error("the injected reward minted nothing")
	}
	benchkit.AssertInvariants(t, evs)

	bad := `{"task_id": "t", "injected_events": [{"trigger": "when_pigs_fly", "event": {"type": "reflection"}}],
		"validation": {"required_events": [{"type": "reflection"}]}}`
	s, err = benchkit.LoadScenario(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := benchkit.RunScenario(ctx, s, idle, benchkit.RunOptions{}); !errors.Is(err, benchkit.ErrTrigger) {
		t.Errorf("unknown trigger: %v, want ErrTrigger", err)
	}
}
