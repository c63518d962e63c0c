package report_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// runResources are the resources of runStream's market.
var runResources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 400, Enforcement: bundle.OSLevel},
	{Name: "memory", Unit: "MiB", Capacity: 65536, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 1_000_000, Enforcement: bundle.ServiceLevel},
	{Name: "attention", Unit: "human", Capacity: 1, Enforcement: bundle.ServiceLevel},
	{Name: "llm_spend", Unit: "cent", Capacity: 500, Enforcement: bundle.ServiceLevel},
}

// runAgents are runStream's agents, runStrategies their strategies.
var (
	runAgents     = []string{"agent-000", "agent-001", "agent-002", "agent-003", "agent-004", "agent-005"}
	runStrategies = map[string]string{
		"agent-000": "truthful", "agent-001": "shading", "agent-002": "zero-intelligence",
		"agent-003": "truthful", "agent-004": "shading", "agent-005": "zero-intelligence",
	}
	runSpend = &invariant.SpendLimit{Resource: "llm_spend", Limit: 500, Window: time.Hour}
)

// runStream is the stream of a run of six agents over thirty one-minute
// rounds of a market of five resources: each round one agent wins a bundle
// it leases, uses and pays for; prices move with utilisation; bids are
// rejected, service is denied, LLM spend climbs to its limit and is
// refused; one agent is terminated for using more CPU than it bought.
func runStream(tb testing.TB) []events.Event {
	w := &streamtest.World{Builder: streamtest.NewBuilder(tb, "run-1")}
	w.Sched = events.NewSequencer(events.SourceScheduler, "run-1", 0)
	w.Now = time.Date(2026, 1, 1, 8, 59, 0, 0, time.UTC)
	w.Open("mint", "mint", true)
	w.Open("market", "market", false)
	for _, a := range runAgents {
		w.Open(a, "agent", false)
	}
	for i, a := range runAgents {
		w.Mint(a, int64(4000+1700*i))
	}
	spent := int64(0)
	terminated := map[string]bool{}
	for round := uint64(1); round <= 30; round++ {
		w.Round = round
		winner := runAgents[int(round)%len(runAgents)]
		if terminated[winner] {
			winner = runAgents[0]
		}
		loser := runAgents[(int(round)+3)%len(runAgents)]
		q := events.Quantities{"cpu": 10, "tokens": 5000, "llm_spend": 20}
		order, hold := w.Bid(winner, q, 120, 300)
		w.Emit(w.Market, "", loser, events.BidRejected{OrderID: w.ID("o"), AgentID: loser,
			Reason: []events.RejectReason{events.ReasonBelowReserve, events.ReasonOutbid, events.ReasonInsufficientBalance}[round%3]})
		util := func(base int64) events.Decimal {
			return decimalOf(min(base+int64(round*round%37), 100), -2)
		}
		prices := map[string]events.Decimal{
			"cpu": decimalOf(20+int64(round*7%23), -5), "memory": decimalOf(1+int64(round%9), -6),
			"tokens": decimalOf(2+int64(round*3%11), -6), "attention": decimalOf(100+int64(round%4)*250, -4),
			"llm_spend": decimalOf(4+int64(round*round%50), -6),
		}
		for _, r := range runResources {
			w.Emit(w.Market, "", r.Name, events.PriceUpdate{Resource: r.Name, Round: round, Old: prices[r.Name],
				New: prices[r.Name], Utilisation: util(30), Reason: "utilisation"})
		}
		amount := 150 + int64(round)*3
		cleared := events.MarketCleared{Round: round, Mechanism: "greedy", Bids: 3, Winners: 1,
			Volume: q, Prices: prices, Revenue: streamtest.Cents(amount),
			Utilisation: map[string]events.Decimal{"cpu": util(60), "memory": util(20), "tokens": util(40),
				"attention": decimalOf(int64(round%2), 0), "llm_spend": util(50)},
			Surplus: streamtest.Cents(300 - amount)}
		if round%5 != 1 {
			cleared.Welfare, cleared.OptimalWelfare = streamtest.Cents(300-int64(round%4)*20), streamtest.Cents(300)
		}
		w.Emit(w.Market, "", "", cleared)
		bundleID := fmt.Sprintf("b/%d", round)
		lease, _ := w.Lease(winner, order, hold, bundleID, q, 120, amount, 300)
		w.Use(winner, bundleID, "tokens", 3000, 3000, 5000)
		if round%4 == 0 {
			w.Emit(w.Sched, "", winner, events.ServiceDenied{AgentID: winner, Resource: "tokens", Requested: 4000, Available: 2000, Reason: "exceeds_bundle"})
		}
		if spent+20 <= runSpend.Limit {
			spent += 20
			w.Use(winner, bundleID, "llm_spend", 20, 20, 20)
		} else {
			w.Emit(w.Sched, "", winner, events.SpendLimitReached{AgentID: winner, Resource: "llm_spend", Requested: 20,
				Spent: spent, Limit: runSpend.Limit, Unit: "0.01", WindowSeconds: "3600"})
			w.Emit(w.Sched, "", winner, events.ServiceDenied{AgentID: winner, Resource: "llm_spend", Requested: 20, Reason: "spend_limit"})
		}
		if round == 13 {
			w.Use(winner, bundleID, "cpu", 12, 12, 10)
			w.Emit(w.Sched, "", winner, events.AgentTerminated{AgentID: winner, BundleID: bundleID, Reason: "exceeds_bundle",
				Resource: "cpu", Used: 12, Limit: 10})
			terminated[winner] = true
			w.End(winner, bundleID, "terminated")
		} else {
			w.Use(winner, bundleID, "cpu", 9, 9, 10)
			w.End(winner, bundleID, "")
		}
		w.CaptureAs(lease, "pay/"+bundleID, "market", amount)
		w.Tick(time.Minute)
	}
	return w.Events()
}

// decimalOf returns the Decimal of n×10^exp.
func decimalOf(n int64, exp int32) events.Decimal { return events.DecimalOf(apd.New(n, exp)) }

// runReport is the report of runStream as a program would make it: its
// settings, and the verdicts of the invariant checks.
func runReport(tb testing.TB) report.Report {
	evs := runStream(tb)
	r := report.FromRun("run-1: 6 agents, 30m, seed 7", evs, evs[len(evs)-1].Time, report.Settings{
		Mechanism: "greedy", Reserve: "utilisation", Agents: len(runAgents), Duration: 30 * time.Minute, Seed: 7,
		Transport: "embedded", SimulatedClock: true, Resources: report.ResourcesOf(runResources...),
		Spend: runSpend, Strategies: runStrategies,
	})
	checks := invariant.ResourceOptions(runResources...)
	checks.Spend = runSpend
	r.Verdicts = report.InvariantVerdicts(evs, checks)
	return r
}
