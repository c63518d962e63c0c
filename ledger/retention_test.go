package ledger

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestRetentionForgetsOldIDs checks that a transfer id is a retry within
// Retention and a new transfer once a later write has passed it.
func TestRetentionForgetsOldIDs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{Retention: time.Hour})
	must(t, f.l.Open(ctx, "a", KindAgent))
	must(t, f.l.Mint(ctx, "m1", "a", dec(t, "10"), ""))
	f.clock.Add(30 * time.Minute)
	must(t, f.l.Mint(ctx, "m1", "a", dec(t, "10"), "")) // a retry: no effect
	if err := f.l.Mint(ctx, "m1", "a", dec(t, "11"), ""); !errors.Is(err, ErrExistsWithDifferentFields) {
		t.Fatalf("m1 with another amount within Retention = %v, want ErrExistsWithDifferentFields", err)
	}
	f.clock.Add(31 * time.Minute)
	must(t, f.l.Mint(ctx, "m2", "a", dec(t, "1"), "")) // a write after the hour forgets m1
	must(t, f.l.Mint(ctx, "m1", "a", dec(t, "11"), ""))
	if b, _ := f.l.Balance("a"); b.Posted.Text('f') != "22" {
		t.Fatalf("balance %s, want 22: m1 used again after Retention", b.Posted.Text('f'))
	}
}

// TestRetentionReplays runs random writes on a ledger with a Retention
// over hours of a mock clock and checks after every step that no record
// older than Retention before the last write is kept, and that Restore and
// RestoreFrom rebuild the same state (forgotten records included).
func TestRetentionReplays(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		retention := time.Duration(rapid.IntRange(1, 120).Draw(t, "retention minutes")) * time.Minute
		f := newFixture(t, Options{Retention: retention})
		must(t, f.l.Open(ctx, "a", KindAgent))
		must(t, f.l.Open(ctx, "b", KindAgent))
		snap := f.l.Snapshot()
		for i := range rapid.IntRange(1, 40).Draw(t, "steps") {
			if m := rapid.IntRange(-20, 40).Draw(t, "minutes"); m > 0 { // the mock clock sleeps on Add
				f.clock.Add(time.Duration(m) * time.Minute)
			}
			id := fmt.Sprintf("%d", rapid.IntRange(0, i).Draw(t, "id"))
			amount := dec(t, fmt.Sprint(rapid.IntRange(1, 5).Draw(t, "amount")))
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				_ = f.l.Mint(ctx, "m"+id, "a", amount, "")
			case 1:
				_ = f.l.Transfer(ctx, "t"+id, "a", "b", amount, "")
			case 2:
				_ = f.l.HoldWithTimeout(ctx, "h"+id, "b", amount, 10*time.Minute)
			case 3:
				_ = f.l.Capture(ctx, "h"+id, "c"+id, "a", amount, "")
				_ = f.l.Expire(ctx)
			}
			if rapid.IntRange(0, 9).Draw(t, "snapshot") == 0 {
				snap = f.l.Snapshot()
			}
			checkRetention(t, f, retention)
			checkReplays(t, f, snap)
		}
	})
}

// checkRetention checks that every record kept was done within retention
// of the ledger's last write.
func checkRetention(t *rapid.T, f *fixture, retention time.Duration) {
	evs := f.log.Events(0)
	cutoff := evs[len(evs)-1].Time.Add(-retention)
	s := f.l.Snapshot()
	for _, tr := range s.Transfers {
		if !tr.At.After(cutoff) {
			t.Fatalf("transfer %s done at %v kept after %v", tr.ID, tr.At, cutoff)
		}
	}
	for _, h := range s.Holds {
		if h.State != "open" && !h.Closed.After(cutoff) {
			t.Fatalf("hold %s closed at %v kept after %v", h.ID, h.Closed, cutoff)
		}
	}
}

// checkReplays checks that Restore, and RestoreFrom snap, rebuild f's state.
func checkReplays(t *rapid.T, f *fixture, snap Snapshot) {
	want := f.l.StateHash()
	evs := f.log.Events(0)
	r, err := Restore(context.Background(), f.opts, evs)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got := r.StateHash(); got != want {
		t.Fatalf("Restore state %s, want %s", got, want)
	}
	r, err = RestoreFrom(context.Background(), f.opts, snap, evs)
	if err != nil {
		t.Fatalf("RestoreFrom: %v", err)
	}
	if got := r.StateHash(); got != want {
		t.Fatalf("RestoreFrom state %s, want %s", got, want)
	}
}
