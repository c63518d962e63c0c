package events

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sequencer stamps the events of one source: ids, times and the gap-free
// per-source sequence. It is not safe for concurrent use; it belongs to the
// single writer of a service.
type Sequencer struct {
	source      Source
	correlation string
	last        uint64
}

// NewSequencer returns a sequencer for source whose next event gets sequence
// last+1. Pass the last sequence read back from a stream to resume it.
func NewSequencer(source Source, correlation string, last uint64) *Sequencer {
	return &Sequencer{source: source, correlation: correlation, last: last}
}

// Source returns the source the sequencer stamps.
func (s *Sequencer) Source() Source { return s.source }

// Last returns the sequence of the last published event.
func (s *Sequencer) Last() uint64 { return s.last }

// Batch starts the events of one state change, all stamped with time now.
func (s *Sequencer) Batch(now time.Time) *Batch {
	b := &Batch{seq: s, base: s.last, now: now.UTC().Round(0)}
	b.events = b.inline[:0]
	return b
}

// Batch collects the events of one state change. Its events are numbered
// after the sequencer's last; the sequencer advances only when the batch is
// published.
type Batch struct {
	seq    *Sequencer
	base   uint64
	now    time.Time
	events []Event
	inline [2]Event // backs events for the common batch of one or two
}

// Add appends an event about subject carrying data and returns it.
func (b *Batch) Add(subject string, data Payload) Event {
	return b.AddCaused("", subject, data)
}

// AddCaused appends an event caused by the event with id causation.
func (b *Batch) AddCaused(causation, subject string, data Payload) Event {
	seq := b.base + uint64(len(b.events)) + 1
	e := Event{
		ID:          eventID(b.now, b.seq.correlation, b.seq.source, seq),
		Type:        data.EventType(),
		Source:      b.seq.source,
		Subject:     subject,
		Time:        b.now,
		Sequence:    seq,
		Correlation: b.seq.correlation,
		Causation:   causation,
		Schema:      SchemaVersion,
		Data:        data,
	}
	b.events = append(b.events, e)
	return e
}

// Events returns the batch's events in order.
func (b *Batch) Events() []Event { return b.events }

// Len returns the number of events in the batch.
func (b *Batch) Len() int { return len(b.events) }

// Publish publishes the batch's events through p and, once p has accepted
// them, advances the sequencer past them. An empty batch publishes nothing.
func (b *Batch) Publish(ctx context.Context, p Publisher) error {
	if len(b.events) == 0 {
		return nil
	}
	if b.seq.last != b.base {
		return fmt.Errorf("events: batch for %s started at %d but sequencer is at %d", b.seq.source, b.base, b.seq.last)
	}
	if err := p.Publish(ctx, b.events...); err != nil {
		return err
	}
	b.seq.last = b.base + uint64(len(b.events))
	return nil
}

// eventID builds an id that sorts by time, then correlation, source and
// sequence, and is unique for each (correlation, source, sequence):
// "<19-digit unix ns>-[<correlation>-]<source>-<12-digit sequence>".
func eventID(t time.Time, correlation string, source Source, seq uint64) string {
	var id strings.Builder
	id.Grow(19 + len(correlation) + len(source) + 15)
	writePadded(&id, uint64(max(t.UnixNano(), 0)), 19)
	id.WriteByte('-')
	if correlation != "" {
		id.WriteString(correlation)
		id.WriteByte('-')
	}
	id.WriteString(string(source))
	id.WriteByte('-')
	writePadded(&id, seq, 12)
	return id.String()
}

// writePadded writes v in decimal, zero-padded to width digits.
func writePadded(w *strings.Builder, v uint64, width int) {
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], v, 10)
	for range width - len(d) {
		w.WriteByte('0')
	}
	w.Write(d)
}
