package benchkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// DefaultMaxCollect bounds the events one Collect reads when
// CollectOptions.Max is zero.
const DefaultMaxCollect = 1 << 22

var (
	// ErrCollectLimit reports a Collect that read DefaultMaxCollect events
	// without reaching the end it was given.
	ErrCollectLimit = errors.New("benchkit: collect limit reached")
	// ErrCollectUnbounded reports a Collect given no end: none of Until, To,
	// Max and Idle.
	ErrCollectUnbounded = errors.New("benchkit: collect has no end")
)

// CollectOptions says which events Collect reads and where it stops. At
// least one of Until, To, Max and Idle must be set; Collect stops at the
// first of them reached.
type CollectOptions struct {
	// From is the stream sequence of the first event read; 0 means 1.
	From uint64
	// Since, if not zero, starts at the first event at or after it.
	Since time.Time
	// Correlation, if not empty, reads only the events of that run.
	Correlation string
	// Until stops after the first event for which it returns true; that
	// event is included.
	Until func(events.Event) bool
	// To stops after the event whose stream sequence is To or more.
	To uint64
	// Max stops after Max events; zero means no limit of the caller's, but
	// Collect still fails with ErrCollectLimit at DefaultMaxCollect.
	Max int
	// Idle stops when no event arrives for Idle: the stream is taken to be
	// quiet. Zero waits as long as ctx allows.
	Idle time.Duration
}

// Collect reads events from sub as opts says and returns them in stream
// order. It only subscribes: it never publishes and never configures a
// stream. To read a live market's JetStream stream, open sub with
// natstransport.Options.ReadOnly, which learns the stream's subjects and
// never changes them. It returns a nil error when it reaches an end of opts, or when the
// subscription ends without error; otherwise it returns the events read so
// far with the subscription's error or ctx's.
func Collect(ctx context.Context, sub events.Subscriber, opts CollectOptions) ([]events.Event, error) {
	if opts.Until == nil && opts.To == 0 && opts.Max <= 0 && opts.Idle <= 0 {
		return nil, ErrCollectUnbounded
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := sub.Subscribe(ctx, events.SubscribeOptions{
		From: opts.From, Since: opts.Since, Filter: events.Filter{Correlation: opts.Correlation},
	})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	c := collector{opts: opts, max: opts.Max}
	if c.max <= 0 {
		c.max = DefaultMaxCollect
	}
	return c.run(ctx, s)
}

// collector is the state of one Collect.
type collector struct {
	opts CollectOptions
	max  int
	evs  []events.Event
}

// run reads s until an end.
func (c *collector) run(ctx context.Context, s events.Subscription) ([]events.Event, error) {
	idle := c.idleTimer()
	defer idle.stop()
	for {
		select {
		case d, ok := <-s.C():
			if !ok {
				return c.evs, subscriptionErr(ctx, s)
			}
			if done, err := c.add(d); done {
				return c.evs, err
			}
			idle.reset()
		case <-idle.c:
			return c.evs, nil
		case <-ctx.Done():
			return c.evs, ctx.Err()
		}
	}
}

// add keeps d and reports whether the collection is over.
func (c *collector) add(d events.Delivery) (bool, error) {
	c.evs = append(c.evs, d.Event)
	switch {
	case c.opts.Until != nil && c.opts.Until(d.Event):
	case c.opts.To != 0 && d.Seq >= c.opts.To:
	case len(c.evs) >= c.max && c.opts.Max <= 0:
		return true, fmt.Errorf("%w: %d events", ErrCollectLimit, len(c.evs))
	case len(c.evs) >= c.max:
	default:
		return false, nil
	}
	return true, nil
}

// subscriptionErr is the error of an ended subscription.
func subscriptionErr(ctx context.Context, s events.Subscription) error {
	if err := s.Err(); err != nil {
		return err
	}
	return ctx.Err()
}

// idleTimer fires when no event has arrived for the idle time; its channel
// is nil (never ready) when there is none.
type idleTimer struct {
	t *time.Timer
	d time.Duration
	c <-chan time.Time
}

func (c *collector) idleTimer() idleTimer {
	if c.opts.Idle <= 0 {
		return idleTimer{}
	}
	t := time.NewTimer(c.opts.Idle)
	return idleTimer{t: t, d: c.opts.Idle, c: t.C}
}

// reset restarts the timer after an event.
func (t idleTimer) reset() {
	if t.t != nil {
		t.t.Reset(t.d)
	}
}

// stop releases the timer.
func (t idleTimer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
}

// Filter returns the events of evs that belong to correlation, in order, in
// a new slice; an empty correlation keeps them all.
func Filter(evs []events.Event, correlation string) []events.Event {
	out := make([]events.Event, 0, len(evs))
	for _, e := range evs {
		if correlation == "" || e.Correlation == correlation {
			out = append(out, e)
		}
	}
	return out
}
