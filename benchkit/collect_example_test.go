package benchkit_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

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
	// {"specversion":"1.0","id":"1748779200000000000-run-1-agent-000000000001","source":"agent","type":"reasoning_trace","subject":"alice","time":"2025-06-01T12:00:00Z","datacontenttype":"application/json","dataschema":"https://github.com/scarcitylabs/scarcity/raw/main/contract/schemas/v1/events/reasoning_trace.json","sequence":"1","correlationid":"run-1","schemaversion":1,"data":{"agent_id":"alice","decision":"adjust_bid","content":"bid lower"}}
}
