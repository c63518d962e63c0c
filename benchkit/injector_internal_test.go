package benchkit

import (
	"context"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// The injector passes the reads of a market restored from a snapshot
// through to its log.
func TestInjectorTailReader(t *testing.T) {
	ctx := context.Background()
	in := &injector{agent: "a", log: events.NewLog(events.LogOptions{})}
	b := events.NewSequencer(events.SourceAgent, "inj", 0).Batch(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b.Add("x", events.AgentAwake{AgentID: "x"})
	b.Add("y", events.AgentAwake{AgentID: "y"})
	if err := b.Publish(ctx, in); err != nil {
		t.Fatal(err)
	}
	if last, err := in.LastSequence(ctx); err != nil || last != 2 {
		t.Errorf("LastSequence = %d, %v", last, err)
	}
	if evs, last, err := in.ReadFrom(ctx, 2); err != nil || last != 2 || len(evs) != 1 || evs[0].Subject != "y" {
		t.Errorf("ReadFrom(2) = %v, %d, %v", evs, last, err)
	}
}
