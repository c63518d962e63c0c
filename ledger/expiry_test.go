package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

// released returns the hold ids and reasons of the hold_released events in
// evs.
func released(evs []events.Event) []string {
	var out []string
	for _, e := range evs {
		if p, ok := e.Data.(events.HoldReleased); ok {
			out = append(out, p.HoldID+":"+p.Reason+":"+string(p.Amount))
		}
	}
	return out
}

func TestExpire(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		advance time.Duration
		want    []string // released hold:reason:amount
		next    time.Duration
		hasNext bool
		alice   balanceRow
	}{
		{name: "nothing due", advance: 59 * time.Second, next: time.Minute, hasNext: true, alice: balanceRow{"100", "65", "35"}},
		{name: "deadline reached exactly", advance: time.Minute, want: []string{"hb:expired:5", "hc:expired:10"}, next: time.Hour, hasNext: true, alice: balanceRow{"100", "50", "50"}},
		{name: "all due", advance: 2 * time.Hour, want: []string{"hb:expired:5", "hc:expired:10", "ha:expired:20"}, alice: balanceRow{"100", "30", "70"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standard(t)
			start := f.clock.Now()
			must(t, f.l.HoldWithTimeout(ctx, "ha", "alice", dec(t, "20"), time.Hour))
			must(t, f.l.HoldWithTimeout(ctx, "hc", "alice", dec(t, "10"), time.Minute))
			must(t, f.l.HoldWithTimeout(ctx, "hb", "alice", dec(t, "5"), time.Minute))
			f.clock.Add(tt.advance)
			before := f.log.Len()
			must(t, f.l.Expire(ctx))
			got := f.eventsAfter(before)
			if diff := cmp.Diff(tt.want, released(got)); diff != "" {
				t.Errorf("released (-want +got):\n%s", diff)
			}
			for _, e := range got {
				if !e.Time.Equal(f.clock.Now()) {
					t.Errorf("%v stamped %v, want %v", e, e.Time, f.clock.Now())
				}
			}
			next, ok := f.l.NextExpiry()
			if ok != tt.hasNext || (ok && !next.Equal(start.Add(tt.next))) {
				t.Errorf("NextExpiry() = %v, %v; want %v, %v", next, ok, start.Add(tt.next), tt.hasNext)
			}
			if diff := cmp.Diff(map[string]balanceRow{"alice": tt.alice}, f.rows(t, "alice")); diff != "" {
				t.Errorf("balances (-want +got):\n%s", diff)
			}
			// Expiring again finds nothing more.
			n := f.log.Len()
			must(t, f.l.Expire(ctx))
			if f.log.Len() != n {
				t.Errorf("second Expire published %d events", f.log.Len()-n)
			}
		})
	}
}

func TestExpireSkipsClosedHolds(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "10"), time.Minute))
	must(t, f.l.HoldWithTimeout(ctx, "h2", "alice", dec(t, "10"), time.Minute))
	must(t, f.l.HoldWithTimeout(ctx, "h3", "alice", dec(t, "10"), time.Minute))
	must(t, f.l.Capture(ctx, "h1", "t1", "bob", dec(t, "4"), ""))
	must(t, f.l.Release(ctx, "h2", "cancelled"))
	must(t, f.l.CapturePartial(ctx, "h3", "t2", "bob", dec(t, "4"), "tick"))
	f.clock.Add(time.Minute)
	before := f.log.Len()
	must(t, f.l.Expire(ctx))
	if diff := cmp.Diff([]string{"h3:expired:6"}, released(f.eventsAfter(before))); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	if _, ok := f.l.NextExpiry(); ok {
		t.Error("NextExpiry reports a hold after all expired")
	}
	// The expired hold is closed: a release with its reason is a retry, any
	// other is a different release, a capture finds no hold.
	must(t, f.l.Release(ctx, "h3", ReasonExpired))
	if err := f.l.Release(ctx, "h3", ""); !errors.Is(err, ErrExistsWithDifferentFields) {
		t.Errorf("Release(expired, other reason) = %v, want %v", err, ErrExistsWithDifferentFields)
	}
	if err := f.l.CapturePartial(ctx, "h3", "t3", "bob", dec(t, "1"), ""); !errors.Is(err, ErrUnknownHold) {
		t.Errorf("CapturePartial(expired) = %v, want %v", err, ErrUnknownHold)
	}
}

func TestExpireFailedPublishChangesNothing(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "10"), time.Minute))
	must(t, f.l.HoldWithTimeout(ctx, "h2", "alice", dec(t, "10"), time.Second))
	f.clock.Add(time.Hour)
	before := f.state()
	f.l.pub = events.PublisherFunc(func(context.Context, ...events.Event) error { return errors.New("down") })
	if err := f.l.Expire(ctx); err == nil {
		t.Fatal("Expire with a failing publisher succeeded")
	}
	f.l.pub = f.log
	f.assertUnchanged(t, before)
	if next, ok := f.l.NextExpiry(); !ok || !next.Equal(f.clock.Now().Add(-time.Hour+time.Second)) {
		t.Errorf("NextExpiry() = %v, %v after a failed Expire", next, ok)
	}
	must(t, f.l.Expire(ctx))
	if diff := cmp.Diff([]string{"h2:expired:10", "h1:expired:10"}, released(f.eventsAfter(before.Events))); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
}

func TestHoldWithTimeoutRetry(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "10"), time.Minute))
	f.clock.Add(time.Second)
	before := f.state()
	must(t, f.l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "10"), time.Minute))
	f.assertUnchanged(t, before)
	for name, do := range map[string]func() error{
		"other timeout": func() error { return f.l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "10"), time.Hour) },
		"no timeout":    func() error { return f.l.Hold(ctx, "h1", "alice", dec(t, "10")) },
		"timeout added": func() error { return f.l.HoldWithTimeout(ctx, "h0", "alice", dec(t, "30"), time.Minute) },
	} {
		if err := do(); !errors.Is(err, ErrExistsWithDifferentFields) {
			t.Errorf("%s: %v, want %v", name, err, ErrExistsWithDifferentFields)
		}
		f.assertUnchanged(t, before)
	}
	// The retry did not move the deadline.
	if next, _ := f.l.NextExpiry(); !next.Equal(f.clock.Now().Add(time.Minute - time.Second)) {
		t.Errorf("NextExpiry() = %v after a retry", next)
	}
}

func TestReplayKeepsDeadlines(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "10"), time.Minute))
	f.clock.Add(time.Second)
	must(t, f.l.HoldWithTimeout(ctx, "h2", "alice", dec(t, "10"), 90*time.Second+time.Nanosecond))
	must(t, f.l.CapturePartial(ctx, "h2", "t1", "bob", dec(t, "2.5"), "tick"))
	r, err := Restore(context.Background(), f.replayOpts(), roundTrip(t, f.log.Events(0)))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	want, _ := f.l.NextExpiry()
	if got, ok := r.NextExpiry(); !ok || !got.Equal(want) {
		t.Fatalf("replayed NextExpiry() = %v, %v; want %v", got, ok, want)
	}
	// Both expire the same holds, the replayed one continuing the stream.
	f.clock.Add(time.Hour)
	before := f.log.Len()
	must(t, f.l.Expire(ctx))
	if diff := cmp.Diff([]string{"h1:expired:10", "h2:expired:7.5"}, released(f.eventsAfter(before))); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	r2, err := Restore(context.Background(), f.replayOpts(), f.log.Events(0))
	if err != nil {
		t.Fatalf("Restore after Expire: %v", err)
	}
	assertSameLedger(t, f.l, r2, "h0", "h1", "h2")
}

// roundTrip encodes and decodes evs, as a stream would.
func roundTrip(tb testing.TB, evs []events.Event) []events.Event {
	tb.Helper()
	out := make([]events.Event, len(evs))
	for i, e := range evs {
		b, err := events.Encode(e)
		if err != nil {
			tb.Fatalf("Encode(%v): %v", e, err)
		}
		if out[i], err = events.Decode(b); err != nil {
			tb.Fatalf("Decode(%s): %v", b, err)
		}
	}
	return out
}
