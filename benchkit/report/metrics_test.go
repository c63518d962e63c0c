package report_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

// metricsStream is a run computed by hand:
//
//   - agents alice 1, bob 3, carol 0 credits: Gini = (|1−3|+|1−0|+|3−0|)·2 /
//     (2·3·4) = 12/24 = 0.5
//   - round 1: welfare 3 of 4 (0.75), cpu 100 → 110 (+10%)
//   - round 2: welfare 1 of 2 (computed 0.5), cpu 110 → 99 (−10%)
//   - round 3: no welfare, no price change
//   - overall efficiency 4/6; cpu volatility (0.1 + 0.1) / 3 rounds
//   - alice awake, bob awake, alice dormant (same instant as bob: coalesced)
//   - spend 20 then 40 in a 60 s window of 50; 30 a minute later, then a
//     refusal of 25
func metricsStream(t *testing.T) (*streamtest.World, time.Time) {
	w := &streamtest.World{Builder: streamtest.NewLedger(t, "alice", "bob", "carol")}
	w.Sched = events.NewSequencer(events.SourceScheduler, "run-1", 0)
	w.Mint("alice", 100)
	w.Mint("bob", 300)
	clear := func(round uint64, welfare, optimal, efficiency events.Decimal, util events.Decimal) {
		w.Emit(w.Market, "", "", events.MarketCleared{Round: round, Mechanism: "greedy", Bids: 2, Winners: 1,
			Welfare: welfare, OptimalWelfare: optimal, Efficiency: efficiency,
			Utilisation: map[string]events.Decimal{"cpu": util}})
		w.Tick(time.Minute)
	}
	start := w.Now
	w.Emit(w.Market, "", "cpu", events.PriceUpdate{Resource: "cpu", Round: 1, Old: "100", New: "110"})
	clear(1, "3", "4", "0.75", "0.5")
	w.Emit(w.Market, "", "cpu", events.PriceUpdate{Resource: "cpu", Round: 2, Old: "110", New: "99"})
	clear(2, "1", "2", "", "0.25")
	clear(3, "", "", "", "0")
	w.Emit(w.Sched, "", "alice", events.AgentAwake{AgentID: "alice"})
	w.Tick(time.Second)
	w.Emit(w.Sched, "", "bob", events.AgentAwake{AgentID: "bob"})
	w.Emit(w.Sched, "", "alice", events.AgentDormant{AgentID: "alice"})
	w.Use("bob", "b", "spend", 20, 20, 100)
	w.Tick(30 * time.Second)
	w.Use("bob", "b", "spend", 20, 40, 100)
	w.Tick(time.Minute)
	w.Use("bob", "b", "spend", 30, 70, 100)
	w.Emit(w.Sched, "", "bob", events.SpendLimitReached{AgentID: "bob", Resource: "spend", Requested: 25,
		Spent: 30, Limit: 50, Unit: "1", WindowSeconds: "60"})
	return w, start
}

func TestMetrics(t *testing.T) {
	w, start := metricsStream(t)
	got, err := report.Metrics(w.Events(), report.MetricsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) time.Time { return start.Add(d) }
	awake := at(3*time.Minute + time.Second)
	spend := invariant.SpendLimit{Resource: "spend", Limit: 50, Window: time.Minute}
	want := report.MarketMetrics{
		Rounds: []report.RoundMetrics{
			{Round: 1, Time: at(0), Mechanism: "greedy", Bids: 2, Winners: 1, Welfare: "3", OptimalWelfare: "4", Efficiency: "0.75"},
			{Round: 2, Time: at(time.Minute), Mechanism: "greedy", Bids: 2, Winners: 1, Welfare: "1", OptimalWelfare: "2", Efficiency: "0.500000"},
			{Round: 3, Time: at(2 * time.Minute), Mechanism: "greedy", Bids: 2, Winners: 1},
		},
		Efficiency: "0.666667",
		Prices: map[string]report.PriceMetrics{"cpu": {
			Path: []report.PricePoint{
				{Round: 1, Time: at(0), Price: "100"}, {Round: 1, Time: at(0), Price: "110"},
				{Round: 2, Time: at(time.Minute), Price: "99"},
			},
			Volatility: "0.066667",
		}},
		Utilisation: map[string][]report.Sample{"cpu": {
			{Time: at(0), Value: "0.5"}, {Time: at(time.Minute), Value: "0.25"}, {Time: at(2 * time.Minute), Value: "0"},
		}},
		Balances: map[string]events.Decimal{"alice": "1.00", "bob": "3.00", "carol": "0"},
		Gini:     "0.500000",
		Agents: []report.AgentCount{
			{Time: at(3 * time.Minute), Awake: 1},
			{Time: awake, Awake: 1, Dormant: 1},
		},
		Spend: &report.SpendMetrics{Limit: spend, Use: []report.SpendPoint{
			{Time: awake, Spent: 20}, {Time: awake.Add(30 * time.Second), Spent: 40},
			{Time: awake.Add(90 * time.Second), Spent: 30}, {Time: awake.Add(90 * time.Second), Spent: 30, Refused: 25},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Metrics (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"gini":"0.500000"`, `"efficiency":"0.666667"`, `"volatility":"0.066667"`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("JSON %s does not hold %s", b, s)
		}
	}
	got2, _ := report.Metrics(w.Events(), report.MetricsOptions{Places: 2})
	if got2.Gini != "0.50" || got2.Efficiency != "0.67" {
		t.Errorf("two places: gini %s, efficiency %s", got2.Gini, got2.Efficiency)
	}
	if _, err := report.Metrics(nil, report.MetricsOptions{Places: -1}); !errors.Is(err, invariant.ErrInvalidOptions) {
		t.Errorf("Places -1: %v, want ErrInvalidOptions", err)
	}
}

func TestMetricsOfEqualBalances(t *testing.T) {
	b := streamtest.NewLedger(t, "alice", "bob")
	b.Mint("alice", 500)
	b.Mint("bob", 500)
	got, err := report.Metrics(b.Events(), report.MetricsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Gini != "0.000000" || got.Spend != nil || got.Efficiency != "" {
		t.Errorf("gini %q, spend %v, efficiency %q; want 0.000000, none, none", got.Gini, got.Spend, got.Efficiency)
	}
}
