package transporttest_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/transporttest"
)

func TestGenerator(t *testing.T) {
	evs := transporttest.Events(9)
	ids := make(map[string]bool)
	pairs := make(map[[2]string]bool)
	for i, e := range evs {
		if err := e.Validate(); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
		if ids[e.ID] {
			t.Errorf("event %d repeats id %s", i, e.ID)
		}
		ids[e.ID] = true
		pairs[[2]string{e.Subject, string(e.Type)}] = true
		if i > 0 && !e.Time.After(evs[i-1].Time) {
			t.Errorf("event %d at %v, not after %v", i, e.Time, evs[i-1].Time)
		}
		if e.Sequence != uint64(i)+1 {
			t.Errorf("event %d has sequence %d", i, e.Sequence)
		}
	}
	if len(pairs) != 9 {
		t.Errorf("nine events cover %d (subject, type) pairs, want 9", len(pairs))
	}
	if again := transporttest.Events(9); again[8].ID != evs[8].ID {
		t.Errorf("Events is not deterministic: %s, then %s", evs[8].ID, again[8].ID)
	}
	g := transporttest.NewGenerator(events.SourceAgent, "transporttest")
	g.Next(4)
	if next := g.Next(1)[0]; next.ID != evs[4].ID {
		t.Errorf("a generator's fifth event is %s, want %s", next.ID, evs[4].ID)
	}
}

func TestCollectAndDrain(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	evs := transporttest.Events(3)
	if err := l.Publish(t.Context(), evs...); err != nil {
		t.Fatal(err)
	}
	sub, err := l.Subscribe(t.Context(), events.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds := transporttest.Collect(t, sub, 2); ds[1].Event.ID != evs[1].ID {
		t.Errorf("Collect: second delivery %s, want %s", ds[1].Event.ID, evs[1].ID)
	}
	_ = l.Close()
	if ds := transporttest.Drain(t, sub); len(ds) != 1 || ds[0].Seq != 3 {
		t.Errorf("Drain = %v, want the third event", ds)
	}
}

// TestEndsSubscription runs the suite against a log whose subscriptions end
// after a number of deliveries, as a transport with the EndsSubscription
// policy may end a slow subscriber's.
func TestEndsSubscription(t *testing.T) {
	transporttest.Run(t, transporttest.Harness{
		New: func(t *testing.T) transporttest.Transport {
			l := events.NewLog(events.LogOptions{})
			t.Cleanup(func() { _ = l.Close() })
			return endingLog{l}
		},
		AtomicBatch:  true,
		ErrClosed:    events.ErrClosed,
		SlowConsumer: transporttest.EndsSubscription,
	})
}

// TestRestartCase runs the suite with a restart that moves a log's events
// into a new log, as a server restarted on the same storage would.
func TestRestartCase(t *testing.T) {
	newLog := func(t *testing.T) *events.Log {
		l := events.NewLog(events.LogOptions{})
		t.Cleanup(func() { _ = l.Close() })
		return l
	}
	transporttest.Run(t, transporttest.Harness{
		New: func(t *testing.T) transporttest.Transport { return newLog(t) },
		Restart: func(t *testing.T, tr transporttest.Transport) transporttest.Transport {
			old := tr.(*events.Log)
			_ = old.Close()
			l := newLog(t)
			if err := l.Publish(t.Context(), old.Events(1)...); err != nil {
				t.Fatalf("restart: %v", err)
			}
			return l
		},
		AtomicBatch: true,
		ErrClosed:   events.ErrClosed,
	})
}

// errBehind ends an endingLog's subscriptions.
var errBehind = errors.New("subscriber fell behind")

// endingLog is a Log whose subscriptions end with errBehind after
// deliveryLimit deliveries.
type endingLog struct{ *events.Log }

const deliveryLimit = 1000

func (l endingLog) Subscribe(ctx context.Context, opts events.SubscribeOptions) (events.Subscription, error) {
	inner, err := l.Log.Subscribe(ctx, opts)
	if err != nil {
		return nil, err
	}
	s := &endingSub{inner: inner, c: make(chan events.Delivery), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s, nil
}

type endingSub struct {
	inner events.Subscription
	c     chan events.Delivery
	stop  chan struct{}
	once  sync.Once
	done  chan struct{}
	mu    sync.Mutex
	err   error
}

func (s *endingSub) run() {
	defer close(s.done)
	defer close(s.c)
	defer s.inner.Close()
	for range deliveryLimit {
		d, ok := <-s.inner.C()
		if !ok {
			s.setErr(s.inner.Err())
			return
		}
		select {
		case s.c <- d:
		case <-s.stop:
			return
		}
	}
	s.setErr(errBehind)
}

func (s *endingSub) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *endingSub) C() <-chan events.Delivery { return s.c }

func (s *endingSub) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *endingSub) Close() error {
	s.setErr(events.ErrClosed)
	s.once.Do(func() { close(s.stop) })
	_ = s.inner.Close()
	<-s.done
	return nil
}
