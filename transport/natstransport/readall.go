package natstransport

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
)

var _ events.TailReader = (*Transport)(nil)

// ReadAll returns every event the stream holds now, in stream order: the
// stream a market restores from (scarcity.Restore) after a crash, or
// rebuilds itself from after a failed publish. A Transport whose writes
// failed continues from what ReadAll read: its next message expects the
// last sequence read, so that an event stored late, after the read, is not
// followed by events written without it. A read through a writer's
// Transport is therefore the writer's own; any other reader opens a
// Transport of its own (Options.ReadOnly). ReadAll is ReadFrom from the
// stream's first event.
func (t *Transport) ReadAll(ctx context.Context) ([]events.Event, error) {
	evs, _, err := t.read(ctx, 0)
	return evs, err
}

// ReadFrom returns the events from stream sequence from (0 means 1) to the
// last the stream holds now, in stream order, and the stream sequence of
// that last event: the tail a writer restored from a snapshot reads after
// it. A from beyond the last returns no events and the last sequence.
//
// Like ReadAll, a ReadFrom through a writer's Transport is the writer's
// own: it first waits for the writer's publishes in flight if one failed,
// and the writer's next message then expects the last sequence read, so a
// writer rebuilt from a snapshot and this tail continues exactly after it.
//
// A from after 1 but before the stream's first event (events removed
// from the stream, which the stream's configuration denies but an
// operator's may not) fails with ErrNotHeld: the tail asked for is no
// longer whole. Other errors wrap ErrStream, ErrDecode, ErrConsumer,
// events.ErrClosed or ctx's error.
func (t *Transport) ReadFrom(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	return t.read(ctx, max(from, 1))
}

// LastSequence returns the stream sequence of the stream's last event, from
// the stream's info; 0 if the stream never held one. Unlike ReadFrom it
// tells a writer nothing: the writer has not read what its stream holds.
// Errors wrap ErrStream, events.ErrClosed or ctx's error.
func (t *Transport) LastSequence(ctx context.Context) (uint64, error) {
	info, err := t.streamState(ctx)
	if err != nil {
		return 0, err
	}
	return info.LastSeq, nil
}

// streamState returns the state of the stream now.
func (t *Transport) streamState(ctx context.Context) (jetstream.StreamState, error) {
	if err := ctx.Err(); err != nil {
		return jetstream.StreamState{}, err
	}
	if t.isClosed() {
		return jetstream.StreamState{}, events.ErrClosed
	}
	stream, err := t.js.Stream(ctx, t.opts.Stream)
	if err != nil {
		return jetstream.StreamState{}, fmt.Errorf("%w: %w", ErrStream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return jetstream.StreamState{}, fmt.Errorf("%w: %w", ErrStream, err)
	}
	return info.State, nil
}

// read returns the events from stream sequence from (0: from the stream's
// first event, wherever it is) to the stream's last now, and that last
// sequence, which the writer learns.
func (t *Transport) read(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	if !t.synced.Load() {
		t.flying.wait() // what is still in flight is stored, or not, before the read
	}
	state, err := t.streamState(ctx)
	if err != nil {
		return nil, 0, err
	}
	last := state.LastSeq
	if state.Msgs == 0 || from > last {
		t.learn(last)
		return nil, last, nil
	}
	if from > 1 && from < state.FirstSeq {
		return nil, 0, fmt.Errorf("%w: stream %s: events %d to %d asked for, its first is %d",
			ErrNotHeld, t.opts.Stream, from, state.FirstSeq-1, state.FirstSeq)
	}
	from = max(from, state.FirstSeq)
	sub, err := t.Subscribe(ctx, events.SubscribeOptions{From: from})
	if err != nil {
		return nil, 0, err
	}
	defer sub.Close()
	out := make([]events.Event, 0, min(last-from+1, state.Msgs))
	for d := range sub.C() {
		out = append(out, d.Event)
		if d.Seq >= last {
			t.learn(last)
			return out, last, nil
		}
	}
	return nil, 0, fmt.Errorf("natstransport: reading the stream: %w", sub.Err())
}
