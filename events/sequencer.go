package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unsafe"
)

// Sequencer stamps the events of one source: ids, times and the gap-free
// per-source sequence. It is not safe for concurrent use; it belongs to the
// single writer of a service.
type Sequencer struct {
	source      Source
	correlation string
	last        uint64
	// fenced is set by a publish in doubt: see Batch.Publish.
	fenced bool
	// chain, if set, links every batch published into the writer's hash
	// chain (see Chain), each batch a group.
	chain *Chain
	ids   idArena // the texts of the ids of its events
}

// NewSequencer returns a sequencer for source whose next event gets sequence
// last+1. Pass the last sequence read back from a stream to resume it: the
// last of the stream, void events included (Verification.Void), so that no
// id is used twice.
func NewSequencer(source Source, correlation string, last uint64) *Sequencer {
	return &Sequencer{source: source, correlation: correlation, last: last}
}

// Source returns the source the sequencer stamps.
func (s *Sequencer) Source() Source { return s.source }

// Last returns the sequence of the last published event.
func (s *Sequencer) Last() uint64 { return s.last }

// Chain makes the sequencer's batches links of c, each batch a group
// sealed when published (see Chain.Link): for a writer that publishes its
// batches itself. Several sequencers of one writer may share c. Nil stops
// chaining, as for a writer whose batches are staged into another's.
func (s *Sequencer) Chain(c *Chain) { s.chain = c }

// Fenced reports whether a publish of the sequencer's was in doubt, after
// which it publishes nothing more (see [Batch.Publish]).
func (s *Sequencer) Fenced() bool { return s.fenced }

// Batch starts the events of one state change, all stamped with time now.
func (s *Sequencer) Batch(now time.Time) *Batch {
	b := &Batch{seq: s}
	b.events = b.inline[:0]
	b.Reset(now)
	return b
}

// Reset empties b and starts it again as a batch of its sequencer at time
// now, numbered after the sequencer's last event, keeping its storage: a
// single writer can reuse one batch for every change instead of allocating
// one per change. Events returned by earlier Adds stay valid.
func (b *Batch) Reset(now time.Time) {
	clear(b.events)
	b.events = b.events[:0]
	b.base = b.seq.last
	b.now = now.UTC().Round(0)
	b.havePrefix = false
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
	// prefix is, once havePrefix is set, the part of the ids of the
	// batch's events before their sequence (see appendIDPrefix), formatted
	// once for every id of the batch.
	prefix     []byte
	havePrefix bool
	prefixBuf  [64]byte // backs prefix unless the correlation is long
}

// idPrefix returns the part of the ids of b's events before their sequence.
func (b *Batch) idPrefix() []byte {
	if !b.havePrefix {
		if b.prefix == nil {
			b.prefix = b.prefixBuf[:0]
		}
		b.prefix = appendIDPrefix(b.prefix[:0], b.now, b.seq.correlation, b.seq.source)
		b.havePrefix = true
	}
	return b.prefix
}

// Add appends an event about subject carrying data and returns it.
func (b *Batch) Add(subject string, data Payload) Event {
	return b.AddCaused("", subject, data)
}

// AddCaused appends an event caused by the event with id causation.
func (b *Batch) AddCaused(causation, subject string, data Payload) Event {
	var buf [96]byte
	id := appendPadded(append(buf[:0], b.idPrefix()...), b.nextSeq(), 12)
	return b.add(b.seq.ids.string(id), causation, subject, data)
}

// nextSeq returns the sequence of the next event added to b.
func (b *Batch) nextSeq() uint64 { return b.base + uint64(len(b.events)) + 1 }

// add appends the event with id and returns it.
func (b *Batch) add(id, causation, subject string, data Payload) Event {
	e := Event{
		ID:          id,
		Type:        data.EventType(),
		Source:      b.seq.source,
		Subject:     subject,
		Time:        b.now,
		Sequence:    b.nextSeq(),
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
// If the sequencer is chained (Sequencer.Chain), the batch is linked into
// the chain first, as one sealed group, and the chain goes back if the
// publish fails. Events returned by Add before Publish carry no chain.
//
// If p fails with an error wrapping [ErrInDoubt], the stream may hold some
// or all of the batch although the writer will not apply it: the sequencer
// is fenced, and this and every later Publish of it fail with [ErrFenced]
// (the first one wrapping p's error too). The writer must be rebuilt from
// the stream, which decides what happened. Any other error means nothing
// was stored, and the sequencer numbers the next batch as it did this one.
func (b *Batch) Publish(ctx context.Context, p Publisher) error {
	if len(b.events) == 0 {
		return nil
	}
	if b.seq.fenced {
		return fmt.Errorf("%w: %s", ErrFenced, b.seq.source)
	}
	if b.seq.last != b.base {
		return fmt.Errorf("events: batch for %s started at %d but sequencer is at %d", b.seq.source, b.base, b.seq.last)
	}
	var mark Mark
	if c := b.seq.chain; c != nil {
		mark = c.Link(b.events)
	}
	if err := p.Publish(ctx, b.events...); err != nil {
		if errors.Is(err, ErrInDoubt) {
			b.seq.fenced = true
			return fmt.Errorf("%w: %s: %w", ErrFenced, b.seq.source, err)
		}
		if c := b.seq.chain; c != nil {
			c.Rewind(mark)
		}
		return err
	}
	b.seq.last = b.base + uint64(len(b.events))
	return nil
}

// appendIDPrefix appends the part of an event id before the sequence, '-'
// included: the event's time in Unix nanoseconds, zero-padded to 19 digits,
// the correlation id if any, and the source, joined by '-'. The id is the
// prefix and the sequence zero-padded to 12 digits.
func appendIDPrefix(dst []byte, t time.Time, correlation string, source Source) []byte {
	dst = appendPadded(dst, uint64(max(t.UnixNano(), 0)), 19)
	dst = append(dst, '-')
	if correlation != "" {
		dst = append(append(dst, correlation...), '-')
	}
	return append(append(dst, source...), '-')
}

// appendPadded appends v in decimal, left-padded with zeros to width digits.
func appendPadded(dst []byte, v uint64, width int) []byte {
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], v, 10)
	for range width - len(d) {
		dst = append(dst, '0')
	}
	return append(dst, d...)
}

// idChunk is the size of the chunks an idArena hands ids out of: about 90
// ids of 45 bytes, so one allocation serves about 90 events.
const idChunk = 4096

// idArena hands out the ids of a sequencer's events as strings that share
// chunks of memory, one allocation per chunk instead of one per event (a
// write of one event, a restore of millions). A chunk is only ever appended
// to: the bytes of an id handed out are never written again, which is what
// makes the strings over them immutable, as Go requires. A chunk lives as
// long as any id in it. Like its sequencer, it is for one goroutine.
type idArena struct{ chunk []byte }

// string returns a string holding a copy of b.
func (a *idArena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.chunk)-len(a.chunk) < len(b) {
		a.chunk = make([]byte, 0, max(idChunk, len(b)))
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, b...)
	return unsafe.String(&a.chunk[start], len(b))
}
