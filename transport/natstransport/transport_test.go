package natstransport_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

func TestRoundTrip(t *testing.T) {
	_, tr := startOpen(t)
	evs := agentEvents(3, events.SourceScheduler, "run-1", t0)
	publish(t, tr, evs...)
	ds := receive(t, subscribe(t, tr, events.SubscribeOptions{}), 3)
	for i, d := range ds {
		if d.Seq != uint64(i+1) {
			t.Errorf("delivery %d: Seq %d, want %d", i, d.Seq, i+1)
		}
	}
	diffEvents(t, evs, eventsOf(ds))
}

func TestOrderAcrossBatches(t *testing.T) {
	_, tr := startOpen(t)
	evs := agentEvents(500, events.SourceScheduler, "run-1", t0)
	sub := subscribe(t, tr, events.SubscribeOptions{})
	for i := 0; i < len(evs); i += 50 {
		publish(t, tr, evs[i:i+50]...)
	}
	diffEvents(t, evs, eventsOf(receive(t, sub, len(evs))))
}

func TestDeduplicatesByID(t *testing.T) {
	_, tr := startOpen(t)
	evs := agentEvents(10, events.SourceScheduler, "run-1", t0)
	publish(t, tr, evs...)
	publish(t, tr, evs...)
	publish(t, tr, evs[3], evs[3], evs[4])
	if got := streamMsgs(t, tr); got != 10 {
		t.Fatalf("stream holds %d messages, want 10", got)
	}
	sub := subscribe(t, tr, events.SubscribeOptions{})
	diffEvents(t, evs, eventsOf(receive(t, sub, 10)))
	quiet(t, sub)
}

func TestInvalidBatchPublishesNothing(t *testing.T) {
	_, tr := startOpen(t)
	evs := agentEvents(3, events.SourceScheduler, "run-1", t0)
	bad := evs[1]
	bad.Sequence = 0
	err := tr.Publish(context.Background(), evs[0], bad, evs[2])
	if !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("Publish: %v, want ErrInvalid", err)
	}
	long := evs[0]
	long.Subject = string(make([]byte, natstransport.MaxSubjectLen))
	if err := tr.Publish(context.Background(), long); !errors.Is(err, natstransport.ErrTooLarge) || !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("Publish long subject: %v, want ErrTooLarge and ErrInvalid", err)
	}
	if got := streamMsgs(t, tr); got != 0 {
		t.Fatalf("stream holds %d messages, want 0", got)
	}
}

func TestReplayFromSequence(t *testing.T) {
	_, tr := startOpen(t)
	evs := agentEvents(10, events.SourceScheduler, "run-1", t0)
	publish(t, tr, evs...)
	ds := receive(t, subscribe(t, tr, events.SubscribeOptions{From: 4}), 7)
	if ds[0].Seq != 4 {
		t.Fatalf("first Seq %d, want 4", ds[0].Seq)
	}
	diffEvents(t, evs[3:], eventsOf(ds))
}

func TestReplaySince(t *testing.T) {
	_, tr := startOpen(t)
	evs := agentEvents(10, events.SourceScheduler, "run-1", t0)
	publish(t, tr, evs...)
	sub := subscribe(t, tr, events.SubscribeOptions{Since: t0.Add(6 * time.Second), From: 2})
	ds := receive(t, sub, 4)
	if ds[0].Seq != 7 {
		t.Fatalf("first Seq %d, want 7", ds[0].Seq)
	}
	diffEvents(t, evs[6:], eventsOf(ds))

	// Since after every event: only later events, whatever their time.
	later := subscribe(t, tr, events.SubscribeOptions{Since: t0.Add(time.Hour)})
	quiet(t, later)
	more := agentEvents(12, events.SourceScheduler, "run-1", t0)[10:]
	publish(t, tr, more...)
	diffEvents(t, more, eventsOf(receive(t, later, 2)))
}

func TestFilters(t *testing.T) {
	_, tr := startOpen(t)
	var all []events.Event
	all = append(all, agentEvents(12, events.SourceScheduler, "run-1", t0)...)
	all = append(all, agentEvents(12, events.SourceAgent, "run-2", t0)...)
	odd := agentEvents(2, events.SourceAgent, "run-3", t0)
	odd[0].Subject = "acct:x.y *>"
	odd[1].Subject = ""
	all = append(all, odd...)
	publish(t, tr, all...)

	tests := []struct {
		name string
		f    events.Filter
	}{
		{"source", events.Filter{Sources: []events.Source{events.SourceAgent}}},
		{"type", events.Filter{Types: []events.Type{events.TypeAgentDormant}}},
		{"subject", events.Filter{Subjects: []string{"a1", "acct:x.y *>"}}},
		{"empty subject", events.Filter{Subjects: []string{""}}},
		{"correlation", events.Filter{Correlation: "run-1"}},
		{"combined", events.Filter{
			Sources:     []events.Source{events.SourceAgent, events.SourceScheduler},
			Types:       []events.Type{events.TypeAgentAwake},
			Subjects:    []string{"a0", "a2", "a0"},
			Correlation: "run-2",
		}},
		{"none match", events.Filter{Sources: []events.Source{events.SourceJudge}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []events.Event
			var seqs []uint64
			for i, e := range all {
				if tt.f.Match(e) {
					want = append(want, e)
					seqs = append(seqs, uint64(i+1))
				}
			}
			sub := subscribe(t, tr, events.SubscribeOptions{Filter: tt.f})
			ds := receive(t, sub, len(want))
			diffEvents(t, want, eventsOf(ds))
			for i, d := range ds {
				if d.Seq != seqs[i] {
					t.Errorf("delivery %d: Seq %d, want %d", i, d.Seq, seqs[i])
				}
			}
			quiet(t, sub)
		})
	}
}

func TestConcurrentPublishers(t *testing.T) {
	_, tr := startOpen(t)
	const publishers, batches, size = 8, 20, 10
	sub := subscribe(t, tr, events.SubscribeOptions{})
	var wg sync.WaitGroup
	for p := range publishers {
		evs := agentEvents(batches*size, events.SourceAgent, fmt.Sprintf("run-%d", p), t0)
		wg.Go(func() {
			for i := 0; i < len(evs); i += size {
				if err := tr.Publish(context.Background(), evs[i:i+size]...); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	ds := receive(t, sub, publishers*batches*size)
	last := map[string]uint64{}
	for i, d := range ds {
		if d.Seq != uint64(i+1) {
			t.Fatalf("delivery %d: Seq %d", i, d.Seq)
		}
		if c := d.Event.Correlation; d.Event.Sequence != last[c]+1 {
			t.Fatalf("%s: sequence %d after %d", c, d.Event.Sequence, last[c])
		}
		last[d.Event.Correlation] = d.Event.Sequence
	}
}

func TestSubscribeContextCancel(t *testing.T) {
	_, tr := startOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := tr.Subscribe(ctx, events.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range sub.C() {
	}
	if err := sub.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err: %v, want context.Canceled", err)
	}
	sub.Close()
	if err := sub.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err after Close: %v, want context.Canceled", err)
	}
}

func TestPublishContext(t *testing.T) {
	_, tr := startOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := tr.Publish(ctx, agentEvents(1, events.SourceAgent, "r", t0)...)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish: %v, want context.Canceled", err)
	}
}

func TestClose(t *testing.T) {
	srv := natstest.StartServer(t)
	tr := open(t, srv.URL(), natstransport.Options{})
	sub := subscribe(t, tr, events.SubscribeOptions{})
	sub2 := subscribe(t, tr, events.SubscribeOptions{})
	if err := sub2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sub2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sub2.Err(); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("subscription Err: %v, want ErrClosed", err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-sub.C(); ok {
		t.Fatal("delivery after Close")
	}
	if err := sub.Err(); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("subscription Err: %v, want ErrClosed", err)
	}
	if err := tr.Publish(context.Background(), agentEvents(1, events.SourceAgent, "r", t0)...); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if _, err := tr.Subscribe(context.Background(), events.SubscribeOptions{}); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
}

func TestSlowConsumer(t *testing.T) {
	_, tr := startOpen(t)
	const n = 5000
	evs := agentEvents(n, events.SourceAgent, "run-1", t0)
	sub := subscribe(t, tr, events.SubscribeOptions{})
	for i := 0; i < n; i += 100 {
		publish(t, tr, evs[i:i+100]...)
	}
	time.Sleep(200 * time.Millisecond) // let the subscriber's buffers fill
	ds := receive(t, sub, n)
	for i, d := range ds {
		if d.Seq != uint64(i+1) || d.Event.ID != evs[i].ID {
			t.Fatalf("delivery %d: Seq %d id %s, want %d %s", i, d.Seq, d.Event.ID, i+1, evs[i].ID)
		}
	}
}

func TestDecodeFailureEndsSubscription(t *testing.T) {
	srv, tr := startOpen(t)
	publish(t, tr, agentEvents(1, events.SourceAgent, "r", t0)...)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Request("scarcity.agent.bogus._._", []byte("not json"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, tr, events.SubscribeOptions{})
	receive(t, sub, 1)
	if _, ok := <-sub.C(); ok {
		t.Fatal("delivery of an undecodable message")
	}
	if err := sub.Err(); !errors.Is(err, natstransport.ErrDecode) || !errors.Is(err, events.ErrMalformed) {
		t.Fatalf("Err: %v, want ErrDecode and ErrMalformed", err)
	}
	// Resuming after the bad message works.
	publish(t, tr, agentEvents(2, events.SourceAgent, "r", t0)[1])
	ds := receive(t, subscribe(t, tr, events.SubscribeOptions{From: 3}), 1)
	if ds[0].Seq != 3 {
		t.Fatalf("Seq %d, want 3", ds[0].Seq)
	}
}

func TestOpenOptions(t *testing.T) {
	tests := []struct {
		name string
		opts natstransport.Options
		want error
	}{
		{"url and conn", natstransport.Options{URL: "nats://127.0.0.1:1", Conn: &nats.Conn{}}, natstransport.ErrConflictingOptions},
		{"data dir with url", natstransport.Options{URL: "nats://127.0.0.1:1", DataDir: "x"}, natstransport.ErrConflictingOptions},
		{"no server", natstransport.Options{}, natstransport.ErrNoServer},
		{"data dir, no server", natstransport.Options{DataDir: "x"}, natstransport.ErrNoServer},
		{"wildcard prefix", natstransport.Options{Prefix: "a.*"}, natstransport.ErrInvalidOptions},
		{"empty prefix token", natstransport.Options{Prefix: "a..b"}, natstransport.ErrInvalidOptions},
		{"dotted stream", natstransport.Options{Stream: "A.B"}, natstransport.ErrInvalidOptions},
		{"replicas", natstransport.Options{Replicas: 6}, natstransport.ErrInvalidOptions},
		{"negative window", natstransport.Options{DuplicateWindow: -time.Second}, natstransport.ErrInvalidOptions},
		{"negative pending", natstransport.Options{MaxPending: -1}, natstransport.ErrInvalidOptions},
		{"negative bytes", natstransport.Options{MaxBytes: -1}, natstransport.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := natstransport.Open(context.Background(), tt.opts)
			if !errors.Is(err, tt.want) {
				if tr != nil {
					tr.Close()
				}
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestExistingConnAndPrefix(t *testing.T) {
	srv := natstest.StartServer(t)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tr, err := natstransport.Open(context.Background(), natstransport.Options{Conn: nc, Prefix: "acme.sc", Stream: "ACME"})
	if err != nil {
		t.Fatal(err)
	}
	evs := agentEvents(2, events.SourceAgent, "r", t0)
	got := make(chan *nats.Msg, 2)
	if _, err := nc.ChanSubscribe("acme.sc.agent.agent_awake.a0._", got); err != nil {
		t.Fatal(err)
	}
	publish(t, tr, evs...)
	select {
	case m := <-got:
		if m.Header.Get(nats.MsgIdHdr) != evs[0].ID {
			t.Fatalf("Nats-Msg-Id %q, want %q", m.Header.Get(nats.MsgIdHdr), evs[0].ID)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no message on the event's subject")
	}
	tr.Close()
	if nc.IsClosed() {
		t.Fatal("Close closed a connection the Transport does not own")
	}
}

// closeRecorder records whether the Transport's connection was closed
// when it was closed, and returns err.
type closeRecorder struct {
	tr       *natstransport.Transport
	calls    int
	connOpen bool
	err      error
}

func (c *closeRecorder) Close() error {
	c.calls++
	c.connOpen = c.tr.ClientURL() != ""
	return c.err
}

func TestOwn(t *testing.T) {
	srv := natstest.StartServer(t)
	tr, err := natstransport.Open(context.Background(), natstransport.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	c := &closeRecorder{tr: tr, err: boom}
	if err := tr.Own(c); err != nil {
		t.Fatalf("Own: %v", err)
	}
	if err := tr.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v, want the owned closer's error", err)
	}
	if c.calls != 1 || c.connOpen {
		t.Fatalf("owned closer: %d calls, connection open %v; want 1 call after the connection closed", c.calls, c.connOpen)
	}
	if err := tr.Close(); err != nil || c.calls != 1 {
		t.Fatalf("second Close: %v, %d calls; want nil and no second call", err, c.calls)
	}
	late := &closeRecorder{tr: tr}
	if err := tr.Own(late); !errors.Is(err, events.ErrClosed) || late.calls != 0 {
		t.Fatalf("Own after Close: %v, %d calls; want events.ErrClosed and c left to the caller", err, late.calls)
	}
}
