package transporttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

// errCancelCause is the cause the suite cancels subscriptions with.
var errCancelCause = errors.New("transporttest: subscription cancelled by the test")

// testCancel: cancelling a subscription's context closes C, with or without
// undelivered events, after a gap-free run of deliveries, and Err then
// wraps the context's cause, which a later Close keeps; a subscription on a
// cancelled context fails or ends at once; a publish with a cancelled
// context fails with context.Canceled and publishes nothing.
func testCancel(t *testing.T, s suite) {
	for _, backlog := range []int{0, 2 * events.SubscriptionBuffer} {
		tr := s.open(t)
		evs := Events(3 + backlog)
		s.publish(t, tr, evs[:3]...)
		ctx, cancel := context.WithCancelCause(t.Context())
		sub, err := tr.Subscribe(ctx, events.SubscribeOptions{})
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		t.Cleanup(func() { _ = sub.Close() })
		expect(t, "before the cancel", numbered(1, evs[:3]), s.collect(t, sub, 3))
		s.publish(t, tr, evs[3:]...)
		cancel(errCancelCause)
		rest := s.drain(t, sub)
		expect(t, "after the cancel", numbered(4, evs[3:3+len(rest)]), rest)
		if err := sub.Err(); !errors.Is(err, errCancelCause) {
			t.Errorf("backlog %d: Err after cancel = %v, want the cause %v", backlog, err, errCancelCause)
		}
		if err := sub.Close(); err != nil {
			t.Errorf("Close after cancel: %v", err)
		}
		if err := sub.Err(); !errors.Is(err, errCancelCause) {
			t.Errorf("Err after Close = %v, want the cause still", err)
		}
	}
	tr := s.open(t)
	s.subscribeCancelled(t, tr)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := tr.Publish(ctx, Events(2)...); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a cancelled context: %v, want context.Canceled", err)
	}
	if got := s.contents(t, tr); len(got) != 0 {
		t.Errorf("a publish with a cancelled context published %d events", len(got))
	}
}

// subscribeCancelled checks that Subscribe on a cancelled context fails, or
// returns a subscription that ends with an error.
func (s suite) subscribeCancelled(t *testing.T, tr Transport) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(errCancelCause)
	sub, err := tr.Subscribe(ctx, events.SubscribeOptions{})
	if err != nil {
		return
	}
	defer sub.Close()
	s.drain(t, sub)
	if err := sub.Err(); err == nil {
		t.Error("a subscription on a cancelled context ended with a nil Err")
	}
}

// testClose: closing a subscription twice is not an error, closes C and
// makes Err report it; closing the transport twice is not an error, ends
// its subscriptions and makes Publish fail (and Subscribe fail or end at
// once).
func testClose(t *testing.T, s suite) {
	tr := s.open(t)
	evs := Events(2)
	s.publish(t, tr, evs...)
	sub := s.subscribe(t, tr, events.SubscribeOptions{})
	s.collect(t, sub, len(evs))
	for i := range 2 {
		if err := sub.Close(); err != nil {
			t.Errorf("subscription Close #%d: %v", i+1, err)
		}
	}
	s.drain(t, sub)
	s.checkClosedErr(t, "Err of a closed subscription", sub.Err())

	open := s.subscribe(t, tr, events.SubscribeOptions{})
	s.collect(t, open, len(evs))
	for i := range 2 {
		if err := tr.Close(); err != nil {
			t.Errorf("transport Close #%d: %v", i+1, err)
		}
	}
	if ds := s.drain(t, open); len(ds) != 0 {
		t.Errorf("a subscription delivered %d events after the transport closed", len(ds))
	}
	if open.Err() == nil {
		t.Error("a subscription ended by the transport's Close has a nil Err")
	}
	if err := open.Close(); err != nil {
		t.Errorf("subscription Close after the transport's: %v", err)
	}
	s.checkClosedErr(t, "Publish after Close", tr.Publish(t.Context(), Events(3)[2]))
	s.subscribeClosed(t, tr)
}

// subscribeClosed checks that Subscribe on a closed transport fails, or
// returns a subscription that ends with an error.
func (s suite) subscribeClosed(t *testing.T, tr Transport) {
	t.Helper()
	sub, err := tr.Subscribe(t.Context(), events.SubscribeOptions{})
	if err != nil {
		return
	}
	defer sub.Close()
	s.drain(t, sub)
	if sub.Err() == nil {
		t.Error("a subscription on a closed transport ended with a nil Err")
	}
}

// checkClosedErr checks that err reports a closed transport or subscription.
func (s suite) checkClosedErr(t *testing.T, what string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: nil error", what)
	case s.h.ErrClosed != nil && !errors.Is(err, s.h.ErrClosed):
		t.Errorf("%s: %v, want an error wrapping %v", what, err, s.h.ErrClosed)
	}
}

// testInvalid: an event that fails Validate is refused with ErrInvalid and
// never accepted; in a batch, the events around it are accepted nowhere
// (AtomicBatch) or at most once each, in order.
func testInvalid(t *testing.T, s suite) {
	tr := s.open(t)
	evs := Events(2)
	for _, bad := range invalidEvents() {
		if err := tr.Publish(t.Context(), bad.e); !errors.Is(err, events.ErrInvalid) {
			t.Errorf("Publish(%s): %v, want ErrInvalid", bad.name, err)
		}
		err := tr.Publish(t.Context(), evs[0], bad.e, evs[1])
		if !errors.Is(err, events.ErrInvalid) {
			t.Errorf("Publish(valid, %s, valid): %v, want ErrInvalid", bad.name, err)
		}
	}
	got := s.contents(t, tr)
	if s.h.AtomicBatch {
		expect(t, "stream after refused batches", nil, got)
		return
	}
	if !isSubsequence(got, evs) {
		t.Errorf("the stream holds %v; want the valid events %v, each at most once, in order", got, evs)
	}
}

// isSubsequence reports whether ds holds events of evs, in their order,
// each at most once, at sequences 1, 2, ...
func isSubsequence(ds []events.Delivery, evs []events.Event) bool {
	next := 0
	for i, d := range ds {
		for next < len(evs) && evs[next].ID != d.Event.ID {
			next++
		}
		if next == len(evs) || d.Seq != uint64(i)+1 || !cmp.Equal(d.Event, evs[next]) {
			return false
		}
		next++
	}
	return true
}

// invalidEvent is an event that fails Validate, and why.
type invalidEvent struct {
	name string
	e    events.Event
}

func invalidEvents() []invalidEvent {
	valid := func() events.Event { return NewGenerator(events.SourceJudge, "invalid").Next(1)[0] }
	mutate := func(name string, f func(*events.Event)) invalidEvent {
		e := valid()
		f(&e)
		return invalidEvent{name, e}
	}
	return []invalidEvent{
		mutate("empty id", func(e *events.Event) { e.ID = "" }),
		mutate("empty type", func(e *events.Event) { e.Type = "" }),
		mutate("empty source", func(e *events.Event) { e.Source = "" }),
		mutate("zero time", func(e *events.Event) { e.Time = time.Time{} }),
		mutate("zero sequence", func(e *events.Event) { e.Sequence = 0 }),
		mutate("no data", func(e *events.Event) { e.Data = nil }),
		mutate("data of another type", func(e *events.Event) { e.Data = events.AgentDormant{AgentID: e.Subject} }),
	}
}
