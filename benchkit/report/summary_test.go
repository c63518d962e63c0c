package report_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

// summaryStream is a run whose summary is computed by hand:
//
//   - agents alice 100, bob 300, carol 0 credits (carol's balance is never
//     reported); dave, named by the strategies only, has no account
//   - round 1: cpu 10 and tokens 100 allocated at 0.002 and 0.00001,
//     revenue 1.25, welfare 3 of 4 (efficiency computed: 0.75)
//   - round 2: cpu 5 at 0.001, tokens at 0.00002, revenue 0.5, efficiency
//     reported as 1 without welfare
//   - round 3: cpu at 0.003, revenue 0, nothing else
//   - bids rejected: below_reserve twice, insufficient_balance once
//   - service denied: tokens twice, spend once
//   - carol terminated for exceeding her bundle
//   - spend 20 then 40 in a 60 s window of 50, then 25 refused
func summaryStream(t *testing.T) (*streamtest.World, time.Time) {
	w := &streamtest.World{Builder: streamtest.NewLedger(t, "alice", "bob", "carol")}
	w.Sched = events.NewSequencer(events.SourceScheduler, "run-1", 0)
	w.Mint("alice", 10000)
	w.Mint("bob", 30000)
	start := w.Now
	w.Emit(w.Market, "", "", events.MarketCleared{Round: 1, Mechanism: "greedy",
		Volume: events.Quantities{"cpu": 10, "tokens": 100}, Revenue: "1.25", Welfare: "3", OptimalWelfare: "4",
		Prices: map[string]events.Decimal{"cpu": "0.002", "tokens": "0.00001"}})
	w.Tick(time.Minute)
	w.Emit(w.Market, "", "", events.MarketCleared{Round: 2, Mechanism: "greedy",
		Volume: events.Quantities{"cpu": 5}, Revenue: "0.5", Efficiency: "1",
		Prices: map[string]events.Decimal{"cpu": "0.001", "tokens": "0.00002"}})
	w.Tick(time.Minute)
	w.Emit(w.Market, "", "", events.MarketCleared{Round: 3, Mechanism: "greedy", Revenue: "0",
		Prices: map[string]events.Decimal{"cpu": "0.003"}})
	for _, r := range []events.RejectReason{events.ReasonBelowReserve, events.ReasonInsufficientBalance, events.ReasonBelowReserve} {
		w.Emit(w.Market, "", "bob", events.BidRejected{OrderID: w.ID("o"), AgentID: "bob", Reason: r})
	}
	for _, r := range []string{"tokens", "spend", "tokens"} {
		w.Emit(w.Sched, "", "alice", events.ServiceDenied{AgentID: "alice", Resource: r, Requested: 2, Reason: "exceeds_bundle"})
	}
	w.Emit(w.Sched, "", "carol", events.AgentTerminated{AgentID: "carol", Reason: "exceeds_bundle", Resource: "cpu"})
	w.Use("bob", "b", "spend", 20, 20, 100)
	w.Tick(30 * time.Second)
	w.Use("bob", "b", "spend", 20, 40, 100)
	w.Emit(w.Sched, "", "bob", events.SpendLimitReached{AgentID: "bob", Resource: "spend", Requested: 25,
		Spent: 40, Limit: 50, Unit: "1", WindowSeconds: "60"})
	return w, start
}

func TestSummary(t *testing.T) {
	w, start := summaryStream(t)
	evs := w.Events()
	spend := invariant.SpendLimit{Resource: "spend", Limit: 50, Window: time.Minute}
	r := report.FromRun("run-1", evs, generated, report.Settings{Spend: &spend,
		Strategies: map[string]string{"alice": "truthful", "bob": "hoarding", "carol": "truthful", "dave": "shading"}})
	end := start.Add(2*time.Minute + 30*time.Second)
	want := &report.Summary{
		Events: len(evs), Start: evs[0].Time, End: end, Rounds: 3,
		Resources: []report.ResourceSummary{
			{Name: "cpu", Volume: 15, Low: "0.001", High: "0.003", Last: "0.003"},
			{Name: "tokens", Volume: 100, Low: "0.00001", High: "0.00002", Last: "0.00002"},
		},
		Revenue:         "1.75",
		Efficiency:      "0.750000",
		RoundEfficiency: []report.RoundValue{{Round: 1, Value: "0.750000"}, {Round: 2, Value: "1"}},
		Rejections:      report.Tally{Total: 3, By: map[string]int{"below_reserve": 2, "insufficient_balance": 1}},
		Denials:         report.Tally{Total: 3, By: map[string]int{"tokens": 2, "spend": 1}},
		Terminations:    report.Tally{Total: 1, By: map[string]int{"exceeds_bundle": 1}},
		Spend: &report.SpendSummary{Limit: spend, Peak: 40, Refusals: 1, Refused: 25, Use: []report.SpendPoint{
			{Time: end.Add(-30 * time.Second), Spent: 20}, {Time: end, Spent: 40}, {Time: end, Spent: 40, Refused: 25},
		}},
		Strategies: []report.StrategySummary{
			{Strategy: "hoarding", Agents: 1, Survivors: 1, Credits: "300.00"},
			{Strategy: "shading", Agents: 1, Credits: "0"},
			{Strategy: "truthful", Agents: 2, Survivors: 1, Terminated: 1, Credits: "100.00"},
		},
		// 0, 100, 300: (2·300 − 2·0) / (3 · 400)
		Gini: "0.500000",
		Lorenz: []report.LorenzPoint{
			{Agents: "0.000000", Credits: "0.000000"}, {Agents: "0.333333", Credits: "0.000000"},
			{Agents: "0.666667", Credits: "0.250000"}, {Agents: "1.000000", Credits: "1.000000"},
		},
	}
	if diff := cmp.Diff(want, r.Summary); diff != "" {
		t.Errorf("Summary (-want +got):\n%s", diff)
	}
	if got := r.Summary.Denials.Keys(); !cmp.Equal(got, []string{"tokens", "spend"}) {
		t.Errorf("Denials.Keys() = %v, want the most frequent first", got)
	}
}

func TestSummaryWithoutSettings(t *testing.T) {
	w, _ := summaryStream(t)
	s := report.FromStream("run-1", w.Events(), generated).Summary
	want := []report.StrategySummary{{Strategy: report.AllAgents, Agents: 3, Survivors: 2, Terminated: 1, Credits: "400.00"}}
	if diff := cmp.Diff(want, s.Strategies); diff != "" {
		t.Errorf("strategies without settings (-want +got):\n%s", diff)
	}
	// The limit the stream's spend_limit_reached states.
	if s.Spend == nil || s.Spend.Limit != (invariant.SpendLimit{Resource: "spend", Limit: 50, Window: time.Minute}) {
		t.Errorf("spend without settings: %+v", s.Spend)
	}
}

func TestSummaryOfUnknownAgents(t *testing.T) {
	w, _ := summaryStream(t)
	s := report.FromRun("run-1", w.Events(), generated, report.Settings{Strategies: map[string]string{"alice": "truthful"}}).Summary
	var names []string
	for _, st := range s.Strategies {
		names = append(names, st.Strategy)
	}
	if diff := cmp.Diff([]string{"truthful", report.UnknownStrategy}, names); diff != "" {
		t.Errorf("strategies (-want +got):\n%s", diff)
	}
}

func TestSummaryOfABadStream(t *testing.T) {
	w, _ := summaryStream(t)
	w.Emit(w.Market, "", "cpu", events.PriceUpdate{Resource: "cpu", Round: 4, Old: "one", New: "2"})
	s := report.FromStream("run-1", w.Events(), generated).Summary
	if s.Problem == "" || s.Rounds != 3 || s.Gini != "" || s.Spend != nil {
		t.Errorf("a stream Metrics cannot read: problem %q, %d rounds, gini %q, spend %v", s.Problem, s.Rounds, s.Gini, s.Spend)
	}
}

func TestRunStreamIsSound(t *testing.T) {
	r := runReport(t)
	for _, v := range r.Verdicts {
		if v.Status == report.StatusFail {
			t.Errorf("%s: %s", v.Name, v.Detail)
		}
	}
	s := r.Summary
	if s.Rounds != 30 || s.Terminations.Total != 1 || s.Denials.Total == 0 || s.Spend == nil || s.Spend.Refusals == 0 ||
		len(s.Resources) != 5 || len(s.RoundEfficiency) == 0 {
		t.Errorf("the sample run lacks part of its story: %+v", s)
	}
}
