package invariant_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// TestRetentionAllowsForgottenIDs checks credits_conserved against a real
// ledger that forgets ids after a retention: an id used again once the
// retention has passed is a new operation, one used again before it is a
// violation, and without Options.Retention any reuse is.
func TestRetentionAllowsForgottenIDs(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	log := events.NewLog(events.LogOptions{})
	l, err := ledger.New(ctx, ledger.Options{Clock: clk, Publisher: log, Retention: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.Open(ctx, "a", ledger.KindAgent))
	must(l.Open(ctx, "b", ledger.KindAgent))
	must(l.Mint(ctx, "m1", "a", apd.New(100, 0), "grant"))
	must(l.Transfer(ctx, "t1", "a", "b", apd.New(1, 0), "pay"))
	must(l.Hold(ctx, "h1", "a", apd.New(5, 0)))
	must(l.Release(ctx, "h1", "done"))
	clk.Add(time.Minute)
	must(l.Transfer(ctx, "t1", "a", "b", apd.New(1, 0), "pay again")) // forgotten: a new transfer
	must(l.Hold(ctx, "h1", "a", apd.New(5, 0)))
	evs := log.Events(0)

	if err := invariant.CheckWith(evs, invariant.Options{Retention: time.Minute}); err != nil {
		t.Errorf("ids reused after the retention: %v", err)
	}
	for _, retention := range []time.Duration{0, time.Minute + time.Second} {
		err := invariant.CheckWith(evs, invariant.Options{Retention: retention})
		var v *invariant.Violation
		if !errors.As(err, &v) || v.Check != invariant.CreditsConserved {
			t.Errorf("retention %v: %v, want credits_conserved violated", retention, err)
		}
	}
	if err := invariant.CheckWith(evs, invariant.Options{Retention: -time.Second}); !errors.Is(err, invariant.ErrInvalidOptions) {
		t.Errorf("negative retention: %v, want ErrInvalidOptions", err)
	}
}
