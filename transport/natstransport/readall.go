package natstransport

import (
	"context"
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
)

// ReadAll returns every event the stream holds now, in stream order: the
// stream a market restores from (scarcity.Restore) after a crash, or
// rebuilds itself from after a failed publish. A Transport whose writes
// failed continues from what ReadAll read: its next message expects the
// last sequence read, so that an event stored late, after the read, is not
// followed by events written without it. A read through a writer's
// Transport is therefore the writer's own; any other reader opens a
// Transport of its own (Options.ReadOnly).
func (t *Transport) ReadAll(ctx context.Context) ([]events.Event, error) {
	if !t.synced.Load() {
		t.flying.wait() // what is still in flight is stored, or not, before the read
	}
	stream, err := t.js.Stream(ctx, t.opts.Stream)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStream, err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		t.learn(last)
		return nil, nil
	}
	sub, err := t.Subscribe(ctx, events.SubscribeOptions{From: info.State.FirstSeq})
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	out := make([]events.Event, 0, info.State.Msgs)
	for d := range sub.C() {
		out = append(out, d.Event)
		if d.Seq >= last {
			t.learn(last)
			return out, nil
		}
	}
	return nil, fmt.Errorf("natstransport: reading the stream: %w", sub.Err())
}
