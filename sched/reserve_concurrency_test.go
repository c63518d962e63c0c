package sched

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// TestReserveConcurrent has many goroutines reserve and commit against one
// spend limit while the clock moves across short bundles: no window of the
// committed spend, rebuilt from the events, ever exceeds the limit.
func TestReserveConcurrent(t *testing.T) {
	const workers, calls = 16, 60
	f := newSpendFixture(t, Options{})
	for i := range 20 {
		f.schedule(t, "b"+string(rune('a'+i)), "a0", bundle.Quantities{"llm_spend": spendUnits}, i, 1)
	}
	f.fresh()
	var clockMu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				qty := int64((w*7+i*13)%20 + 1)
				id, err := f.s.Reserve(t.Context(), "a0", "llm_spend", qty, 5*time.Second)
				switch {
				case errors.Is(err, ErrServiceDenied):
				case err != nil:
					t.Errorf("Reserve: %v", err)
				// Worker 0 moves the clock and advances the scheduler meanwhile:
				// a reservation may lapse, or end with its bundle, and Advance
				// then releases it, after which its id is unknown (as
				// ErrUnknownReservation documents).
				case i%5 == 0:
					if err := f.s.Cancel(t.Context(), id); err != nil && !errors.Is(err, ErrUnknownReservation) {
						t.Errorf("Cancel: %v", err)
					}
				default:
					if err := f.s.Commit(t.Context(), id, max(qty-int64(i%3), 0)); err != nil && !errors.Is(err, ErrReservationLapsed) && !errors.Is(err, ErrUnknownReservation) {
						t.Errorf("Commit: %v", err)
					}
				}
				if i%10 == 0 && w == 0 {
					clockMu.Lock()
					f.clk.Add(700 * time.Millisecond)
					clockMu.Unlock()
					if err := f.s.Advance(t.Context()); err != nil {
						t.Errorf("Advance: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	var spends []spendRec
	var limited int
	for _, e := range f.fresh() {
		switch d := e.Data.(type) {
		case events.UsageRecorded:
			spends = append(spends, spendRec{e.Time, d.Quantity})
		case events.SpendLimitReached:
			limited++
		}
	}
	for _, s := range spends {
		var n int64
		for _, o := range spends {
			if !o.at.After(s.at) && o.at.Add(spendWindow).After(s.at) {
				n += o.units
			}
		}
		if n > spendUnits {
			t.Fatalf("%d units spent in the window ending %v", n, s.at)
		}
	}
	if limited == 0 {
		t.Errorf("the spend limit never bound")
	}
	for _, id := range []string{"ba", "bb", "bc"} {
		if in, _ := f.s.Bundle(id); in.Used["llm_spend"] > spendUnits {
			t.Errorf("%s used %d", id, in.Used["llm_spend"])
		}
	}
}
