package natstransport_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// waitTimeout bounds every wait for deliveries in these tests.
const waitTimeout = 20 * time.Second

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// open returns a Transport on srv, closed when the test ends.
func open(tb testing.TB, url string, opts natstransport.Options) *natstransport.Transport {
	tb.Helper()
	opts.URL = url
	tr, err := natstransport.Open(context.Background(), opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { tr.Close() })
	return tr
}

// startOpen starts a server and opens a Transport on it.
func startOpen(tb testing.TB) (*natstest.Server, *natstransport.Transport) {
	tb.Helper()
	srv := natstest.StartServer(tb)
	return srv, open(tb, srv.URL(), natstransport.Options{})
}

// agentEvents returns n agent_awake or agent_dormant events of source src
// and correlation corr, a second apart from start, about agents a0..a2.
func agentEvents(n int, src events.Source, corr string, start time.Time) []events.Event {
	s := events.NewSequencer(src, corr, 0)
	out := make([]events.Event, 0, n)
	for i := range n {
		b := s.Batch(start.Add(time.Duration(i) * time.Second))
		agent := fmt.Sprintf("a%d", i%3)
		if i%2 == 0 {
			out = append(out, b.Add(agent, events.AgentAwake{AgentID: agent}))
		} else {
			out = append(out, b.Add(agent, events.AgentDormant{AgentID: agent}))
		}
		s = events.NewSequencer(src, corr, uint64(i+1))
	}
	return out
}

func publish(tb testing.TB, p events.Publisher, evs ...events.Event) {
	tb.Helper()
	if err := p.Publish(context.Background(), evs...); err != nil {
		tb.Fatalf("Publish: %v", err)
	}
}

func subscribe(tb testing.TB, s events.Subscriber, opts events.SubscribeOptions) events.Subscription {
	tb.Helper()
	sub, err := s.Subscribe(context.Background(), opts)
	if err != nil {
		tb.Fatalf("Subscribe: %v", err)
	}
	tb.Cleanup(func() { sub.Close() })
	return sub
}

// receive reads n deliveries from sub or fails the test.
func receive(tb testing.TB, sub events.Subscription, n int) []events.Delivery {
	tb.Helper()
	out := make([]events.Delivery, 0, n)
	timeout := time.After(waitTimeout)
	for len(out) < n {
		select {
		case d, ok := <-sub.C():
			if !ok {
				tb.Fatalf("subscription ended after %d of %d deliveries: %v", len(out), n, sub.Err())
			}
			out = append(out, d)
		case <-timeout:
			tb.Fatalf("received %d of %d deliveries in %v", len(out), n, waitTimeout)
		}
	}
	return out
}

// quiet checks that sub delivers nothing for a short while.
func quiet(tb testing.TB, sub events.Subscription) {
	tb.Helper()
	select {
	case d, ok := <-sub.C():
		if ok {
			tb.Fatalf("unexpected delivery %d %v", d.Seq, d.Event)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

func eventsOf(ds []events.Delivery) []events.Event {
	if len(ds) == 0 {
		return nil
	}
	out := make([]events.Event, len(ds))
	for i, d := range ds {
		out[i] = d.Event
	}
	return out
}

func diffEvents(tb testing.TB, want, got []events.Event) {
	tb.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Fatalf("events (-want +got):\n%s", diff)
	}
}

// streamMsgs returns the number of messages in tr's stream.
func streamMsgs(tb testing.TB, tr *natstransport.Transport) uint64 {
	tb.Helper()
	s, err := tr.JetStream().Stream(context.Background(), tr.Stream())
	if err != nil {
		tb.Fatalf("Stream: %v", err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		tb.Fatalf("Info: %v", err)
	}
	return info.State.Msgs
}
