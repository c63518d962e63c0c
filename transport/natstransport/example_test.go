package natstransport_test

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
	// A server in this process, for the example; a program connects to
	// its deployment's.
	srv, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown()

	tr, err := natstransport.Open(ctx, natstransport.Options{URL: srv.ClientURL()})
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

	sub, err := tr.Subscribe(ctx, events.SubscribeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()
	for range 2 {
		d := <-sub.C()
		fmt.Println(d.Seq, d.Event.Type, natstransport.Subject(tr.Prefix(), d.Event))
	}
	// Output:
	// 1 agent_awake scarcity.scheduler.agent_awake.agent-7._
	// 2 agent_dormant scarcity.scheduler.agent_dormant.agent-7._
}
