package natstransport

import (
	"context"
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
)

// ReadAll returns every event the stream holds now, in stream order: the
// stream a market restores from (scarcity.Restore) after a crash.
func (t *Transport) ReadAll(ctx context.Context) ([]events.Event, error) {
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
			return out, nil
		}
	}
	return nil, fmt.Errorf("natstransport: reading the stream: %w", sub.Err())
}
