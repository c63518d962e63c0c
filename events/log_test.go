package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

// waitLimit bounds every wait for a delivery in these tests.
const waitLimit = 10 * time.Second

// receive reads n deliveries from sub, failing the test if they do not
// arrive in time or the subscription ends first.
func receive(tb testing.TB, sub events.Subscription, n int) []events.Delivery {
	tb.Helper()
	out := make([]events.Delivery, 0, n)
	timeout := time.After(waitLimit)
	for len(out) < n {
		select {
		case d, ok := <-sub.C():
			if !ok {
				tb.Fatalf("subscription ended after %d of %d deliveries: %v", len(out), n, sub.Err())
			}
			out = append(out, d)
		case <-timeout:
			tb.Fatalf("timed out after %d of %d deliveries", len(out), n)
		}
	}
	return out
}

// drain reads sub until its channel closes and returns what it read.
func drain(tb testing.TB, sub events.Subscription) []events.Delivery {
	tb.Helper()
	var out []events.Delivery
	timeout := time.After(waitLimit)
	for {
		select {
		case d, ok := <-sub.C():
			if !ok {
				return out
			}
			out = append(out, d)
		case <-timeout:
			tb.Fatalf("subscription did not end; read %d deliveries", len(out))
		}
	}
}

// deliveryIDs returns the ids of ds and checks their stream sequences run
// from first without a gap.
func deliveryIDs(tb testing.TB, ds []events.Delivery, first uint64) []string {
	tb.Helper()
	out := make([]string, len(ds))
	for i, d := range ds {
		if want := first + uint64(i); d.Seq != want {
			tb.Fatalf("delivery %d has Seq %d, want %d", i, d.Seq, want)
		}
		out[i] = d.Event.ID
	}
	return out
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

func TestLogEvents(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	publishIDs(t, l, "a", "b", "c", "d")
	tests := []struct {
		from uint64
		want []string
	}{
		{0, []string{"a", "b", "c", "d"}},
		{1, []string{"a", "b", "c", "d"}},
		{3, []string{"c", "d"}},
		{4, []string{"d"}},
		{5, []string{}},
		{100, []string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ids(l.Events(tt.from))); diff != "" {
			t.Errorf("Events(%d) (-want +got):\n%s", tt.from, diff)
		}
	}
	if l.Len() != 4 {
		t.Errorf("Len = %d, want 4", l.Len())
	}
	// Events returns a copy.
	got := l.Events(1)
	got[0].ID = "changed"
	if l.Events(1)[0].ID != "a" {
		t.Error("Events exposes the log's storage")
	}
}

func TestLogDedupesByID(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	publishIDs(t, l, "a", "b")
	publishIDs(t, l, "b", "c", "c", "a", "d")
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, ids(l.Events(0))); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	publishIDs(t, l, "a", "d")
	if l.Len() != 4 {
		t.Errorf("re-publishing held ids changed Len to %d", l.Len())
	}
}

func TestLogDedupesWithinALargeBatch(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	var ids40, want []string
	for i := range 40 {
		id := fmt.Sprintf("e%02d", i%25) // e00..e14 come twice
		ids40 = append(ids40, id)
		if i < 25 {
			want = append(want, id)
		}
	}
	publishIDs(t, l, ids40...)
	if diff := cmp.Diff(want, ids(l.Events(0))); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestLogPublishIsAtomic(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	publishIDs(t, l, "a")
	bad := testEvent("bad", 3)
	bad.Time = time.Time{}
	err := l.Publish(context.Background(), testEvent("b", 1), testEvent("c", 2), bad)
	if !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("Publish with an invalid event: %v, want ErrInvalid", err)
	}
	if diff := cmp.Diff([]string{"a"}, ids(l.Events(0))); diff != "" {
		t.Errorf("log after rejected batch (-want +got):\n%s", diff)
	}
}

func TestLogFull(t *testing.T) {
	l := events.NewLog(events.LogOptions{MaxEvents: 3})
	publishIDs(t, l, "a", "b")
	err := l.Publish(context.Background(), testEvent("c", 1), testEvent("d", 2))
	if !errors.Is(err, events.ErrFull) {
		t.Fatalf("Publish past MaxEvents: %v, want ErrFull", err)
	}
	if l.Len() != 2 {
		t.Fatalf("a publish refused as full appended: Len = %d", l.Len())
	}
	// Events already held do not count against the limit.
	publishIDs(t, l, "a", "b", "c")
	if diff := cmp.Diff([]string{"a", "b", "c"}, ids(l.Events(0))); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if err := l.Publish(context.Background(), testEvent("a", 1)); err != nil {
		t.Errorf("re-publishing a held event into a full log: %v", err)
	}
	if err := l.Publish(context.Background(), testEvent("e", 1)); !errors.Is(err, events.ErrFull) {
		t.Errorf("Publish into a full log: %v, want ErrFull", err)
	}
}

func TestLogPublishHonoursContext(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Publish(ctx, testEvent("a", 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish with a cancelled context: %v", err)
	}
	if l.Len() != 0 {
		t.Errorf("Len = %d, want 0", l.Len())
	}
}

func TestLogClosed(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	publishIDs(t, l, "a")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := l.Publish(context.Background(), testEvent("b", 2)); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if _, err := l.Subscribe(context.Background(), events.SubscribeOptions{From: 1}); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
	if diff := cmp.Diff([]string{"a"}, ids(l.Events(0))); diff != "" {
		t.Errorf("a closed log still reads (-want +got):\n%s", diff)
	}
}

func TestSubscribeFromSequenceThenTail(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	publishIDs(t, l, "a", "b", "c", "d", "e")
	sub, err := l.Subscribe(context.Background(), events.SubscribeOptions{From: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if diff := cmp.Diff([]string{"c", "d", "e"}, deliveryIDs(t, receive(t, sub, 3), 3)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	publishIDs(t, l, "f", "g")
	if diff := cmp.Diff([]string{"f", "g"}, deliveryIDs(t, receive(t, sub, 2), 6)); diff != "" {
		t.Errorf("live tail (-want +got):\n%s", diff)
	}
	if err := sub.Err(); err != nil {
		t.Errorf("Err of a running subscription = %v", err)
	}
}

func TestSubscribeFromZeroAndFromFuture(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	publishIDs(t, l, "a", "b")
	all, err := l.Subscribe(context.Background(), events.SubscribeOptions{From: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	future, err := l.Subscribe(context.Background(), events.SubscribeOptions{From: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer future.Close()
	if diff := cmp.Diff([]string{"a", "b"}, deliveryIDs(t, receive(t, all, 2), 1)); diff != "" {
		t.Errorf("from 0 (-want +got):\n%s", diff)
	}
	publishIDs(t, l, "c", "d", "e")
	if diff := cmp.Diff([]string{"d", "e"}, deliveryIDs(t, receive(t, future, 2), 4)); diff != "" {
		t.Errorf("from 4 (-want +got):\n%s", diff)
	}
}

func TestSlowConsumerGetsEveryEvent(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	sub, err := l.Subscribe(context.Background(), events.SubscribeOptions{From: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	n := 3*events.SubscriptionBuffer + 17
	want := numbered("e", n)
	// The publisher never waits for the consumer, which reads nothing yet.
	for start := 0; start < n; start += 50 {
		publishIDs(t, l, want[start:min(start+50, n)]...)
	}
	if diff := cmp.Diff(want, deliveryIDs(t, receive(t, sub, n), 1)); diff != "" {
		t.Errorf("slow consumer (-want +got):\n%s", diff)
	}
}

func TestSubscriptionContextCancel(t *testing.T) {
	for _, backlog := range []int{0, 2 * events.SubscriptionBuffer} {
		t.Run(fmt.Sprintf("backlog %d", backlog), func(t *testing.T) {
			l := events.NewLog(events.LogOptions{})
			if backlog > 0 {
				publishIDs(t, l, numbered("e", backlog)...)
			}
			ctx, cancel := context.WithCancel(context.Background())
			sub, err := l.Subscribe(ctx, events.SubscribeOptions{From: 1})
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			drain(t, sub)
			if err := sub.Err(); !errors.Is(err, context.Canceled) {
				t.Errorf("Err after cancel = %v, want context.Canceled", err)
			}
			if err := sub.Close(); err != nil {
				t.Errorf("Close after cancel: %v", err)
			}
			if err := sub.Err(); !errors.Is(err, context.Canceled) {
				t.Errorf("Close replaced the cancel error: %v", err)
			}
		})
	}
}

func TestSubscriptionDeadline(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	sub, err := l.Subscribe(ctx, events.SubscribeOptions{From: 1})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, sub)
	if err := sub.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Err after deadline = %v, want context.DeadlineExceeded", err)
	}
}

func TestSubscriptionCloseTwice(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	publishIDs(t, l, "a")
	sub, err := l.Subscribe(context.Background(), events.SubscribeOptions{From: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := sub.Err(); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Err after Close = %v, want ErrClosed", err)
	}
	drain(t, sub)
}

func TestLogCloseEndsSubscriptions(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	publishIDs(t, l, "a", "b")
	sub, err := l.Subscribe(context.Background(), events.SubscribeOptions{From: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Events published before the close are still delivered, then the
	// subscription ends.
	if diff := cmp.Diff([]string{"a", "b"}, deliveryIDs(t, drain(t, sub), 1)); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	if err := sub.Err(); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Err after log Close = %v, want ErrClosed", err)
	}
}

func TestLogConcurrentPublishers(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	sub, err := l.Subscribe(context.Background(), events.SubscribeOptions{From: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	const writers, perWriter = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			s := events.NewSequencer(events.SourceAgent, fmt.Sprintf("w%d", w), 0)
			for i := range perWriter {
				b := s.Batch(t0.Add(time.Duration(i) * time.Second))
				e := b.Add("x", events.AgentAwake{AgentID: "x"})
				if err := b.Publish(context.Background(), l); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				// Every writer also re-publishes an event it already sent.
				if err := l.Publish(context.Background(), e); err != nil {
					t.Errorf("writer %d re-publish: %v", w, err)
					return
				}
				_ = l.Len()
				_ = l.Events(l.Len())
			}
		})
	}
	got := receive(t, sub, writers*perWriter)
	wg.Wait()
	if l.Len() != writers*perWriter {
		t.Fatalf("Len = %d, want %d", l.Len(), writers*perWriter)
	}
	if diff := cmp.Diff(ids(l.Events(1)), deliveryIDs(t, got, 1)); diff != "" {
		t.Errorf("subscriber order differs from log order (-want +got):\n%s", diff)
	}
	// Each writer's events appear in its own sequence order.
	last := make(map[string]uint64)
	for _, d := range got {
		if d.Event.Sequence != last[d.Event.Correlation]+1 {
			t.Fatalf("writer %s: sequence %d after %d", d.Event.Correlation, d.Event.Sequence, last[d.Event.Correlation])
		}
		last[d.Event.Correlation] = d.Event.Sequence
	}
}

func TestSubscribeFilteredAndSince(t *testing.T) {
	l := events.NewLog(events.LogOptions{})
	ctx := context.Background()
	mk := func(id string, seq uint64, src events.Source, subject string, at int) events.Event {
		e := testEvent(id, seq)
		e.Source, e.Subject, e.Time = src, subject, t0.Add(time.Duration(at)*time.Second)
		return e
	}
	if err := l.Publish(ctx,
		mk("a", 1, events.SourceLedger, "alice", 0),
		mk("b", 2, events.SourceMarket, "bob", 10),
		mk("c", 3, events.SourceLedger, "bob", 20),
		mk("d", 4, events.SourceLedger, "alice", 30),
	); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		opts events.SubscribeOptions
		want []uint64
	}{
		{"all", events.SubscribeOptions{}, []uint64{1, 2, 3, 4}},
		{"by source", events.SubscribeOptions{Filter: events.Filter{Sources: []events.Source{events.SourceLedger}}}, []uint64{1, 3, 4}},
		{"by subject", events.SubscribeOptions{Filter: events.Filter{Subjects: []string{"bob"}}}, []uint64{2, 3}},
		{"by source and subject", events.SubscribeOptions{Filter: events.Filter{
			Sources: []events.Source{events.SourceLedger}, Subjects: []string{"alice"}}}, []uint64{1, 4}},
		{"since a time", events.SubscribeOptions{Since: t0.Add(15 * time.Second)}, []uint64{3, 4}},
		{"since an event's time", events.SubscribeOptions{Since: t0.Add(10 * time.Second)}, []uint64{2, 3, 4}},
		{"from a sequence", events.SubscribeOptions{From: 3}, []uint64{3, 4}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := l.Subscribe(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			var got []uint64
			for range tt.want {
				select {
				case d := <-sub.C():
					got = append(got, d.Seq)
				case <-time.After(5 * time.Second):
					t.Fatalf("got %v, then nothing", got)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("deliveries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogReadFrom(t *testing.T) {
	ctx := context.Background()
	l := events.NewLog(events.LogOptions{})
	if last, err := l.LastSequence(ctx); err != nil || last != 0 {
		t.Fatalf("LastSequence of an empty log = %d, %v", last, err)
	}
	if evs, last, err := l.ReadFrom(ctx, 1); err != nil || len(evs) != 0 || last != 0 {
		t.Fatalf("ReadFrom(1) of an empty log = %v, %d, %v", evs, last, err)
	}
	s := events.NewSequencer(events.SourceAgent, "readfrom", 0)
	b := s.Batch(t0)
	for i := range 5 {
		b.Add(fmt.Sprintf("a%d", i), events.AgentAwake{AgentID: fmt.Sprintf("a%d", i)})
	}
	if err := b.Publish(ctx, l); err != nil {
		t.Fatal(err)
	}
	want := l.Events(0)
	if last, err := l.LastSequence(ctx); err != nil || last != 5 {
		t.Fatalf("LastSequence = %d, %v; want 5", last, err)
	}
	for _, c := range []struct{ from, first uint64 }{{0, 0}, {1, 0}, {3, 2}, {5, 4}, {6, 5}, {1 << 62, 5}} {
		got, last, err := l.ReadFrom(ctx, c.from)
		if err != nil || last != 5 {
			t.Fatalf("ReadFrom(%d) = %d, %v", c.from, last, err)
		}
		if diff := cmp.Diff(want[c.first:], got); diff != "" {
			t.Errorf("ReadFrom(%d) (-want +got):\n%s", c.from, diff)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := l.ReadFrom(cancelled, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadFrom with a cancelled context = %v", err)
	}
	if _, err := l.LastSequence(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("LastSequence with a cancelled context = %v", err)
	}
}
