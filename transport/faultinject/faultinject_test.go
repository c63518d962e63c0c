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
