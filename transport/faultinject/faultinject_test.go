package faultinject_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/faultinject"
)

// batch returns n valid events of one source, numbered from first.
func batch(first uint64, n int) []events.Event {
	seq := events.NewSequencer(events.SourceMarket, "fi", first-1)
	b := seq.Batch(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for i := range n {
		b.Add(fmt.Sprintf("s%d", i), events.OrderCancelled{OrderID: fmt.Sprintf("o%d", i), AgentID: "a"})
	}
	return append([]events.Event(nil), b.Events()...)
}

func newPublisher(t *testing.T, seed uint64, f faultinject.Faults) (*faultinject.Publisher, *events.Log) {
	t.Helper()
	log := events.NewLog(events.LogOptions{})
	p, err := faultinject.New(log, seed, f)
	if err != nil {
		t.Fatal(err)
	}
	return p, log
}

func TestEachFault(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		faults  faultinject.Faults
		n       int
		wantErr bool
		kind    faultinject.Kind
		stored  func(n int) bool // how many events the log holds afterwards
	}{
		{"none", faultinject.Faults{}, 3, false, faultinject.Passed, func(n int) bool { return n == 3 }},
		{"fail before", faultinject.Faults{FailBefore: faultinject.Scale}, 3, true, faultinject.FailedBefore, func(n int) bool { return n == 0 }},
		{"fail after", faultinject.Faults{FailAfter: faultinject.Scale}, 3, true, faultinject.FailedAfter, func(n int) bool { return n == 3 }},
		{"fail part-way", faultinject.Faults{FailPartway: faultinject.Scale}, 5, true, faultinject.FailedPartway, func(n int) bool { return n >= 1 && n < 5 }},
		{"fail part-way of one", faultinject.Faults{FailPartway: faultinject.Scale}, 1, true, faultinject.FailedAfter, func(n int) bool { return n == 1 }},
		{"duplicate", faultinject.Faults{Duplicate: faultinject.Scale}, 3, false, faultinject.Duplicated, func(n int) bool { return n == 3 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, log := newPublisher(t, 1, tt.faults)
			err := p.Publish(ctx, batch(1, tt.n)...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Publish = %v, want error %t", err, tt.wantErr)
			}
			if tt.wantErr {
				var fe *faultinject.Error
				if !errors.As(err, &fe) || !errors.Is(err, faultinject.ErrInjected) {
					t.Fatalf("Publish = %v, want an *Error", err)
				}
				if fe.Kind != tt.kind || fe.Stored != int(log.Len()) || fe.Call != 1 {
					t.Errorf("error %+v, log holds %d", *fe, log.Len())
				}
				if fe.Kind.InDoubt() != (fe.Stored > 0) {
					t.Errorf("%v: InDoubt %t with %d stored", fe.Kind, fe.Kind.InDoubt(), fe.Stored)
				}
			}
			if n := int(log.Len()); !tt.stored(n) {
				t.Errorf("log holds %d events", n)
			}
			// What is stored is always a prefix, in order.
			got, want := log.Events(0), batch(1, tt.n)[:log.Len()]
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored events (-want +got):\n%s", diff)
			}
			st := p.Stats()
			if st.Calls != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestSameSeedSameFaults checks that a seed reproduces the faults of a run
// exactly and that another seed gives other faults.
func TestSameSeedSameFaults(t *testing.T) {
	run := func(seed uint64) ([]string, faultinject.Stats) {
		p, log := newPublisher(t, seed, faultinject.Faults{FailBefore: 1000, FailAfter: 1000, FailPartway: 1000, Duplicate: 1000})
		var out []string
		next := uint64(1)
		for i := range 400 {
			evs := batch(next, 1+i%4)
			err := p.Publish(context.Background(), evs...)
			out = append(out, fmt.Sprint(err))
			next = log.Len() + 1 // go on after what the log holds, as a restarted writer would
		}
		return out, p.Stats()
	}
	a, sa := run(7)
	b, sb := run(7)
	if diff := cmp.Diff(a, b); diff != "" || sa != sb {
		t.Fatalf("seed 7 twice differs:\n%s\n%+v\n%+v", diff, sa, sb)
	}
	if c, _ := run(8); cmp.Equal(a, c) {
		t.Errorf("seeds 7 and 8 injected the same faults")
	}
	if sa.Calls != 400 || sa.Passed+sa.FailedBefore+sa.FailedAfter+sa.FailedPartway+sa.Duplicated != 400 {
		t.Errorf("stats do not add up: %+v", sa)
	}
	// 40% of 400 calls are faults; each kind shows up.
	for name, n := range map[string]uint64{"before": sa.FailedBefore, "after": sa.FailedAfter, "part-way": sa.FailedPartway, "duplicate": sa.Duplicated} {
		if n < 15 || n > 80 {
			t.Errorf("%s injected %d times in 400 calls at 10%%", name, n)
		}
	}
}

func TestRatesAreValidated(t *testing.T) {
	log := events.NewLog(events.LogOptions{})
	for _, f := range []faultinject.Faults{
		{FailBefore: -1},
		{Duplicate: -5},
		{FailBefore: 5000, FailAfter: 5000, Duplicate: 1},
	} {
		if _, err := faultinject.New(log, 1, f); !errors.Is(err, faultinject.ErrInvalidFaults) {
			t.Errorf("New(%+v) = %v, want ErrInvalidFaults", f, err)
		}
	}
	if _, err := faultinject.New(nil, 1, faultinject.Faults{}); !errors.Is(err, faultinject.ErrInvalidFaults) {
		t.Errorf("New(nil) = %v", err)
	}
	p, err := faultinject.New(log, 1, faultinject.Faults{FailBefore: faultinject.Scale})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetFaults(faultinject.Faults{FailAfter: faultinject.Scale + 1}); !errors.Is(err, faultinject.ErrInvalidFaults) {
		t.Errorf("SetFaults beyond Scale = %v", err)
	}
	if err := p.SetFaults(faultinject.Faults{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(context.Background(), batch(1, 2)...); err != nil || log.Len() != 2 {
		t.Errorf("Publish with faults off = %v, log holds %d", err, log.Len())
	}
}

// TestWrappedErrorsPassThrough checks that the wrapped publisher's own
// errors are returned as they are, not as injected ones.
func TestWrappedErrorsPassThrough(t *testing.T) {
	down := errors.New("down")
	p, err := faultinject.New(events.PublisherFunc(func(context.Context, ...events.Event) error { return down }), 3,
		faultinject.Faults{Duplicate: faultinject.Scale})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(context.Background(), batch(1, 1)...); !errors.Is(err, down) || errors.Is(err, faultinject.ErrInjected) {
		t.Errorf("Publish = %v, want the wrapped error", err)
	}
	if st := p.Stats(); st.NextFailed != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestRetainsNoSlice checks that the wrapper keeps no reference to the
// slice it is given: the caller may reuse it at once.
func TestRetainsNoSlice(t *testing.T) {
	p, log := newPublisher(t, 5, faultinject.Faults{FailAfter: 3000, Duplicate: 3000})
	buf := make([]events.Event, 0, 4)
	next := uint64(1)
	for range 50 {
		buf = append(buf[:0], batch(next, 2)...)
		_ = p.Publish(context.Background(), buf...)
		clear(buf)
		next = log.Len() + 1
	}
	for i, e := range log.Events(0) {
		if e.ID == "" || e.Sequence != uint64(i)+1 {
			t.Fatalf("event %d is %+v", i, e)
		}
	}
}

func TestConcurrentPublishes(t *testing.T) {
	p, log := newPublisher(t, 9, faultinject.Faults{FailBefore: 2000, Duplicate: 2000})
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			seq := events.NewSequencer(events.SourceAgent, fmt.Sprintf("g%d", g), 0)
			for i := range 100 {
				b := seq.Batch(time.Unix(int64(i), 0))
				b.Add("a", events.OrderCancelled{OrderID: "o", AgentID: "a"})
				_ = b.Publish(context.Background(), p)
			}
		}()
	}
	for range 4 {
		<-done
	}
	st := p.Stats()
	if st.Calls != 400 || uint64(log.Len()) != st.Passed+st.Duplicated {
		t.Errorf("stats %+v, log holds %d", st, log.Len())
	}
}

func ExamplePublisher() {
	log := events.NewLog(events.LogOptions{})
	p, _ := faultinject.New(log, 42, faultinject.Faults{FailAfter: faultinject.Scale})
	err := p.Publish(context.Background(), batch(1, 2)...)
	var fe *faultinject.Error
	fmt.Println(errors.As(err, &fe), fe.Kind, fe.Kind.InDoubt(), log.Len())
	// Output: true failed after publishing true 2
}

func TestFullStoresNothing(t *testing.T) {
	p, log := newPublisher(t, 1, faultinject.Faults{Full: faultinject.Scale})
	err := p.Publish(context.Background(), batch(1, 3)...)
	var fe *faultinject.Error
	if !errors.As(err, &fe) || fe.Kind != faultinject.RefusedFull || !errors.Is(err, events.ErrFull) || errors.Is(err, events.ErrInDoubt) {
		t.Fatalf("Publish = %v, want a full-stream refusal, not in doubt", err)
	}
	if log.Len() != 0 || p.Stats().Full != 1 {
		t.Errorf("log holds %d, stats %+v", log.Len(), p.Stats())
	}
}

func TestReadAll(t *testing.T) {
	ctx := context.Background()
	p, _ := newPublisher(t, 1, faultinject.Faults{})
	if err := p.Publish(ctx, batch(1, 2)...); err != nil {
		t.Fatal(err)
	}
	if evs, err := p.ReadAll(ctx); err != nil || len(evs) != 2 {
		t.Fatalf("ReadAll = %d events, %v", len(evs), err)
	}
	if err := p.SetFaults(faultinject.Faults{FailRead: faultinject.Scale}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ReadAll(ctx); !errors.Is(err, faultinject.ErrInjected) || errors.Is(err, events.ErrInDoubt) {
		t.Errorf("ReadAll with FailRead = %v", err)
	}
	if st := p.Stats(); st.Reads != 2 || st.FailedReads != 1 {
		t.Errorf("stats %+v", st)
	}
	w, err := faultinject.New(events.Discard, 1, faultinject.Faults{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadAll(ctx); !errors.Is(err, faultinject.ErrNotReader) {
		t.Errorf("ReadAll over a publisher that cannot read = %v", err)
	}
}

// lateLog is a log that checks expected last sequences, as JetStream does:
// a LateWriter whose late deliveries expect the log's length when they were
// prepared.
type lateLog struct {
	*events.Log
	prepared []bool // the failed flag of each PrepareLate
}

func (l *lateLog) PrepareLate(_ context.Context, evs []events.Event, failed bool) (func(context.Context) error, error) {
	l.prepared = append(l.prepared, failed)
	expect, cp := l.Len(), append([]events.Event(nil), evs...)
	return func(ctx context.Context) error {
		if l.Len() != expect {
			return fmt.Errorf("expected last sequence %d, the log holds %d", expect, l.Len())
		}
		return l.Log.Publish(ctx, cp...)
	}, nil
}

func TestLateNeedsALateWriter(t *testing.T) {
	log := events.NewLog(events.LogOptions{})
	if _, err := faultinject.New(log, 1, faultinject.Faults{Late: 1}); !errors.Is(err, faultinject.ErrInvalidFaults) {
		t.Errorf("New with Late over a Log = %v", err)
	}
	p, err := faultinject.New(&lateLog{Log: log}, 1, faultinject.Faults{Late: 1})
	if err != nil {
		t.Fatalf("New with Late over a LateWriter: %v", err)
	}
	if err := p.SetFaults(faultinject.Faults{FailRead: faultinject.Scale + 1}); !errors.Is(err, faultinject.ErrInvalidFaults) {
		t.Errorf("SetFaults with FailRead beyond Scale = %v", err)
	}
}

// TestLateDelivery checks that a late call fails in doubt, stores nothing
// at once, and is delivered around a later call: stored if the stream has
// not moved on, refused if it has.
func TestLateDelivery(t *testing.T) {
	ctx := context.Background()
	stored, refused := 0, 0
	for seed := range uint64(40) {
		ll := &lateLog{Log: events.NewLog(events.LogOptions{})}
		p, err := faultinject.New(ll, seed, faultinject.Faults{Late: faultinject.Scale})
		if err != nil {
			t.Fatal(err)
		}
		err = p.Publish(ctx, batch(1, 2)...)
		if !errors.Is(err, events.ErrInDoubt) || ll.Len() != 0 || p.Stats().LatePending != 1 || !ll.prepared[0] {
			t.Fatalf("late Publish = %v, log holds %d, stats %+v", err, ll.Len(), p.Stats())
		}
		p.SetFaults(faultinject.Faults{})
		for p.Stats().LatePending > 0 {
			if _, err := p.ReadAll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		st := p.Stats()
		if st.LateStored != uint64(ll.Len()/2) || st.LateStored+st.LateRefused != 1 {
			t.Fatalf("stats %+v, log holds %d", st, ll.Len())
		}
		// A write after the late one was prepared makes it stale.
		p.SetFaults(faultinject.Faults{Late: faultinject.Scale})
		next := ll.Len() + 1
		_ = p.Publish(ctx, batch(next, 1)...)
		if err := ll.Log.Publish(ctx, batch(next, 1)...); err != nil { // the same event, stored now
			t.Fatal(err)
		}
		p.Flush(ctx)
		if got := p.Stats(); got.LateRefused != st.LateRefused+1 {
			t.Fatalf("a late delivery behind a newer write was stored: %+v", got)
		}
		stored += int(st.LateStored)
		refused += int(st.LateRefused)
	}
	if stored == 0 {
		t.Errorf("no late delivery of 40 was stored")
	}
}

// asyncLog is an events.AsyncPublisher over a log whose calls complete when
// released, one at a time, in order.
type asyncLog struct {
	*events.Log
	calls chan func()
}

func (a *asyncLog) PublishAsync(ctx context.Context, evs ...events.Event) <-chan error {
	out := make(chan error, 1)
	cp := append([]events.Event(nil), evs...)
	a.calls <- func() { out <- a.Log.Publish(ctx, cp...) }
	return out
}

// TestAsyncRefusesBehindACut checks that, once a pipelined call is cut
// short, the calls after it are refused until its caller has received its
// outcome and read the stream back.
func TestAsyncRefusesBehindACut(t *testing.T) {
	ctx := context.Background()
	al := &asyncLog{Log: events.NewLog(events.LogOptions{}), calls: make(chan func(), 16)}
	p, err := faultinject.NewAsync(al, 1, faultinject.Faults{FailBefore: faultinject.Scale})
	if err != nil {
		t.Fatal(err)
	}
	cut := p.PublishAsync(ctx, batch(1, 2)...)
	p.SetFaults(faultinject.Faults{})
	behind := p.PublishAsync(ctx, batch(3, 1)...)
	var fe *faultinject.Error
	if err := <-behind; !errors.As(err, &fe) || fe.Kind != faultinject.RefusedBehind || errors.Is(err, events.ErrInDoubt) {
		t.Fatalf("a call behind a cut = %v", err)
	}
	if err := <-cut; !errors.As(err, &fe) || fe.Kind != faultinject.FailedBefore {
		t.Fatalf("the cut call = %v", err)
	}
	if err := <-p.PublishAsync(ctx, batch(1, 1)...); !errors.As(err, &fe) || fe.Kind != faultinject.RefusedBehind {
		t.Fatalf("a call before the stream is read back = %v", err)
	}
	if _, err := p.ReadAll(ctx); err != nil {
		t.Fatal(err)
	}
	ok := p.PublishAsync(ctx, batch(1, 1)...)
	(<-al.calls)()
	if err := <-ok; err != nil || al.Len() != 1 {
		t.Fatalf("a call after the read = %v, log holds %d", err, al.Len())
	}
	if st := p.Stats(); st.RefusedBehind != 2 || st.FailedBefore != 1 || st.Passed != 1 {
		t.Errorf("stats %+v", st)
	}
}
