package ledger

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestConcurrentUse runs writers and readers at once: the events must come
// out gap-free in apply order, so that they replay to the final state.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	accounts := []string{"a", "b", "c", "d"}
	for _, id := range accounts {
		must(t, f.l.Open(ctx, id, KindAgent))
		must(t, f.l.Mint(ctx, "grant-"+id, id, dec(t, "100"), ""))
	}
	const perWriter = 50
	var wg sync.WaitGroup
	for w, from := range accounts {
		to := accounts[(w+1)%len(accounts)]
		wg.Go(func() {
			for i := range perWriter {
				id := fmt.Sprintf("%s-%d", from, i)
				// Failures (insufficient credit) are fine; consistency is
				// what is checked.
				_ = f.l.Transfer(ctx, id, from, to, dec(t, "3.5"), "")
				_ = f.l.Hold(ctx, "h-"+id, from, dec(t, "1"))
				_ = f.l.CapturePartial(ctx, "h-"+id, "p-"+id, to, dec(t, "0.25"), "tick")
				_ = f.l.Capture(ctx, "h-"+id, "c-"+id, to, dec(t, "0.5"), "")
				_ = f.l.Apply(ctx,
					HoldOp{HoldID: "bh-" + id, Account: from, Amount: dec(t, "1"), Timeout: time.Duration(i%3+1) * time.Second},
					CaptureOp{HoldID: "bh-" + id, TransferID: "bc-" + id, To: to, Amount: dec(t, "0.5"), Partial: true},
				)
				_ = f.l.Expire(ctx)
			}
		})
		wg.Go(func() {
			for range perWriter {
				_ = f.l.Balances()
				_ = f.l.Sum()
				_, _ = f.l.QueryBalance(ctx, from)
				_ = f.l.LastSequence()
				_, _, _ = f.l.History(from, "", 10)
				_ = f.l.Totals()
				_, _ = f.l.NextExpiry()
			}
		})
	}
	// The clock moves while they run, so that Expire finds holds due.
	wg.Go(func() {
		for range perWriter {
			f.clock.Add(time.Second)
		}
	})
	wg.Wait()
	if s := f.l.Sum(); !s.IsZero() {
		t.Fatalf("Sum() = %s, want 0", s.Text('f'))
	}
	evs := f.log.Events(0)
	for i, e := range evs {
		if e.Sequence != uint64(i)+1 {
			t.Fatalf("event %d has sequence %d", i, e.Sequence)
		}
	}
	r, err := Restore(context.Background(), f.replayOpts(), evs)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if diff := cmp.Diff(f.l.Balances(), r.Balances(), decimalEqual); diff != "" {
		t.Errorf("replayed balances (-want +got):\n%s", diff)
	}
}
