package faultinject_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/faultinject"
)

// readerOnly is a Reader that is not a TailReader.
type readerOnly struct{ events.Publisher }

func (readerOnly) ReadAll(context.Context) ([]events.Event, error) { return nil, nil }

func TestReadFromAndLastSequence(t *testing.T) {
	ctx := context.Background()
	p, log := newPublisher(t, 1, faultinject.Faults{})
	if err := p.Publish(ctx, batch(1, 5)...); err != nil {
		t.Fatal(err)
	}
	if last, err := p.LastSequence(ctx); err != nil || last != 5 {
		t.Fatalf("LastSequence = %d, %v", last, err)
	}
	evs, last, err := p.ReadFrom(ctx, 3)
	if err != nil || last != 5 {
		t.Fatalf("ReadFrom(3) = %d, %v", last, err)
	}
	if diff := cmp.Diff(log.Events(3), evs); diff != "" {
		t.Errorf("ReadFrom(3) (-want +got):\n%s", diff)
	}
	if evs, last, err := p.ReadFrom(ctx, 9); err != nil || len(evs) != 0 || last != 5 {
		t.Errorf("ReadFrom(9) = %d events, %d, %v", len(evs), last, err)
	}
	if err := p.SetFaults(faultinject.Faults{FailRead: faultinject.Scale}); err != nil {
		t.Fatal(err)
	}
	var fe *faultinject.Error
	if _, _, err := p.ReadFrom(ctx, 1); !errors.As(err, &fe) || fe.Kind != faultinject.FailedRead || errors.Is(err, events.ErrInDoubt) {
		t.Errorf("ReadFrom with FailRead = %v", err)
	}
	if _, err := p.LastSequence(ctx); !errors.As(err, &fe) || fe.Kind != faultinject.FailedRead {
		t.Errorf("LastSequence with FailRead = %v", err)
	}
	if st := p.Stats(); st.Reads != 5 || st.FailedReads != 2 {
		t.Errorf("stats %+v, want 5 reads, 2 failed", st)
	}

	for name, next := range map[string]events.Publisher{"a publisher": events.Discard, "a reader": readerOnly{events.Discard}} {
		w, err := faultinject.New(next, 1, faultinject.Faults{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.ReadFrom(ctx, 1); !errors.Is(err, faultinject.ErrNotTailReader) {
			t.Errorf("ReadFrom over %s = %v, want ErrNotTailReader", name, err)
		}
		if _, err := w.LastSequence(ctx); !errors.Is(err, faultinject.ErrNotTailReader) {
			t.Errorf("LastSequence over %s = %v, want ErrNotTailReader", name, err)
		}
		if w.Stats().Reads != 0 {
			t.Errorf("over %s: a read that could not be made counted", name)
		}
	}
}

// TestLateAroundReadFrom checks that late deliveries are made around a
// ReadFrom and a LastSequence, as around a ReadAll: with no write since,
// each is stored.
func TestLateAroundReadFrom(t *testing.T) {
	ctx := context.Background()
	for _, read := range []struct {
		name string
		f    func(p *faultinject.Publisher) error
	}{
		{"ReadFrom", func(p *faultinject.Publisher) error { _, _, err := p.ReadFrom(ctx, 1); return err }},
		{"LastSequence", func(p *faultinject.Publisher) error { _, err := p.LastSequence(ctx); return err }},
	} {
		for seed := range uint64(20) {
			ll := &lateLog{Log: events.NewLog(events.LogOptions{})}
			p, err := faultinject.New(ll, seed, faultinject.Faults{Late: faultinject.Scale})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Publish(ctx, batch(1, 2)...); !errors.Is(err, events.ErrInDoubt) {
				t.Fatalf("late Publish = %v", err)
			}
			if err := p.SetFaults(faultinject.Faults{}); err != nil {
				t.Fatal(err)
			}
			for p.Stats().LatePending > 0 {
				if err := read.f(p); err != nil {
					t.Fatalf("%s: %v", read.name, err)
				}
			}
			if st := p.Stats(); st.LateStored != 1 || ll.Len() != 2 {
				t.Fatalf("%s: stats %+v, log holds %d", read.name, st, ll.Len())
			}
		}
	}
}

// TestAsyncReadFromFindsItsPlace checks that a ReadFrom, like a ReadAll,
// lets a pipelined writer publish again after a call was cut short, and
// that a LastSequence, which reads no event, does not.
func TestAsyncReadFromFindsItsPlace(t *testing.T) {
	ctx := context.Background()
	al := &asyncLog{Log: events.NewLog(events.LogOptions{}), calls: make(chan func(), 16)}
	p, err := faultinject.NewAsync(al, 1, faultinject.Faults{FailBefore: faultinject.Scale})
	if err != nil {
		t.Fatal(err)
	}
	var fe *faultinject.Error
	if err := <-p.PublishAsync(ctx, batch(1, 2)...); !errors.As(err, &fe) || fe.Kind != faultinject.FailedBefore {
		t.Fatalf("the cut call = %v", err)
	}
	if err := p.SetFaults(faultinject.Faults{}); err != nil {
		t.Fatal(err)
	}
	if last, err := p.LastSequence(ctx); err != nil || last != 0 {
		t.Fatalf("LastSequence = %d, %v", last, err)
	}
	if err := <-p.PublishAsync(ctx, batch(1, 1)...); !errors.As(err, &fe) || fe.Kind != faultinject.RefusedBehind {
		t.Fatalf("a call after LastSequence = %v, want RefusedBehind", err)
	}
	// A failed read does not give the writer its place either.
	if err := p.SetFaults(faultinject.Faults{FailRead: faultinject.Scale}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.ReadFrom(ctx, 1); !errors.Is(err, faultinject.ErrInjected) {
		t.Fatalf("ReadFrom with FailRead = %v", err)
	}
	if err := p.SetFaults(faultinject.Faults{}); err != nil {
		t.Fatal(err)
	}
	if err := <-p.PublishAsync(ctx, batch(1, 1)...); !errors.As(err, &fe) || fe.Kind != faultinject.RefusedBehind {
		t.Fatalf("a call after a failed ReadFrom = %v, want RefusedBehind", err)
	}
	// The cut call counts as answered a moment after its caller received
	// its outcome (AsyncPublisher's goroutine notes it once the send is
	// done): a read in that moment does not give the writer its place, and
	// the writer reads again.
	for attempt := 0; ; attempt++ {
		if evs, last, err := p.ReadFrom(ctx, 1); err != nil || len(evs) != 0 || last != 0 {
			t.Fatalf("ReadFrom = %d events, %d, %v", len(evs), last, err)
		}
		ok := p.PublishAsync(ctx, batch(1, 1)...)
		select {
		case call := <-al.calls:
			call()
			if err := <-ok; err != nil || al.Len() != 1 {
				t.Fatalf("a call after ReadFrom = %v, log holds %d", err, al.Len())
			}
			return
		case err := <-ok:
			if !errors.As(err, &fe) || fe.Kind != faultinject.RefusedBehind || attempt == 1000 {
				t.Fatalf("a call after ReadFrom (attempt %d) = %v", attempt+1, err)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
