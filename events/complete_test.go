package events_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/events"
)

// flakyPublisher stores, on each call, the events its next outcome says
// and fails as that outcome says: the transport of the property test.
type flakyPublisher struct {
	stream []events.Event
	store  []bool // which of the call's events to store
	err    error  // what the call returns
}

func (p *flakyPublisher) Publish(_ context.Context, evs ...events.Event) error {
	for i, e := range evs {
		if p.store[i] {
			p.stream = append(p.stream, e)
		}
	}
	return p.err
}

// writerModel is a writer of one source whose publishes may be lost,
// stored in part or in full without an acknowledgement, and which is
// rebuilt from the stream after a publish in doubt.
type writerModel struct {
	source events.Source
	seq    *events.Sequencer
	// happened are the events of the batches that happened: acknowledged,
	// or stored whole although in doubt.
	happened []events.Event
}

// TestCompleteProperty publishes batches of two writers through a transport
// that loses acknowledgements, rebuilding a fenced writer from the stream,
// and checks after every step that Complete keeps exactly the batches that
// happened, that their sequences are gap-free once void batches are
// skipped, and that no id is stored twice.
func TestCompleteProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pub := &flakyPublisher{}
		writers := []*writerModel{
			{source: events.SourceLedger, seq: events.NewSequencer(events.SourceLedger, "run", 0)},
			{source: events.SourceMarket, seq: events.NewSequencer(events.SourceMarket, "run", 0)},
		}
		now := t0
		for step := range rapid.IntRange(1, 40).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 1).Draw(t, "tick")) * time.Second)
			w := writers[rapid.IntRange(0, 1).Draw(t, "writer")]
			if w.seq.Fenced() {
				rebuild(w, pub.stream)
			}
			publishStep(t, w, pub, now)
			checkComplete(t, step, writers, pub.stream)
		}
	})
}

// publishStep publishes one batch of w with a drawn outcome and records in
// the model what happened.
func publishStep(t *rapid.T, w *writerModel, pub *flakyPublisher, now time.Time) {
	b := w.seq.Batch(now)
	n := rapid.IntRange(1, 4).Draw(t, "events")
	for range n {
		b.Add("x", events.AgentAwake{AgentID: "x"})
	}
	pub.store = make([]bool, n)
	outcome := rapid.SampledFrom([]string{"ok", "lost", "stored, in doubt", "part, in doubt"}).Draw(t, "outcome")
	whole := true
	for i := range pub.store {
		switch outcome {
		case "ok", "stored, in doubt":
			pub.store[i] = true
		case "part, in doubt":
			pub.store[i] = rapid.Bool().Draw(t, "stored")
			whole = whole && pub.store[i]
		}
	}
	pub.err = map[string]error{
		"lost":             errors.New("not stored"),
		"stored, in doubt": events.ErrInDoubt,
		"part, in doubt":   fmt.Errorf("connection lost: %w", events.ErrInDoubt),
	}[outcome]
	err := b.Publish(context.Background(), pub)
	switch {
	case outcome == "ok" && err != nil:
		t.Fatalf("Publish: %v", err)
	case outcome == "lost" && (err == nil || errors.Is(err, events.ErrFenced)):
		t.Fatalf("Publish of a lost batch = %v, want its error and no fence", err)
	case outcome != "ok" && outcome != "lost" && (!errors.Is(err, events.ErrFenced) || !w.seq.Fenced()):
		t.Fatalf("Publish in doubt = %v, fenced %v; want ErrFenced", err, w.seq.Fenced())
	}
	if outcome == "ok" || outcome != "lost" && whole {
		w.happened = append(w.happened, b.Events()...)
	}
	if w.seq.Fenced() {
		if err := w.seq.Batch(now).Publish(context.Background(), pub); err != nil {
			t.Fatalf("an empty batch of a fenced writer: %v", err)
		}
	}
}

// rebuild gives w a sequencer rebuilt from the stream, as a writer restored
// after a publish in doubt has: after its last event that happened, moved
// past its void batches. Batches stored whole while in doubt happened.
func rebuild(w *writerModel, stream []events.Event) {
	kept, voids := events.Complete(stream)
	var last uint64
	w.happened = w.happened[:0]
	for _, e := range kept {
		if e.Source == w.source {
			last = e.Sequence
			w.happened = append(w.happened, e)
		}
	}
	w.seq = events.NewSequencer(w.source, "run", last)
	w.seq.SkipVoid(voids)
}

// checkComplete checks the stream against the writers' models.
func checkComplete(t *rapid.T, step int, writers []*writerModel, stream []events.Event) {
	kept, voids := events.Complete(stream)
	ids := make(map[string]bool)
	for _, e := range stream {
		if ids[e.ID] {
			t.Fatalf("step %d: id %s stored twice", step, e.ID)
		}
		ids[e.ID] = true
	}
	for _, w := range writers {
		var got []events.Event
		var last uint64
		for _, e := range kept {
			if e.Source != w.source {
				continue
			}
			got = append(got, e)
			if last = voids.Skip(e.Source, e.Correlation, last); e.Sequence != last+1 {
				t.Fatalf("step %d: %v follows %d", step, e, last)
			}
			last = e.Sequence
		}
		if diff := cmp.Diff(ids2(w.happened), ids2(got)); diff != "" {
			t.Fatalf("step %d: %s: kept events differ from those that happened (-want +got):\n%s", step, w.source, diff)
		}
	}
}

func ids2(evs []events.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

// TestCompleteKeepsAGapInTheMiddle checks that a batch missing an event is
// not taken for a void one when its writer went on without taking it over:
// events lost in transport show as a gap.
func TestCompleteKeepsAGapInTheMiddle(t *testing.T) {
	rec := &recorder{}
	s := events.NewSequencer(events.SourceLedger, "run", 0)
	for range 2 {
		b := s.Batch(t0)
		b.Add("a", events.AgentAwake{AgentID: "a"})
		b.Add("a", events.AgentDormant{AgentID: "a"})
		if err := b.Publish(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	evs := rec.events()
	lost := []events.Event{evs[0], evs[2], evs[3]}
	kept, voids := events.Complete(lost)
	if voids.Len() != 0 || len(kept) != 3 {
		t.Fatalf("Complete = %v, %d voids; want all kept, none void", kept, voids.Len())
	}
	kept, voids = events.Complete(evs[:1]) // the last batch, in part
	if voids.Len() != 1 || len(kept) != 0 || voids.Skip(events.SourceLedger, "run", 0) != 2 {
		t.Fatalf("Complete of a trailing part = %v, %d voids; want it void", kept, voids.Len())
	}
}

// TestBatchRangeRoundTrip checks that batch ranges survive the codec and
// that Decode refuses ranges that do not hold the event.
func TestBatchRangeRoundTrip(t *testing.T) {
	e := eventOf(events.AgentAwake{AgentID: "a"}, 3)
	e.BatchFirst, e.BatchLast = 2, 4
	got, err := events.Decode(mustEncode(t, e))
	if err != nil {
		t.Fatal(err)
	}
	if got.BatchFirst != 2 || got.BatchLast != 4 {
		t.Fatalf("decoded range %d..%d, want 2..4", got.BatchFirst, got.BatchLast)
	}
	for _, r := range [][2]uint64{{4, 5}, {1, 2}, {3, 3}, {0, 4}, {2, 0}} {
		e.BatchFirst, e.BatchLast = r[0], r[1]
		if err := e.Validate(); !errors.Is(err, events.ErrInvalid) {
			t.Errorf("range %v for sequence 3: Validate = %v, want ErrInvalid", r, err)
		}
	}
}
