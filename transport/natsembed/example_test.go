package natsembed_test

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

func ExampleOpen() {
	ctx := context.Background()
	// A server in this process on a temporary directory, shut down and
	// removed by Close.
	tr, err := natsembed.Open(ctx, natstransport.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()

	seq := events.NewSequencer(events.SourceScheduler, "run-1", 0)
	b := seq.Batch(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	b.Add("agent-7", events.AgentAwake{AgentID: "agent-7"})
	b.Add("agent-7", events.AgentDormant{AgentID: "agent-7"})
	if err := b.Publish(ctx, tr); err != nil {
		fmt.Println(err)
		return
	}

	evs, err := tr.ReadAll(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range evs {
		fmt.Println(e.Type, natstransport.Subject(tr.Prefix(), e))
	}
	// Output:
	// agent_awake scarcity.scheduler.agent_awake.agent-7._
	// agent_dormant scarcity.scheduler.agent_dormant.agent-7._
}
