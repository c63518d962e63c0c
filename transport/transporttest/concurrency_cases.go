package transporttest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

// testConcurrentPublishers: publishers in goroutines, each publishing
// batches and re-publishing some, lose nothing and duplicate nothing; the
// stream has sequences 1..n, keeps each publisher's order, and reads the
// same live and in replay.
func testConcurrentPublishers(t *testing.T, s suite) {
	const publishers, batches, perBatch = 8, 25, 4
	const total = publishers * batches * perBatch
	tr := s.open(t)
	live := s.subscribe(t, tr, events.SubscribeOptions{})
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after t's context is cancelled, if the test fails early
	errs := make([]error, publishers)
	for p := range publishers {
		wg.Go(func() { errs[p] = publishMany(t.Context(), tr, p, batches, perBatch) })
	}
	got := s.collect(t, live, total)
	wg.Wait()
	for p, err := range errs {
		if err != nil {
			t.Errorf("publisher %d: %v", p, err)
		}
	}
	checkConcurrentStream(t, got, publishers, batches*perBatch)
	replay := s.subscribe(t, tr, events.SubscribeOptions{})
	expect(t, "replay after live", got, s.collect(t, replay, total))
	s.expectFence(t, tr, live, events.Filter{}, total+1)
}

// publishMany publishes batches of perBatch events of publisher p's own
// correlation, re-publishing every fifth batch.
func publishMany(ctx context.Context, tr Transport, p, batches, perBatch int) error {
	g := NewGenerator(events.SourceAgent, fmt.Sprintf("publisher-%d", p))
	for b := range batches {
		evs := g.Next(perBatch)
		if err := tr.Publish(ctx, evs...); err != nil {
			return err
		}
		if b%5 == 4 {
			if err := tr.Publish(ctx, evs...); err != nil {
				return fmt.Errorf("re-publish: %w", err)
			}
		}
	}
	return nil
}

// checkConcurrentStream checks that got has sequences 1..n and, for each of
// publishers, its events 1..each in order, once.
func checkConcurrentStream(t *testing.T, got []events.Delivery, publishers, each int) {
	t.Helper()
	next := make(map[string]uint64) // correlation → the sequence expected next
	for i, d := range got {
		if d.Seq != uint64(i)+1 {
			t.Fatalf("delivery %d has stream sequence %d, want %d", i, d.Seq, i+1)
		}
		c := d.Event.Correlation
		if want := next[c] + 1; d.Event.Sequence != want {
			t.Fatalf("%s: event sequence %d at stream sequence %d, want %d", c, d.Event.Sequence, d.Seq, want)
		}
		next[c]++
	}
	want := make(map[string]uint64)
	for p := range publishers {
		want[fmt.Sprintf("publisher-%d", p)] = uint64(each)
	}
	if diff := cmp.Diff(want, next); diff != "" {
		t.Errorf("events per publisher (-want +got):\n%s", diff)
	}
}

// testSlowConsumer: a subscriber that reads nothing while ten times
// events.SubscriptionBuffer events are published blocks no publisher; when
// it reads, it gets every event in order (Lossless), or a gap-free run and
// then the rest from a new subscription (EndsSubscription).
func testSlowConsumer(t *testing.T, s suite) {
	const perBatch = 128
	n := 10 * events.SubscriptionBuffer
	tr := s.open(t)
	slow := s.subscribe(t, tr, events.SubscribeOptions{})
	evs := Events(n)
	err := within(t, s.timeout, "publishing while a subscriber reads nothing", func() error {
		for start := 0; start < n; start += perBatch {
			if err := tr.Publish(t.Context(), evs[start:min(start+perBatch, n)]...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	switch s.h.SlowConsumer {
	case Lossless:
		expect(t, "the slow subscriber's deliveries", numbered(1, evs), s.collect(t, slow, n))
	case EndsSubscription:
		expect(t, "the slow subscriber's deliveries, resumed", numbered(1, evs), s.resume(t, tr, slow, n))
	default:
		t.Fatalf("unknown slow-consumer policy %v", s.h.SlowConsumer)
	}
}

// resume reads n deliveries from sub and, each time a subscription ends
// after a gap-free run, from a new subscription after the last delivery.
func (s suite) resume(t *testing.T, tr Transport, sub events.Subscription, n int) []events.Delivery {
	t.Helper()
	var got []events.Delivery
	for range n + 1 {
		ds := s.readUpTo(t, sub, n-len(got))
		for i, d := range ds {
			if want := uint64(len(got)+i) + 1; d.Seq != want {
				t.Fatalf("delivery with Seq %d, want %d: a gap before the subscription ended", d.Seq, want)
			}
		}
		got = append(got, ds...)
		if len(got) == n {
			return got
		}
		if sub.Err() == nil {
			t.Fatal("a subscription ended with a nil Err")
		}
		if len(ds) == 0 {
			t.Fatalf("a new subscription ended before delivering anything: %v", sub.Err())
		}
		sub = s.subscribe(t, tr, events.SubscribeOptions{From: uint64(len(got)) + 1})
	}
	return got
}

// readUpTo reads n deliveries from sub, or fewer if it ends first.
func (s suite) readUpTo(t *testing.T, sub events.Subscription, n int) []events.Delivery {
	t.Helper()
	var out []events.Delivery
	timeout := time.After(s.timeout)
	for len(out) < n {
		select {
		case d, ok := <-sub.C():
			if !ok {
				return out
			}
			out = append(out, d)
		case <-timeout:
			t.Fatalf("timed out after %v with %d of %d deliveries", s.timeout, len(out), n)
		}
	}
	return out
}
