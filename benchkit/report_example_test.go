package benchkit_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// A report of a stream: the price and utilisation of cpu from two clearing
// rounds, and the balances of the agents, with one verdict added.
func ExampleReportFromStream() {
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

	r := benchkit.ReportFromStream("run-1", stream, t.Add(time.Hour))
	r.Verdicts = append(r.Verdicts, benchkit.VerdictRow{
		Name: benchkit.CreditsConserved, Kind: benchkit.KindInvariant, Status: benchkit.StatusPass,
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

// Collect reads a run from a stream until its judge has spoken, then the
// run is kept as JSON Lines.
func ExampleCollect() {
	log := events.NewLog(events.LogOptions{})
	t := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	agent := events.NewSequencer(events.SourceAgent, "run-1", 0)
	b := agent.Batch(t)
	b.Add("alice", events.ReasoningTrace{AgentID: "alice", Decision: "adjust_bid", Content: "bid lower"})
	_ = b.Publish(context.Background(), log)
	judge := events.NewSequencer(events.SourceJudge, "run-1", 0)
	j := judge.Batch(t.Add(time.Second))
	j.Add("alice", events.JudgeEvaluation{Judge: "j1", AgentID: "alice", Scenario: "fc_003",
		Criteria: map[string]events.Decimal{"recovery": "4"}, Overall: "4", Passed: true})
	_ = j.Publish(context.Background(), log)

	evs, err := benchkit.Collect(context.Background(), log, benchkit.CollectOptions{
		Correlation: "run-1",
		Until:       func(e events.Event) bool { return e.Type == events.TypeJudgeEvaluation },
	})
	fmt.Println(len(evs), err)
	_ = benchkit.WriteJSONL(os.Stdout, evs[:1])
	// Output:
	// 2 <nil>
	// {"specversion":"1.0","id":"1748779200000000000-run-1-agent-000000000001","source":"agent","type":"reasoning_trace","subject":"alice","time":"2025-06-01T12:00:00Z","datacontenttype":"application/json","sequence":"1","correlationid":"run-1","schemaversion":1,"data":{"agent_id":"alice","decision":"adjust_bid","content":"bid lower"}}
}
