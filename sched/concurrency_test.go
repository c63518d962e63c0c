package sched

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// TestUseConcurrent has many goroutines draw on one agent's budget at once:
// the total consumed never exceeds the budget, every call either consumed
// exactly its quantity or was denied, and the events say the same.
func TestUseConcurrent(t *testing.T) {
	const (
		workers = 32
		calls   = 50
		budget  = 3000 + 2000
	)
	f := newFixture(t, Options{})
	f.schedule(t, "early", "alice", bundle.Quantities{"tokens": 3000}, 0, 30)
	f.schedule(t, "late", "alice", bundle.Quantities{"tokens": 2000}, 0, 60)
	f.schedule(t, "cpu", "bob", bundle.Quantities{"cpu": 50}, 0, 60)
	f.fresh()
	var consumed, granted, denied atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				qty := int64((w*7+i*13)%40 + 1)
				err := f.s.Use(t.Context(), "alice", "tokens", qty)
				switch {
				case err == nil:
					consumed.Add(qty)
					granted.Add(1)
				case errors.Is(err, ErrServiceDenied):
					denied.Add(1)
				default:
					t.Errorf("Use: %v", err)
				}
				// Readers and another agent's metering interleave.
				_ = f.s.Remaining("alice", "tokens")
				_ = f.s.Active("alice")
				if err := f.s.Report(t.Context(), "bob", "cpu", int64(i%50)); err != nil {
					t.Errorf("Report: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if got := granted.Load() + denied.Load(); got != workers*calls {
		t.Fatalf("%d calls granted or denied, want %d", got, workers*calls)
	}
	if consumed.Load() > budget {
		t.Fatalf("consumed %d of a budget of %d", consumed.Load(), budget)
	}
	if denied.Load() == 0 {
		t.Fatalf("no call denied: the test did not exhaust the budget")
	}
	if got := f.s.Remaining("alice", "tokens"); got != budget-consumed.Load() {
		t.Errorf("Remaining = %d, want %d", got, budget-consumed.Load())
	}
	var used int64
	for _, id := range []string{"early", "late"} {
		in, _ := f.s.Bundle(id)
		if in.Used["tokens"] > in.Bundle.Quantities["tokens"] {
			t.Errorf("%s used %d of %d", id, in.Used["tokens"], in.Bundle.Quantities["tokens"])
		}
		used += in.Used["tokens"]
	}
	if used != consumed.Load() {
		t.Errorf("bundles used %d, callers consumed %d", used, consumed.Load())
	}
	var recorded, denials int64
	for _, e := range f.fresh() {
		switch d := e.Data.(type) {
		case events.UsageRecorded:
			if d.Resource == "tokens" {
				recorded += d.Quantity
			}
		case events.ServiceDenied:
			denials++
			if d.Available >= d.Requested {
				t.Errorf("denied %d with %d available", d.Requested, d.Available)
			}
		}
	}
	if recorded != consumed.Load() || denials != denied.Load() {
		t.Errorf("events record %d consumed and %d denials, want %d and %d", recorded, denials, consumed.Load(), denied.Load())
	}
}
