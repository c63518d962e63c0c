package natstransport_test

import (
	"context"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// publishRetry publishes evs until it succeeds or waitTimeout passes, as a
// caller does across a server restart.
func publishRetry(tb testing.TB, p events.Publisher, evs ...events.Event) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		err := p.Publish(context.Background(), evs...)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Publish after restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestServerRestart(t *testing.T) {
	srv, tr := startOpen(t)
	evs := agentEvents(20, events.SourceLedger, "run-1", t0)
	sub := subscribe(t, tr, events.SubscribeOptions{})
	publish(t, tr, evs[:10]...)
	diffEvents(t, evs[:10], eventsOf(receive(t, sub, 10)))

	srv.Restart(t)
	publishRetry(t, tr, evs[10:]...)
	publishRetry(t, tr, evs[10:]...) // a retried publish adds nothing

	// The live subscription continues where it was.
	diffEvents(t, evs[10:], eventsOf(receive(t, sub, 10)))
	if got := streamMsgs(t, tr); got != 20 {
		t.Fatalf("stream holds %d messages, want 20", got)
	}
	diffEvents(t, evs, eventsOf(receive(t, subscribe(t, tr, events.SubscribeOptions{}), 20)))
}
