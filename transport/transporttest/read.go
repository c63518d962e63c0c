package transporttest

import (
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// Collect reads n deliveries from sub. It fails the test if they do not all
// arrive within DefaultTimeout or if the subscription ends first.
func Collect(tb testing.TB, sub events.Subscription, n int) []events.Delivery {
	tb.Helper()
	return collect(tb, sub, n, DefaultTimeout)
}

// Drain reads sub until its channel closes and returns what it read. It
// fails the test if the channel is still open after DefaultTimeout.
func Drain(tb testing.TB, sub events.Subscription) []events.Delivery {
	tb.Helper()
	return drain(tb, sub, DefaultTimeout)
}

func collect(tb testing.TB, sub events.Subscription, n int, limit time.Duration) []events.Delivery {
	tb.Helper()
	out := make([]events.Delivery, 0, n)
	timeout := time.After(limit)
	for len(out) < n {
		select {
		case d, ok := <-sub.C():
			if !ok {
				tb.Fatalf("subscription ended after %d of %d deliveries: %v", len(out), n, sub.Err())
			}
			out = append(out, d)
		case <-timeout:
			tb.Fatalf("timed out after %v with %d of %d deliveries", limit, len(out), n)
		}
	}
	return out
}

func drain(tb testing.TB, sub events.Subscription, limit time.Duration) []events.Delivery {
	tb.Helper()
	var out []events.Delivery
	timeout := time.After(limit)
	for {
		select {
		case d, ok := <-sub.C():
			if !ok {
				return out
			}
			out = append(out, d)
		case <-timeout:
			tb.Fatalf("subscription still open after %v; read %d deliveries", limit, len(out))
		}
	}
}

// readUntil reads sub until it delivers the event with id, and returns every
// delivery read, that one last.
func readUntil(tb testing.TB, sub events.Subscription, id string, limit time.Duration) []events.Delivery {
	tb.Helper()
	var out []events.Delivery
	timeout := time.After(limit)
	for {
		select {
		case d, ok := <-sub.C():
			if !ok {
				tb.Fatalf("subscription ended after %d deliveries, before event %s: %v", len(out), id, sub.Err())
			}
			out = append(out, d)
			if d.Event.ID == id {
				return out
			}
		case <-timeout:
			tb.Fatalf("timed out after %v waiting for event %s; read %d deliveries", limit, id, len(out))
		}
	}
}
