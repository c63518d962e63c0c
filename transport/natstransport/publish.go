package natstransport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
)

// MaxSubjectLen bounds the length of an event's NATS subject, well within
// the server's control-line limit.
const MaxSubjectLen = 2048

// Publish stores evs in the stream, in order, and returns nil once the
// server has acknowledged every one of them (the events are pipelined
// without waiting, then every acknowledgement is awaited).
//
// The Transport is its stream's only writer: every message it sends
// expects the stream's last sequence to be the one before it
// (Nats-Expected-Last-Sequence) and, where the Transport knows it, the
// stream's last message to be the one it sent before
// (Nats-Expected-Last-Msg-Id), so the stream never holds a message whose
// predecessors are missing, and a write delayed past a failure is refused
// by the server — as is every message of a call sent after it, not only
// those whose sequence it took. After any failure the Transport learns the
// stream's last sequence again: from the next ReadAll or ReadFrom (what a
// writer rebuilding itself from the stream read), or else before its next
// Publish.
//
// Every event is validated and encoded first; if one is invalid (the error
// wraps events.ErrInvalid) nothing is published. An event whose id the
// stream already holds within the duplicate window is acknowledged as a
// duplicate and counts as accepted, so publishing the same events again
// adds nothing: the events after a duplicate are published again, in
// order, behind it.
//
// A call whose every event the stream refused for lack of room (its
// MaxBytes reached, with discard policy new, or the account's or server's
// storage exhausted) stored nothing: its error wraps ErrNotAccepted and
// events.ErrFull, not events.ErrInDoubt, and the same call may be made
// again once room is made. A call refused because the stream's last
// sequence was not the one expected (another writer, or an earlier call of
// this one that failed) stored nothing either: it wraps ErrConflict.
//
// Any other failure (a missing ack, a server error, ctx done, the Transport
// closed) returns an error wrapping ErrNotAccepted and the cause (ctx's
// cause, events.ErrClosed, or the NATS error); a ctx already done or a
// Transport already closed return ctx's error or events.ErrClosed alone.
// Once a message has been sent the error also wraps events.ErrInDoubt: a
// prefix of the call's events may be stored.
//
// On a Transport opened with Options.ReadOnly, Publish returns an error
// wrapping ErrReadOnly and publishes nothing.
func (t *Transport) Publish(ctx context.Context, evs ...events.Event) error {
	attempts := len(evs) + maxResends // a run of duplicates takes one each
	for attempt := 0; ; attempt++ {
		// Events sent again go alone, so that their duplicates refuse
		// nobody else's.
		msgs, err := t.encode(evs)
		if err != nil {
			return err
		}
		t.pubMu.Lock()
		sent, err := t.send(ctx, evs, msgs, false)
		if attempt == 0 {
			t.pubMu.Unlock()
		}
		var rest []events.Event
		if err == nil {
			rest, err = t.await(ctx, evs, sent)
		}
		if attempt > 0 {
			t.pubMu.Unlock()
		}
		switch {
		case err != nil || len(rest) == 0:
			return err
		case attempt == attempts:
			return t.notAccepted(rest[0], fmt.Errorf("%w: stream %s changed under %d attempts", ErrConflict, t.opts.Stream, attempt+1))
		}
		evs = rest // refused behind a duplicate, or behind another caller's: publish them after
	}
}

// maxResends bounds how often Publish sends again, beyond one per event,
// the events the stream refused because it held fewer or more events than
// they expected.
const maxResends = 16

// PublishAsync is Publish without the wait: it validates, encodes and sends
// evs, in order after the calls before it, and returns at once; the channel
// receives the outcome, as Publish would return it. It is for events new
// to the stream: a duplicate fails its call and the calls after it that
// are in flight (ErrConflict), since they expected one event more.
//
// After any failure PublishAsync sends nothing (ErrConflict) until the
// stream has been read with ReadAll or ReadFrom: a pipelined writer must
// not go on past events it never saw stored, nor after ones that were
// stored late.
func (t *Transport) PublishAsync(ctx context.Context, evs ...events.Event) <-chan error {
	out := make(chan error, 1)
	msgs, err := t.encode(evs)
	if err != nil {
		out <- err
		return out
	}
	t.pubMu.Lock()
	sent, err := t.send(ctx, evs, msgs, true)
	t.pubMu.Unlock()
	if err != nil {
		out <- err
		return out
	}
	go func() {
		rest, err := t.await(ctx, evs, sent)
		if err == nil && len(rest) > 0 {
			err = t.notAccepted(rest[0], fmt.Errorf("%w: stream %s: %d of %d events refused: the stream was not where this writer expected",
				ErrConflict, t.opts.Stream, len(rest), len(evs)))
			if len(rest) < len(evs) {
				err = fmt.Errorf("%w: %w", events.ErrInDoubt, err) // a prefix is stored
			}
		}
		out <- err
	}()
	return out
}

var _ events.AsyncPublisher = (*Transport)(nil)

// send encodes evs and sends them, each expecting the stream's last
// sequence to be the one before it, and returns their acknowledgements to
// come; pipelined says whether the caller is PublishAsync. It runs with
// t.pubMu held.
func (t *Transport) send(ctx context.Context, evs []events.Event, msgs []*nats.Msg, pipelined bool) ([]jetstream.PubAckFuture, error) {
	if t.opts.ReadOnly {
		return nil, fmt.Errorf("%w: stream %s: %d events not published", ErrReadOnly, t.opts.Stream, len(evs))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.isClosed() {
		return nil, events.ErrClosed
	}
	if err := t.sync(ctx, pipelined); err != nil {
		return nil, t.notAccepted(evs[0], err)
	}
	acks := make([]jetstream.PubAckFuture, 0, len(msgs))
	for i, m := range msgs {
		opts := []jetstream.PublishOpt{
			jetstream.WithMsgID(evs[i].ID),
			jetstream.WithExpectStream(t.opts.Stream),
			jetstream.WithExpectLastSequence(t.lastSeq),
			jetstream.WithStallWait(t.opts.AckTimeout),
			// No retry by the client: it republishes each message on its
			// own timer, which its expected sequence would refuse anyway.
			jetstream.WithRetryAttempts(0),
		}
		if t.lastID != "" {
			opts = append(opts, jetstream.WithExpectLastMsgID(t.lastID))
		}
		f, err := t.js.PublishMsgAsync(m, opts...)
		if err != nil {
			t.unsync()
			t.forget(acks) // those sent are counted done once answered
			if i == 0 {
				return nil, t.notAccepted(evs[i], err)
			}
			return nil, t.notAccepted(evs[i], fmt.Errorf("%w: %w", events.ErrInDoubt, err))
		}
		t.lastSeq++
		t.lastID = evs[i].ID
		t.flying.add(1)
		acks = append(acks, f)
	}
	return acks, nil
}

// sync learns the stream's last sequence, if a failure made it unknown,
// once no message sent is still unacknowledged: the stream's last sequence
// is then where the next message goes. A pipelined caller may not learn it
// so after a failure: only a read (ReadAll, ReadFrom) tells it where to go
// on. It runs with t.pubMu held.
func (t *Transport) sync(ctx context.Context, pipelined bool) error {
	if t.synced.Load() {
		return nil
	}
	if pipelined && t.mustRead.Load() { // set before synced was cleared
		return fmt.Errorf("%w: stream %s: a publish failed; read the stream (ReadAll, ReadFrom) before publishing new events", ErrConflict, t.opts.Stream)
	}
	t.flying.wait()
	ctx, cancel := context.WithTimeout(ctx, t.opts.Timeout)
	defer cancel()
	st, err := t.js.Stream(ctx, t.opts.Stream)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStream, err)
	}
	t.lastSeq, t.lastID = info.State.LastSeq, ""
	t.synced.Store(true)
	return nil
}

// Position returns the stream's last sequence as the Transport expects it
// to be when its next message arrives, and whether it knows it: after a
// failure it does not, until it has read the stream or learnt the stream's
// last sequence again before a publish. A message sent now expects last.
func (t *Transport) Position() (last uint64, known bool) {
	t.pubMu.Lock()
	defer t.pubMu.Unlock()
	return t.lastSeq, t.synced.Load()
}

// learn takes last, the last sequence a read (ReadAll, ReadFrom) read, as
// where the next message goes, if a failure made it unknown and nothing is
// in flight: a writer that rebuilds from what it read then continues
// exactly after it.
func (t *Transport) learn(last uint64) {
	t.pubMu.Lock()
	defer t.pubMu.Unlock()
	if !t.flying.none() {
		return
	}
	t.mustRead.Store(false)
	if !t.synced.Load() {
		t.lastSeq, t.lastID = last, ""
		t.synced.Store(true)
	}
}

// unsync makes the stream's last sequence unknown, after a failure, and
// stops PublishAsync until the stream is read.
func (t *Transport) unsync() {
	t.mustRead.Store(true) // first: whoever sees synced cleared sees it set
	t.synced.Store(false)
}

// inFlight counts the messages sent and not yet acknowledged.
type inFlight struct {
	mu   sync.Mutex
	zero *sync.Cond
	n    int
}

func (f *inFlight) add(n int) {
	f.mu.Lock()
	f.n += n
	f.mu.Unlock()
}

func (f *inFlight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n--; f.n == 0 && f.zero != nil {
		f.zero.Broadcast()
	}
}

// none reports whether no message is in flight.
func (f *inFlight) none() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n == 0
}

// wait returns once no message is in flight.
func (f *inFlight) wait() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.zero == nil {
		f.zero = sync.NewCond(&f.mu)
	}
	for f.n > 0 {
		f.zero.Wait()
	}
}

// encode validates and encodes every event into a message, before anything
// is published. A read-only Transport encodes nothing.
func (t *Transport) encode(evs []events.Event) ([]*nats.Msg, error) {
	if t.opts.ReadOnly {
		return nil, fmt.Errorf("%w: stream %s: %d events not published", ErrReadOnly, t.opts.Stream, len(evs))
	}
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

// await waits for the acknowledgement of every message of evs, in order.
// If the stream refused a suffix of them for a sequence conflict — because
// an earlier message was a duplicate, or another caller's message failed,
// or another writer wrote — and stored the rest, it returns that suffix, to
// be sent again. A call whose every message the stream refused for lack of
// room stored nothing: its error wraps events.ErrFull, not
// events.ErrInDoubt. Any other failure, or a refusal for room after an
// earlier message was stored, is in doubt.
func (t *Transport) await(ctx context.Context, evs []events.Event, acks []jetstream.PubAckFuture) ([]events.Event, error) {
	var first error // the first failure
	firstAt, conflicts, full := -1, 0, 0
	awaited := 0 // acks received
	defer func() { t.forget(acks[awaited:]) }()
	for i, f := range acks {
		select {
		case ack := <-f.Ok():
			awaited++
			t.flying.done()
			if ack.Duplicate {
				t.unsync() // the stream holds one event less than predicted
			}
			if firstAt >= 0 {
				t.unsync()
				return nil, t.notAccepted(evs[i], fmt.Errorf("%w: stored after a refused event: %w", events.ErrInDoubt, first))
			}
			continue
		case err := <-f.Err():
			awaited++
			t.flying.done()
			if first == nil {
				first, firstAt = err, i
			}
			switch {
			case conflict(err):
				conflicts++
				continue
			case isFull(err):
				full++
				continue
			}
		case <-ctx.Done():
			t.unsync()
			return nil, fmt.Errorf("%w: %s: %w: %w", ErrNotAccepted, evs[i].ID, events.ErrInDoubt, context.Cause(ctx))
		}
		t.unsync()
		return nil, t.notAccepted(evs[i], fmt.Errorf("%w: %w", events.ErrInDoubt, first))
	}
	if firstAt < 0 {
		return nil, nil
	}
	t.unsync()
	switch {
	case conflict(first):
		return evs[firstAt:], nil
	case firstAt == 0 && full+conflicts == len(evs):
		return nil, t.notAccepted(evs[0], fmt.Errorf("%w: stream %s: %w", events.ErrFull, t.opts.Stream, first))
	}
	return nil, t.notAccepted(evs[firstAt], fmt.Errorf("%w: %d of %d events stored: %w", events.ErrInDoubt, firstAt, len(evs), first))
}

// forget counts acks acknowledged once they are, on a goroutine of its
// own: the acks of a call that returned before all were received.
func (t *Transport) forget(acks []jetstream.PubAckFuture) {
	if len(acks) == 0 {
		return
	}
	go func() {
		for _, f := range acks {
			select {
			case <-f.Ok():
			case <-f.Err():
			}
			t.flying.done()
		}
	}()
}

// conflict reports whether err is the stream's refusal of a message that
// expected another last sequence.
func conflict(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant ||
		api.ErrorCode == jsErrCodeStreamWrongLastMsgID)
}

// isFull reports whether err is the stream's definite refusal of a message
// for lack of room: its bytes or messages limit (discard policy new), the
// account's storage or the server's resources.
func isFull(err error) bool {
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
	jsErrCodeStreamWrongLastMsgID     jetstream.ErrorCode = 10070
)

func (t *Transport) notAccepted(e events.Event, err error) error {
	if t.isClosed() {
		return fmt.Errorf("%w: %s: %w: %w", ErrNotAccepted, e.ID, events.ErrClosed, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrNotAccepted, e.ID, err)
}
