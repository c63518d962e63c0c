package natstransport

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
)

// Subscribe delivers the stream's events selected by opts, in stream order,
// then follows new events as they are published, through an ordered
// consumer. See the package doc for the filter, slow-consumer, decode and
// restart policies. Subscribe returns events.ErrClosed after Close.
func (t *Transport) Subscribe(ctx context.Context, opts events.SubscribeOptions) (events.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.isClosed() {
		return nil, events.ErrClosed
	}
	sinceEnd, err := t.sinceEnd(ctx, opts)
	if err != nil {
		return nil, err
	}
	cons, err := t.js.OrderedConsumer(ctx, t.opts.Stream, t.consumerConfig(opts))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConsumer, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(t.opts.SubscriptionBuffer))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConsumer, err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	s := &subscription{
		c:        make(chan events.Delivery, t.opts.SubscriptionBuffer),
		cancel:   cancel,
		done:     make(chan struct{}),
		filter:   opts.Filter,
		since:    opts.Since,
		sinceEnd: sinceEnd,
		it:       it,
		t:        t,
	}
	if !t.track(s) {
		it.Stop()
		cancel(events.ErrClosed)
		return nil, events.ErrClosed
	}
	go s.stopOnDone(ctx)
	go s.run(ctx)
	return s, nil
}

// consumerConfig maps opts to an ordered consumer. With Since set the
// consumer reads the whole stream from its start, unfiltered, because the
// first event at or after Since is found by the events' own times (see the
// package doc).
func (t *Transport) consumerConfig(opts events.SubscribeOptions) jetstream.OrderedConsumerConfig {
	if !opts.Since.IsZero() {
		return jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	}
	return jetstream.OrderedConsumerConfig{
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    max(opts.From, 1),
		FilterSubjects: filterSubjects(t.opts.Prefix, opts.Filter),
	}
}

// sinceEnd returns the stream's last sequence if opts.Since is set: the
// search for the first event at or after Since ends there.
func (t *Transport) sinceEnd(ctx context.Context, opts events.SubscribeOptions) (uint64, error) {
	if opts.Since.IsZero() {
		return 0, nil
	}
	st, err := t.js.Stream(ctx, t.opts.Stream)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrConsumer, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrConsumer, err)
	}
	return info.State.LastSeq, nil
}

// track registers s so that Close ends it; it reports false after Close.
func (t *Transport) track(s *subscription) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.subs[s] = struct{}{}
	return true
}

func (t *Transport) untrack(s *subscription) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.subs, s)
}

// subscription is a running Subscribe: one goroutine pulls messages from the
// ordered consumer, decodes and filters them and sends them on c.
type subscription struct {
	c      chan events.Delivery
	cancel context.CancelCauseFunc
	done   chan struct{}
	filter events.Filter
	// since is SubscribeOptions.Since until the first event at or after it
	// is found, then zero. sinceEnd is the stream's last sequence when the
	// subscription started: any later event ends the search.
	since    time.Time
	sinceEnd uint64
	it       jetstream.MessagesContext
	t        *Transport

	mu  sync.Mutex
	err error
}

// stopOnDone stops the message iterator, which unblocks run, when ctx ends.
func (s *subscription) stopOnDone(ctx context.Context) {
	select {
	case <-ctx.Done():
		s.it.Stop()
	case <-s.done:
	}
}

func (s *subscription) run(ctx context.Context) {
	defer close(s.done)
	defer close(s.c)
	defer s.t.untrack(s)
	defer s.it.Stop()
	for {
		d, ok, err := s.next(ctx)
		if err != nil {
			s.setErr(err)
			return
		}
		if !ok {
			continue
		}
		select {
		case s.c <- d:
		case <-ctx.Done():
			s.setErr(context.Cause(ctx))
			return
		}
	}
}

// next returns the next message as a delivery, ok false if the filter or
// Since skips it, or the error that ends the subscription.
func (s *subscription) next(ctx context.Context) (events.Delivery, bool, error) {
	msg, err := s.it.Next()
	if err != nil {
		if ctx.Err() != nil {
			return events.Delivery{}, false, context.Cause(ctx)
		}
		return events.Delivery{}, false, fmt.Errorf("%w: %w", ErrConsumer, err)
	}
	meta, err := msg.Metadata()
	if err != nil {
		return events.Delivery{}, false, fmt.Errorf("%w: %s: %w", ErrDecode, msg.Subject(), err)
	}
	seq := meta.Sequence.Stream
	e, err := events.Decode(msg.Data())
	if err != nil {
		return events.Delivery{}, false, fmt.Errorf("%w: stream sequence %d: %w", ErrDecode, seq, err)
	}
	if !s.since.IsZero() {
		if seq <= s.sinceEnd && e.Time.Before(s.since) {
			return events.Delivery{}, false, nil
		}
		s.since = time.Time{}
	}
	if !s.filter.Match(e) {
		return events.Delivery{}, false, nil
	}
	return events.Delivery{Seq: seq, Event: e}, true, nil
}

func (s *subscription) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

// C returns the deliveries; it is closed when the subscription ends.
func (s *subscription) C() <-chan events.Delivery { return s.c }

// Err returns why the subscription ended: events.ErrClosed after Close or
// after the Transport closed, the context's cause after cancellation, an
// error wrapping ErrDecode or ErrConsumer after a failure; nil while it
// runs.
func (s *subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription and waits for its goroutine. Closing twice is
// not an error.
func (s *subscription) Close() error {
	s.cancel(events.ErrClosed)
	<-s.done
	return nil
}
