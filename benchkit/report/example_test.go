package report_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

// A report of a stream: the price and utilisation of cpu from two clearing
// rounds, and the balances of the agents, with one verdict added.
func ExampleFromStream() {
	t := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ledger := events.NewSequencer(events.SourceLedger, "run-1", 0)
	lb := ledger.Batch(t)
	lb.Add("alice", events.AccountOpened{AccountID: "alice", Kind: "agent"})
	lb.Add("alice", events.CreditsMinted{Movement: events.Movement{
		TransferID: "t1", From: "mint", To: "alice", Amount: "12.5", FromBalance: "-12.5", ToBalance: "12.5",
	}})
	market := events.NewSequencer(events.SourceMarket, "run-1", 0)
	mb := market.Batch(t.Add(time.Minute))
	mb.Add("", events.MarketCleared{Round: 1, Prices: map[string]events.Decimal{"cpu": "0.002"},
		Utilisation: map[string]events.Decimal{"cpu": "0.75"}})
	stream := append(lb.Events(), mb.Events()...)

	r := report.FromStream("run-1", stream, t.Add(time.Hour))
	r.Verdicts = append(r.Verdicts, report.VerdictRow{
		Name: invariant.CreditsConserved, Kind: report.KindInvariant, Status: report.StatusPass,
	})
	for _, s := range r.Series {
		fmt.Printf("%s: %s %s (%s)\n", s.Chart, s.Name, s.Points[0].Value, s.Unit)
	}
	fmt.Println(r.Distribution.Labels, r.Distribution.Values)
	fmt.Println(r.Summary.Rounds, "round")

	var page strings.Builder
	if err := r.WriteHTML(&page); err != nil {
		panic(err)
	}
	fmt.Println(strings.Count(page.String(), "<svg"), "charts")
	// Output:
	// price of cpu: cpu 0.002 (credits per unit per second)
	// utilisation: cpu 0.75 (share of capacity, 0 to 1)
	// [alice] [12.5]
	// 1 round
	// 4 charts
}

// A report of a run with its settings: the units of the resources, the
// strategies of the agents and the spend limit tell the summary what the
// stream alone cannot.
func ExampleFromRun() {
	t := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	ledger := events.NewSequencer(events.SourceLedger, "run-1", 0)
	lb := ledger.Batch(t)
	for i, agent := range []string{"alice", "bob"} {
		lb.Add(agent, events.AccountOpened{AccountID: agent, Kind: "agent"})
		amount := []events.Decimal{"30", "10"}[i]
		lb.Add(agent, events.CreditsMinted{Movement: events.Movement{
			TransferID: "t" + agent, From: "mint", To: agent, Amount: amount, FromBalance: "-" + amount, ToBalance: amount,
		}})
	}
	market := events.NewSequencer(events.SourceMarket, "run-1", 0)
	mb := market.Batch(t.Add(time.Minute))
	mb.Add("", events.MarketCleared{Round: 1, Volume: events.Quantities{"cpu": 40}, Revenue: "4.80",
		Prices: map[string]events.Decimal{"cpu": "0.002"}, Welfare: "9", OptimalWelfare: "10"})
	stream := append(lb.Events(), mb.Events()...)

	r := report.FromRun("run-1", stream, t.Add(time.Hour), report.Settings{
		Mechanism: "greedy", Agents: 2, Duration: time.Hour, Seed: 1, Transport: "nats://user:secret@localhost:4222",
		SimulatedClock: true, Resources: []report.Resource{{Name: "cpu", Unit: "percent", Capacity: 400}},
		Strategies: map[string]string{"alice": "truthful", "bob": "shading"},
	})
	s := r.Summary
	fmt.Println(r.Settings.Transport)
	fmt.Println(s.Rounds, "round; revenue", s.Revenue, "credits; efficiency", s.Efficiency, "; Gini", s.Gini)
	for _, st := range s.Strategies {
		fmt.Printf("%s: %d agent, %d survivor, %s credits\n", st.Strategy, st.Agents, st.Survivors, st.Credits)
	}
	fmt.Println(r.Series[0].Chart, "in", r.Series[0].Unit)
	// Output:
	// nats://localhost:4222
	// 1 round; revenue 4.80 credits; efficiency 0.900000 ; Gini 0.250000
	// shading: 1 agent, 1 survivor, 10 credits
	// truthful: 1 agent, 1 survivor, 30 credits
	// price of cpu in credits/(percent·s)
}
