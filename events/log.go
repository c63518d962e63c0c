package events

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Limits of the in-memory log.
const (
	// DefaultMaxEvents is the default maximum number of events a Log holds.
	DefaultMaxEvents = 1 << 22
	// SubscriptionBuffer is the number of deliveries a subscription's channel
	// buffers. A slower consumer does not slow publishers: it reads from the
	// log at its own pace and never misses an event.
	SubscriptionBuffer = 256
)

// LogOptions configures a Log. The zero value means the defaults.
type LogOptions struct {
	// MaxEvents is the most events the log holds; a publish that would
	// exceed it fails with ErrFull and appends nothing. Zero means
	// DefaultMaxEvents.
	MaxEvents int
}

// Log is an in-memory, append-only event stream. It implements Publisher
// and Subscriber; a publish is accepted atomically (all of its events or
// none), deduplicated by event id, and visible to subscribers at once.
type Log struct {
	mu      sync.Mutex
	events  chunks
	ids     map[string]struct{}
	max     int
	changed chan struct{} // closed and replaced by the first append after a wait
	waiting bool          // a subscription waits on changed
	closed  bool
}

var (
	_ Publisher  = (*Log)(nil)
	_ Subscriber = (*Log)(nil)
	_ TailReader = (*Log)(nil)
)

// NewLog returns an empty log.
func NewLog(opts LogOptions) *Log {
	max := opts.MaxEvents
	if max <= 0 {
		max = DefaultMaxEvents
	}
	return &Log{ids: make(map[string]struct{}), max: max, changed: make(chan struct{})}
}

// Publish appends the events that the log does not hold yet, in order. It
// validates every event first and appends nothing if one is invalid.
func (l *Log) Publish(ctx context.Context, evs ...Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	n := l.unseen(evs)
	if l.events.len()+n > l.max {
		return fmt.Errorf("%w: %d events held, max %d", ErrFull, l.events.len(), l.max)
	}
	if n == 0 {
		return nil
	}
	for _, e := range evs {
		if _, held := l.ids[e.ID]; !held {
			l.ids[e.ID] = struct{}{}
			l.events.append(e)
		}
	}
	l.wake()
	return nil
}

// unseen returns how many events of evs have ids that are neither in the
// log nor earlier in evs. A small batch is searched for repeats in place; a
// large one through a map.
func (l *Log) unseen(evs []Event) int {
	const small = 16
	var earlier map[string]struct{}
	if len(evs) > small {
		earlier = make(map[string]struct{}, len(evs))
	}
	n := 0
	for i, e := range evs {
		if _, held := l.ids[e.ID]; held {
			continue
		}
		if earlier == nil {
			if slices.ContainsFunc(evs[:i], func(x Event) bool { return x.ID == e.ID }) {
				continue
			}
		} else if _, dup := earlier[e.ID]; dup {
			continue
		} else {
			earlier[e.ID] = struct{}{}
		}
		n++
	}
	return n
}

// wake tells the subscriptions waiting for new events that there are some.
// A channel is closed and replaced only when one waits, so that publishing
// with nobody waiting allocates nothing.
func (l *Log) wake() {
	if l.waiting {
		close(l.changed)
		l.changed = make(chan struct{})
		l.waiting = false
	}
}

// Len returns the number of events in the log, which is also the stream
// sequence of the last one.
func (l *Log) Len() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(l.events.len())
}

// Events returns a copy of the events from stream sequence from (1-based;
// 0 means 1) to the end.
func (l *Log) Events(from uint64) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.events.copyFrom(int(min(max(from, 1)-1, uint64(l.events.len()))))
}

// ReadAll returns every event the log holds, in order.
func (l *Log) ReadAll(ctx context.Context) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.Events(0), nil
}

// LastSequence returns the number of events the log holds, which is the
// stream sequence of the last one (0 if it holds none).
func (l *Log) LastSequence(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return l.Len(), nil
}

// ReadFrom returns a copy of the events from stream sequence from (1-based;
// 0 means 1) to the last the log holds, and the stream sequence of that
// last event: the number of events the log holds. A from beyond the last
// returns no events.
func (l *Log) ReadFrom(ctx context.Context, from uint64) ([]Event, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.events.len()
	return l.events.copyFrom(int(min(max(from, 1)-1, uint64(n)))), uint64(n), nil
}

// Close ends every subscription and refuses later publishes. Closing twice
// is not an error.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.changed)
	}
	return nil
}

// Subscribe delivers the log's events selected by opts, from where opts
// says, then new events as they are published, until ctx is cancelled, the
// subscription is closed or the log is closed. A slow subscriber loses
// nothing and blocks no publisher: it reads the log at its own pace.
func (l *Log) Subscribe(ctx context.Context, opts SubscribeOptions) (Subscription, error) {
	l.mu.Lock()
	closed := l.closed
	from := max(opts.From, 1)
	if !opts.Since.IsZero() {
		from = l.firstSince(opts.Since)
	}
	l.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &logSubscription{c: make(chan Delivery, SubscriptionBuffer), cancel: cancel, done: make(chan struct{}), filter: opts.Filter}
	go s.run(ctx, l, from)
	return s, nil
}

// firstSince returns the sequence of the first event at or after t, or the
// sequence the next event will have. It runs with l.mu held.
func (l *Log) firstSince(t time.Time) uint64 {
	for i := range l.events.len() {
		if !l.events.at(i).Time.Before(t) {
			return uint64(i) + 1
		}
	}
	return uint64(l.events.len()) + 1
}

// next returns the events after cursor (0-based) up to a chunk, and a channel
// closed when the log changes.
func (l *Log) next(cursor uint64) ([]Event, <-chan struct{}, bool) {
	const chunk = 512
	l.mu.Lock()
	defer l.mu.Unlock()
	if cursor >= uint64(l.events.len()) {
		l.waiting = true
		return nil, l.changed, l.closed
	}
	return l.events.span(int(cursor), chunk), l.changed, l.closed
}

// logChunk is the number of events a chunk of a Log holds: the log grows a
// chunk at a time and never moves the events it holds.
const logChunk = 4096

// chunks holds a log's events in chunks of logChunk.
type chunks struct {
	chunks [][]Event
	n      int
}

func (c *chunks) len() int { return c.n }

func (c *chunks) at(i int) *Event { return &c.chunks[i/logChunk][i%logChunk] }

func (c *chunks) append(e Event) {
	if c.n%logChunk == 0 {
		c.chunks = append(c.chunks, make([]Event, 0, logChunk))
	}
	last := len(c.chunks) - 1
	c.chunks[last] = append(c.chunks[last], e)
	c.n++
}

// copyFrom returns a copy of the events from index from on.
func (c *chunks) copyFrom(from int) []Event {
	out := make([]Event, 0, c.n-from)
	for i := from; i < c.n; {
		ch := c.chunks[i/logChunk]
		out = append(out, ch[i%logChunk:]...)
		i += len(ch) - i%logChunk
	}
	return out
}

// span returns at most n events from index from on, within one chunk, as a
// slice its holder must not append to.
func (c *chunks) span(from, n int) []Event {
	ch := c.chunks[from/logChunk]
	start := from % logChunk
	end := min(len(ch), start+n)
	return ch[start:end:end]
}

type logSubscription struct {
	filter Filter
	c      chan Delivery
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

func (s *logSubscription) run(ctx context.Context, l *Log, seq uint64) {
	defer close(s.done)
	defer close(s.c)
	for {
		evs, changed, closed := l.next(seq - 1)
		for _, e := range evs {
			if !s.filter.Match(e) {
				seq++
				continue
			}
			select {
			case s.c <- Delivery{Seq: seq, Event: e}:
				seq++
			case <-ctx.Done():
				s.fail(ctx)
				return
			}
		}
		if len(evs) > 0 {
			continue
		}
		if closed {
			s.setErr(ErrClosed)
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			s.fail(ctx)
			return
		}
	}
}

func (s *logSubscription) fail(ctx context.Context) {
	s.setErr(context.Cause(ctx))
}

func (s *logSubscription) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *logSubscription) C() <-chan Delivery { return s.c }

// Err returns why the subscription ended: ErrClosed after Close or after the
// log closed, the context's error after cancellation, nil while it runs.
func (s *logSubscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription and waits for its goroutine. Closing twice is
// not an error.
func (s *logSubscription) Close() error {
	s.setErr(ErrClosed)
	s.cancel()
	<-s.done
	return nil
}
