package natstransport

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
)

// MaxSubjectLen bounds the length of an event's NATS subject, well within
// the server's control-line limit.
const MaxSubjectLen = 2048

// Publish stores evs in the stream, in order, and returns nil once the
// server has acknowledged every one of them (group commit: the events are
// pipelined without waiting, then every ack is awaited).
//
// Every event is validated and encoded first; if one is invalid (the error
// wraps events.ErrInvalid) nothing is published. An event whose id the
// stream already holds within the duplicate window is acknowledged as a
// duplicate and counts as accepted, so publishing the same events again
// adds nothing.
//
// Any other failure (a missing ack, a server error, ctx done, the Transport
// closed) returns an error wrapping ErrNotAccepted and the cause (ctx's
// cause, events.ErrClosed, or the NATS error); a ctx already done or a
// Transport already closed return ctx's error or events.ErrClosed alone.
// Once a message has been sent the error also wraps events.ErrInDoubt: some
// of the events of a failed call may be stored and some not: the caller
// publishes the same events again, and the ones missing are stored then,
// after the others: the events of a call that failed and was retried may
// be stored in any order among themselves (readers that rebuild state set
// a batch stored in part aside: events.Complete). A failed message is never
// republished behind the caller's back, so calls made one after another
// are stored one after another.
//
// On a Transport opened with Options.ReadOnly, Publish returns an error
// wrapping ErrReadOnly and publishes nothing.
func (t *Transport) Publish(ctx context.Context, evs ...events.Event) error {
	if t.opts.ReadOnly {
		return fmt.Errorf("%w: stream %s: %d events not published", ErrReadOnly, t.opts.Stream, len(evs))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.isClosed() {
		return events.ErrClosed
	}
	msgs, err := t.encode(evs)
	if err != nil {
		return err
	}
	acks := make([]jetstream.PubAckFuture, 0, len(msgs))
	for i, m := range msgs {
		f, err := t.js.PublishMsgAsync(m,
			jetstream.WithMsgID(evs[i].ID),
			jetstream.WithExpectStream(t.opts.Stream),
			jetstream.WithStallWait(t.opts.AckTimeout),
			// No retry by the client: it republishes each message on its
			// own timer, so a batch sent while a stream leader is elected
			// would be stored out of order. The caller retries the batch.
			jetstream.WithRetryAttempts(0),
		)
		if err != nil {
			if i == 0 {
				return t.notAccepted(evs[i], err)
			}
			return t.notAccepted(evs[i], fmt.Errorf("%w: %w", events.ErrInDoubt, err))
		}
		acks = append(acks, f)
	}
	return t.await(ctx, evs, acks)
}

// encode validates and encodes every event into a message, before anything
// is published.
func (t *Transport) encode(evs []events.Event) ([]*nats.Msg, error) {
	msgs := make([]*nats.Msg, len(evs))
	for i, e := range evs {
		data, err := events.Encode(e)
		if err != nil {
			return nil, err
		}
		subj := Subject(t.opts.Prefix, e)
		if len(subj) > MaxSubjectLen {
			return nil, fmt.Errorf("%w: %w: %s: subject of %d bytes exceeds %d", events.ErrInvalid, ErrTooLarge, e.ID, len(subj), MaxSubjectLen)
		}
		if limit := t.conn.MaxPayload(); limit > 0 && int64(len(data)+len(e.ID)+64) > limit {
			return nil, fmt.Errorf("%w: %w: %s: %d bytes exceeds the server's %d", events.ErrInvalid, ErrTooLarge, e.ID, len(data), limit)
		}
		msgs[i] = &nats.Msg{Subject: subj, Data: data}
	}
	return msgs, nil
}

// await waits for the ack of every publish, in order.
func (t *Transport) await(ctx context.Context, evs []events.Event, acks []jetstream.PubAckFuture) error {
	for i, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return t.notAccepted(evs[i], fmt.Errorf("%w: %w", events.ErrInDoubt, err))
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: %w: %w", ErrNotAccepted, evs[i].ID, events.ErrInDoubt, context.Cause(ctx))
		}
	}
	return nil
}

func (t *Transport) notAccepted(e events.Event, err error) error {
	if t.isClosed() {
		return fmt.Errorf("%w: %s: %w: %w", ErrNotAccepted, e.ID, events.ErrClosed, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrNotAccepted, e.ID, err)
}
