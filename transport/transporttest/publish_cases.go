package transporttest

import (
	"slices"
	"testing"

	"github.com/scarcitylabs/scarcity/events"
)

// testPublishSubscribe: events published in several batches (and an empty
// publish) are delivered from the start, in order, at stream sequences
// 1..n, equal to what was published; Publish does not retain the caller's
// slice.
func testPublishSubscribe(t *testing.T, s suite) {
	tr := s.open(t)
	evs := Events(12)
	batch := slices.Clone(evs[:5])
	s.publish(t, tr, batch...)
	for i := range batch {
		batch[i] = events.Event{ID: "overwritten-after-publish"} // the caller reuses its slice
	}
	s.publish(t, tr)
	s.publish(t, tr, evs[5])
	s.publish(t, tr, evs[6:]...)

	sub := s.subscribe(t, tr, events.SubscribeOptions{})
	expect(t, "deliveries from the start", numbered(1, evs), s.collect(t, sub, len(evs)))
	s.expectFence(t, tr, sub, events.Filter{}, uint64(len(evs))+1)
}

// testEnvelope: every envelope attribute survives the transport, including
// an empty subject and subjects with characters that a transport might use
// as separators or wildcards; a filter on such a subject selects exactly its
// events.
func testEnvelope(t *testing.T, s suite) {
	tr := s.open(t)
	odd := []string{"acct.with.dots", "wild*card", "tail>", "with space", "ünïcødé/ß"}
	var stream []events.Event
	for i, subject := range append([]string{""}, odd...) {
		e := events.Event{
			ID: "envelope-" + string(rune('a'+i)), Type: events.TypeBundleActivated,
			Source: events.SourceScheduler, Subject: subject,
			Time: epoch.Add(123456789), Sequence: uint64(i) + 7, Correlation: "run.with.dots",
			Causation:   "cause-" + string(rune('a'+i)),
			TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			Schema:      events.SchemaVersion,
			Data:        events.BundleActivated{BundleID: "b.1", AgentID: subject},
		}
		stream = append(stream, e)
	}
	s.publish(t, tr, stream...)
	sub := s.subscribe(t, tr, events.SubscribeOptions{})
	expect(t, "deliveries", numbered(1, stream), s.collect(t, sub, len(stream)))

	for _, subject := range odd {
		f := events.Filter{Subjects: []string{subject}}
		sub := s.subscribe(t, tr, events.SubscribeOptions{Filter: f})
		want := selected(stream, f)
		expect(t, "filter by subject "+subject, want, s.collect(t, sub, len(want)))
		stream = append(stream, s.expectFence(t, tr, sub, f, uint64(len(stream))+1))
	}
}

// testOrder: under one publisher the stream keeps publish order overall and
// per subject, whatever the batch sizes.
func testOrder(t *testing.T, s suite) {
	tr := s.open(t)
	evs := NewGenerator(events.SourceMarket, "order").Next(60)
	for start, size := 0, 1; start < len(evs); start, size = start+size, size+2 {
		s.publish(t, tr, evs[start:min(start+size, len(evs))]...)
	}
	sub := s.subscribe(t, tr, events.SubscribeOptions{})
	expect(t, "overall order", numbered(1, evs), s.collect(t, sub, len(evs)))
	for _, subject := range subjects {
		f := events.Filter{Subjects: []string{subject}}
		sub := s.subscribe(t, tr, events.SubscribeOptions{Filter: f})
		want := selected(evs, f)
		expect(t, "order of "+subject, want, s.collect(t, sub, len(want)))
	}
}

// testDedupe: re-publishing an accepted event id adds nothing, even with
// different contents (the first accepted stays); a repeated id within a
// batch, small or large, is accepted once, at its first position.
func testDedupe(t *testing.T, s suite) {
	tr := s.open(t)
	evs := Events(8)
	s.publish(t, tr, evs[0], evs[1], evs[0])
	s.publish(t, tr, evs[1])
	s.publish(t, tr, evs[1], evs[2], evs[3])
	changed := evs[0]
	changed.Subject = "someone-else"
	s.publish(t, tr, changed)
	var large []events.Event
	for range 10 {
		large = append(large, evs[4], evs[5], evs[0])
	}
	s.publish(t, tr, append(large, evs[6], evs[4], evs[7])...)
	s.publish(t, tr, evs...)
	expect(t, "stream after re-publishes", numbered(1, evs), s.contents(t, tr))
}
