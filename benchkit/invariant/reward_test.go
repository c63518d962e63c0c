package invariant_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// rewardMint mints amount cents to agent as the mint of a reward with
// transfer id.
func rewardMint(b *streamtest.Builder, id, agent string, amount int64) {
	m := b.Movement("mint", agent, amount)
	m.TransferID = id
	b.Publish(b.Ledger, agent, events.CreditsMinted{Movement: m})
}

// reward publishes a human_reward_issued of the market.
func reward(b *streamtest.Builder, id, human, agent string, amount int64) {
	b.Publish(b.Market, agent, events.HumanRewardIssued{AgentID: agent, Human: human, Amount: streamtest.Cents(amount), TransferID: id})
}

func TestConservationCountsRewards(t *testing.T) {
	const id = "reward/carol/r1"
	tests := []struct {
		name   string
		build  func(b *streamtest.Builder)
		detail string // of the violation; "" for none
		index  int    // of the violation, from the end of the stream
	}{
		{"paid", func(b *streamtest.Builder) { rewardMint(b, id, "alice", 500); reward(b, id, "carol", "alice", 500) }, "", 0},
		{"paid, event first", func(b *streamtest.Builder) { reward(b, id, "carol", "alice", 500); rewardMint(b, id, "alice", 500) }, "", 0},
		{"reward without its mint", func(b *streamtest.Builder) { reward(b, id, "carol", "alice", 500) },
			`human_reward_issued to "alice" of 5.00 is not paid: no credits_minted "reward/carol/r1"`, 1},
		{"reward naming another mint", func(b *streamtest.Builder) {
			rewardMint(b, id, "alice", 500)
			reward(b, "reward/carol/r2", "carol", "alice", 500)
		}, `credits_minted "reward/carol/r1" of 5.00 to "alice" claims a reward`, 2},
		{"mint claiming a reward", func(b *streamtest.Builder) { rewardMint(b, id, "alice", 500) },
			`credits_minted "reward/carol/r1" of 5.00 to "alice" claims a reward, but no human_reward_issued names it`, 1},
		{"reward of more than its mint", func(b *streamtest.Builder) { rewardMint(b, id, "alice", 500); reward(b, id, "carol", "alice", 501) },
			"human_reward_issued gives 5.01 but its mint", 1},
		{"reward to another agent", func(b *streamtest.Builder) { rewardMint(b, id, "alice", 500); reward(b, id, "carol", "bob", 500) },
			`human_reward_issued rewards "bob" but its mint`, 1},
		{"reward naming no mint", func(b *streamtest.Builder) { reward(b, "", "carol", "alice", 500) },
			"names no mint (transfer_id)", 1},
		{"reward paid twice", func(b *streamtest.Builder) {
			rewardMint(b, id, "alice", 500)
			reward(b, id, "carol", "alice", 500)
			reward(b, id, "carol", "alice", 500)
		}, "is not paid", 1},
		{"injected reward", func(b *streamtest.Builder) {
			injected := events.NewSequencer(events.SourceBenchmark, "run-1", 0)
			b.Publish(injected, "alice", events.HumanRewardIssued{AgentID: "alice", Amount: "1"})
		}, "", 0},
		{"other mints", func(b *streamtest.Builder) { b.Mint("alice", 500) }, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := streamtest.NewLedger(t, "alice", "bob")
			tt.build(b)
			evs := b.Events()
			err := invariant.CheckConservation(evs)
			if tt.detail == "" {
				if err != nil {
					t.Fatalf("CheckConservation = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.detail) {
				t.Fatalf("CheckConservation = %v, want a violation with %q", err, tt.detail)
			}
			var v *invariant.Violation
			if !errors.As(err, &v) || v.Check != invariant.CreditsConserved || v.EventID != evs[len(evs)-tt.index].ID {
				t.Errorf("violation = %+v, want %s at %s", v, invariant.CreditsConserved, evs[len(evs)-tt.index].ID)
			}
			if err := invariant.Check(evs); err == nil {
				t.Errorf("Check passes the stream")
			}
		})
	}
}

// TestConservationOfAMarketsRewards checks the rewards of a real market:
// its stream passes, and the same stream without its human_reward_issued
// events leaves their mints unexplained.
func TestConservationOfAMarketsRewards(t *testing.T) {
	evs := rewardStream(t)
	if err := invariant.Check(evs); err != nil {
		t.Fatalf("Check: %v", err)
	}
	stripped := slices.DeleteFunc(slices.Clone(evs), func(e events.Event) bool { return e.Type == events.TypeHumanRewardIssued })
	err := invariant.CheckConservation(stripped)
	if err == nil || strings.Count(err.Error(), "claims a reward") != 2 {
		t.Errorf("CheckConservation without the rewards = %v, want 2 unexplained mints", err)
	}
}

// rewardStream returns the stream of a market in which carol rewards alice
// twice.
func rewardStream(tb testing.TB) []events.Event {
	tb.Helper()
	ctx := context.Background()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources:    []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		RewardBudget: "100", RewardPeriod: time.Hour, Clock: clock.NewMock(), Publisher: log, Correlation: "run-1",
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := m.Open(ctx, "a1", apd.New(10, 0)); err != nil {
		tb.Fatal(err)
	}
	for _, id := range []string{"r1", "r2"} {
		if err := m.Reward(ctx, id, "carol", "a1", apd.New(20, 0), "well done"); err != nil {
			tb.Fatal(err)
		}
	}
	return log.Events(0)
}

// TestScenarioMatchesAMarketsReward matches a required_events step on the
// human_reward_issued a market published.
func TestScenarioMatchesAMarketsReward(t *testing.T) {
	s, err := benchkit.LoadScenario(strings.NewReader(`{"task_id": "rewarded",
		"validation": {"required_events": [{"type": "human_reward_issued", "agent_id": "a1", "human": "carol", "constraints": {"amount": ">=20"}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	evs := rewardStream(t)
	res := s.Evaluate(context.Background(), evs, benchkit.EvalOptions{Correlation: "run-1", Agent: "a1"})
	if res.Verdict != benchkit.Pass {
		t.Fatalf("verdict %s: %s", res.Verdict, benchkit.FormatResult(res))
	}
	if len(res.Gaps) != 0 {
		t.Errorf("gaps %v: the market publishes human_reward_issued", res.Gaps)
	}
	other, err := benchkit.LoadScenario(strings.NewReader(`{"task_id": "rewarded",
		"validation": {"required_events": [{"type": "human_reward_issued", "agent_id": "a2"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if res := other.Evaluate(context.Background(), evs, benchkit.EvalOptions{Correlation: "run-1"}); res.Verdict != benchkit.Fail {
		t.Errorf("a reward of a1 matched agent_id a2: %s", benchkit.FormatResult(res))
	}
}
