package transporttest

import (
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// testReplay: a subscription starts at a stream sequence (From, 0 meaning
// 1) or at the first event whose time is at or after Since (From then
// ignored), replays from there, then follows new events; a start beyond the
// end delivers the events published later, from that start.
func testReplay(t *testing.T, s suite) {
	tr := s.open(t)
	g := NewGenerator(events.SourceLedger, "replay")
	evs := g.Next(10)
	s.publish(t, tr, evs[:4]...)
	s.publish(t, tr, evs[4:]...)
	last := evs[len(evs)-1].Time
	cases := []struct {
		name  string
		opts  events.SubscribeOptions
		first uint64 // the first sequence delivered
	}{
		{"from 0", events.SubscribeOptions{}, 1},
		{"from 1", events.SubscribeOptions{From: 1}, 1},
		{"from 4", events.SubscribeOptions{From: 4}, 4},
		{"from the last", events.SubscribeOptions{From: 10}, 10},
		{"from the next", events.SubscribeOptions{From: 11}, 11},
		{"from beyond the end", events.SubscribeOptions{From: 12}, 12},
		{"since an event's time", events.SubscribeOptions{Since: evs[3].Time}, 4},
		{"since between events", events.SubscribeOptions{Since: evs[3].Time.Add(-step / 2)}, 4},
		{"since before the first", events.SubscribeOptions{Since: epoch.Add(-time.Hour)}, 1},
		{"since ignores from", events.SubscribeOptions{From: 8, Since: evs[2].Time}, 3},
		{"since the last", events.SubscribeOptions{Since: last}, 10},
		{"since beyond the end", events.SubscribeOptions{Since: last.Add(time.Millisecond)}, 11},
	}
	subs := make([]events.Subscription, len(cases))
	for i, c := range cases {
		subs[i] = s.subscribe(t, tr, c.opts)
		if c.first <= uint64(len(evs)) {
			want := numbered(c.first, evs[c.first-1:])
			expect(t, c.name+": replay", want, s.collect(t, subs[i], len(want)))
		}
	}
	more := g.Next(3) // later than every event before
	stream := append(evs, more...)
	s.publish(t, tr, more...)
	for i, c := range cases {
		first := max(c.first, uint64(len(evs))+1)
		want := numbered(first, stream[first-1:])
		expect(t, c.name+": then the events published later", want, s.collect(t, subs[i], len(want)))
	}
}

// testFilter: a filter on sources, types, subjects, correlation, or all of
// them together delivers exactly the events it selects, with their stream
// sequences, in replay and live.
func testFilter(t *testing.T, s suite) {
	tr := s.open(t)
	gens := []*Generator{
		NewGenerator(events.SourceMarket, "run-a"),
		NewGenerator(events.SourceLedger, "run-b"),
		NewGenerator(events.SourceAgent, "run-a"),
	}
	var stream []events.Event
	for range 3 {
		for _, g := range gens {
			evs := g.Next(3)
			s.publish(t, tr, evs...)
			stream = append(stream, evs...)
		}
	}
	cases := []struct {
		name string
		f    events.Filter
	}{
		{"one source", events.Filter{Sources: []events.Source{events.SourceLedger}}},
		{"two sources", events.Filter{Sources: []events.Source{events.SourceMarket, events.SourceAgent}}},
		{"one type", events.Filter{Types: []events.Type{events.TypeAgentDormant}}},
		{"two types", events.Filter{Types: []events.Type{events.TypeBundleActivated, events.TypeAgentAwake}}},
		{"one subject", events.Filter{Subjects: []string{"agent-2"}}},
		{"two subjects", events.Filter{Subjects: []string{"agent-3", "agent-1"}}},
		{"correlation", events.Filter{Correlation: "run-b"}},
		{"all together", events.Filter{
			Sources:     []events.Source{events.SourceMarket, events.SourceAgent},
			Types:       []events.Type{events.TypeAgentAwake, events.TypeBundleActivated},
			Subjects:    []string{"agent-1", "agent-3"},
			Correlation: "run-a",
		}},
		{"nothing yet", events.Filter{Subjects: []string{"nobody"}}},
	}
	for _, c := range cases {
		want := selected(stream, c.f)
		if len(want) == len(stream) {
			t.Fatalf("%s: suite bug: the filter selects every event", c.name)
		}
		sub := s.subscribe(t, tr, events.SubscribeOptions{Filter: c.f})
		expect(t, c.name, want, s.collect(t, sub, len(want)))
		stream = append(stream, s.expectFence(t, tr, sub, c.f, uint64(len(stream))+1))
		_ = sub.Close()
	}
}

// testLiveTail: a subscription started before any event receives the events
// as they are published; one started in between replays, then follows; Err
// is nil while a subscription runs.
func testLiveTail(t *testing.T, s suite) {
	tr := s.open(t)
	evs := Events(9)
	early := s.subscribe(t, tr, events.SubscribeOptions{})
	s.publish(t, tr, evs[:3]...)
	expect(t, "first batch", numbered(1, evs[:3]), s.collect(t, early, 3))
	late := s.subscribe(t, tr, events.SubscribeOptions{})
	for _, r := range [][2]int{{3, 4}, {4, 9}} {
		batch := evs[r[0]:r[1]]
		s.publish(t, tr, batch...)
		expect(t, "live", numbered(uint64(r[0])+1, batch), s.collect(t, early, len(batch)))
	}
	expect(t, "started in between", numbered(1, evs), s.collect(t, late, len(evs)))
	for _, sub := range []events.Subscription{early, late} {
		if err := sub.Err(); err != nil {
			t.Errorf("Err of a running subscription = %v", err)
		}
	}
}
