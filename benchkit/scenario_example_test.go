package benchkit_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

func ExampleScenario_Evaluate() {
	s, err := benchkit.LoadScenario(strings.NewReader(`{
	  "task_id": "retry",
	  "validation": {
	    "required_event_sequence": [
	      {"type": "bid_placed", "label": "first"},
	      {"type": "bid_rejected"},
	      {"type": "bid_placed", "label": "second", "constraints": {"total_cost": "<first.total_cost"}}
	    ],
	    "success_condition": "second_succeeded"
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	market := events.NewSequencer(events.SourceMarket, "run-1", 0)
	b := market.Batch(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	b.Add("alice", events.BidPlaced{OrderID: "o1", AgentID: "alice", TotalCost: "120"})
	b.Add("alice", events.BidRejected{OrderID: "o1", AgentID: "alice", Reason: events.ReasonInsufficientBalance})
	b.Add("alice", events.BidPlaced{OrderID: "o2", AgentID: "alice", TotalCost: "130"})

	res := s.Evaluate(context.Background(), b.Events(), benchkit.EvalOptions{Correlation: "run-1", Agent: "alice"})
	fmt.Println(res.Verdict)
	fmt.Println(res.Rules[0].Reason)
	// Output:
	// fail
	// step 3 second:bid_placed[total_cost < first.total_cost] not matched after 1735787045000000000-run-1-market-000000000002 (step 2); nearest candidate 1735787045000000000-run-1-market-000000000003: total_cost 130 is not < 120
}
