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
		fmt.Printf("%s of %s: %s\n", s.Unit, s.Name, s.Points[0].Value)
	}
	fmt.Println(r.Distribution.Labels, r.Distribution.Values)

	var page strings.Builder
	if err := r.WriteHTML(&page); err != nil {
		panic(err)
	}
	fmt.Println(strings.Count(page.String(), "<svg"), "charts")
	// Output:
	// price of cpu (credits per unit per second) of cpu: 0.002
	// utilisation (0 to 1) of cpu: 0.75
	// [alice] [12.5]
	// 3 charts
}
