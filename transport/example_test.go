package transport_test

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// A transport is an events.Publisher and an events.Subscriber: a replay
// and a live tail are the same subscription. The in-memory log is the
// simplest; natstransport.Open gives the same interface over JetStream.
func Example() {
	ctx := context.Background()
	var stream interface {
		events.Publisher
		events.Subscriber
	} = events.NewLog(events.LogOptions{})

	seq := events.NewSequencer(events.SourceScheduler, "demo", 0)
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	b := seq.Batch(at)
	b.Add("alice", events.AgentAwake{AgentID: "alice"})
	b.Add("bob", events.AgentAwake{AgentID: "bob"})
	if err := b.Publish(ctx, stream); err != nil {
		fmt.Println(err)
		return
	}

	sub, err := stream.Subscribe(ctx, events.SubscribeOptions{Filter: events.Filter{Subjects: []string{"bob"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()
	d := <-sub.C()
	fmt.Println(d.Seq, d.Event.Type, d.Event.Subject)
	// Output:
	// 2 agent_awake bob
}
