package natstransport

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
// A call whose every event the stream refused for lack of room (its
// MaxBytes reached, with discard policy new, or the account's or server's
// storage exhausted) stored nothing: its error wraps ErrNotAccepted and
// events.ErrFull, not events.ErrInDoubt, and the same call may be made
// again once room is made.
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
		subj, err := eventSubject(t.opts.Prefix, e)
		if err != nil {
			return nil, err
		}
		if limit := t.conn.MaxPayload(); limit > 0 && int64(len(data)+len(e.ID)+64) > limit {
			return nil, fmt.Errorf("%w: %w: %s: %d bytes exceeds the server's %d", events.ErrInvalid, ErrTooLarge, e.ID, len(data), limit)
		}
		msgs[i] = &nats.Msg{Subject: subj, Data: data}
	}
	return msgs, nil
}

// await waits for the ack of every publish. A call whose every message the
// stream refused for lack of room stored nothing: its error wraps
// events.ErrFull, not events.ErrInDoubt. Any other failure, or a refusal
// after an earlier message was stored, is in doubt.
func (t *Transport) await(ctx context.Context, evs []events.Event, acks []jetstream.PubAckFuture) error {
	var first error // the first failure, and the event it is of
	var firstAt, stored int
	for i, f := range acks {
		select {
		case <-f.Ok():
			stored++
			continue
		case err := <-f.Err():
			if first == nil {
				first, firstAt = err, i
			}
			if full(err) {
				continue
			}
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: %w: %w", ErrNotAccepted, evs[i].ID, events.ErrInDoubt, context.Cause(ctx))
		}
		return t.notAccepted(evs[i], fmt.Errorf("%w: %w", events.ErrInDoubt, first))
	}
	switch {
	case first == nil:
		return nil
	case stored == 0:
		return t.notAccepted(evs[firstAt], fmt.Errorf("%w: stream %s: %w", events.ErrFull, t.opts.Stream, first))
	}
	return t.notAccepted(evs[firstAt], fmt.Errorf("%w: %d of %d events stored: %w", events.ErrInDoubt, stored, len(evs), first))
}

// full reports whether err is the stream's definite refusal of a message
// for lack of room: its bytes or messages limit (discard policy new), the
// account's storage or the server's resources.
func full(err error) bool {
	var api *jetstream.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode {
	case jsErrCodeStreamStoreFailed:
		return strings.Contains(api.Description, "maximum bytes") || strings.Contains(api.Description, "maximum messages")
	case jsErrCodeAccountResourcesExceeded, jsErrCodeInsufficientResources:
		return true
	}
	return false
}

// JetStream error codes that nats.go does not name.
const (
	jsErrCodeStreamStoreFailed        jetstream.ErrorCode = 10077
	jsErrCodeAccountResourcesExceeded jetstream.ErrorCode = 10002
	jsErrCodeInsufficientResources    jetstream.ErrorCode = 10023
)

func (t *Transport) notAccepted(e events.Event, err error) error {
	if t.isClosed() {
		return fmt.Errorf("%w: %s: %w: %w", ErrNotAccepted, e.ID, events.ErrClosed, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrNotAccepted, e.ID, err)
}
