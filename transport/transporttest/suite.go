package transporttest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scarcitylabs/scarcity/events"
)

// suite is the harness and the bounds every case works with.
type suite struct {
	h       Harness
	timeout time.Duration
}

// open returns a transport over a new, empty stream, closed when t ends.
func (s suite) open(t *testing.T) Transport {
	t.Helper()
	tr := s.h.New(t)
	if tr == nil {
		t.Fatal("Harness.New returned nil")
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// publish publishes evs through tr or fails the test.
func (s suite) publish(t *testing.T, tr Transport, evs ...events.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), s.timeout)
	defer cancel()
	if err := tr.Publish(ctx, evs...); err != nil {
		t.Fatalf("Publish(%d events): %v", len(evs), err)
	}
}

// subscribe subscribes to tr or fails the test; the subscription is closed
// when t ends.
func (s suite) subscribe(t *testing.T, tr Transport, opts events.SubscribeOptions) events.Subscription {
	t.Helper()
	sub, err := tr.Subscribe(t.Context(), opts)
	if err != nil {
		t.Fatalf("Subscribe(%+v): %v", opts, err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

func (s suite) collect(t *testing.T, sub events.Subscription, n int) []events.Delivery {
	t.Helper()
	return collect(t, sub, n, s.timeout)
}

func (s suite) drain(t *testing.T, sub events.Subscription) []events.Delivery {
	t.Helper()
	return drain(t, sub, s.timeout)
}

// contents returns every event of tr's stream. It publishes a fence event
// (which stays in the stream), reads the stream from its start until the
// fence, and returns what came before it.
func (s suite) contents(t *testing.T, tr Transport) []events.Delivery {
	t.Helper()
	f := fence(events.Filter{})
	s.publish(t, tr, f)
	sub := s.subscribe(t, tr, events.SubscribeOptions{})
	defer sub.Close()
	ds := readUntil(t, sub, f.ID, s.timeout)
	if last := ds[len(ds)-1]; last.Seq != uint64(len(ds)) {
		t.Fatalf("the stream's last event has Seq %d after %d deliveries from the start", last.Seq, len(ds)-1)
	}
	return ds[:len(ds)-1]
}

// expectFence publishes an event that f selects and checks that it is the
// next delivery of sub, at stream sequence seq: sub delivered nothing
// unexpected since its last read, and still follows the stream.
func (s suite) expectFence(t *testing.T, tr Transport, sub events.Subscription, f events.Filter, seq uint64) events.Event {
	t.Helper()
	e := fence(f)
	s.publish(t, tr, e)
	expect(t, "delivery after the last expected one", []events.Delivery{{Seq: seq, Event: e}}, s.collect(t, sub, 1))
	return e
}

// fences numbers fence events, so that their ids are unique.
var fences atomic.Uint64

// fenceTime is the time of fence events: after every generated event.
var fenceTime = epoch.AddDate(10, 0, 0)

// fence returns a valid event that f selects and that no generator makes.
func fence(f events.Filter) events.Event {
	n := fences.Add(1)
	e := events.Event{
		ID: fmt.Sprintf("transporttest-fence-%06d", n), Type: events.TypeAgentAwake,
		Source: events.SourceJudge, Subject: "fence", Time: fenceTime, Sequence: n,
		Correlation: f.Correlation, Schema: events.SchemaVersion,
	}
	if len(f.Sources) > 0 {
		e.Source = f.Sources[0]
	}
	if len(f.Types) > 0 {
		e.Type = f.Types[0]
	}
	if len(f.Subjects) > 0 {
		e.Subject = f.Subjects[0]
	}
	e.Data = payloadOf(e.Type, e.Subject)
	return e
}

// numbered returns the deliveries of evs at stream sequences first,
// first+1, ...
func numbered(first uint64, evs []events.Event) []events.Delivery {
	out := make([]events.Delivery, len(evs))
	for i, e := range evs {
		out[i] = events.Delivery{Seq: first + uint64(i), Event: e}
	}
	return out
}

// selected returns the deliveries of the events of stream (numbered from 1)
// that f selects.
func selected(stream []events.Event, f events.Filter) []events.Delivery {
	var out []events.Delivery
	for i, e := range stream {
		if f.Match(e) {
			out = append(out, events.Delivery{Seq: uint64(i) + 1, Event: e})
		}
	}
	return out
}

// expect reports a difference between the deliveries wanted and got.
func expect(t *testing.T, what string, want, got []events.Delivery) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// within runs f in a goroutine and returns its error, failing the test if it
// does not return within limit (f then keeps running).
func within(t *testing.T, limit time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("%s did not return within %v", what, limit)
		return nil
	}
}
