package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

// captures returns amount/released/remaining/pending of the hold_captured
// events in evs.
func captures(evs []events.Event) [][4]events.Decimal {
	var out [][4]events.Decimal
	for _, e := range evs {
		if p, ok := e.Data.(events.HoldCaptured); ok {
			out = append(out, [4]events.Decimal{p.Amount, p.Released, p.Remaining, p.Pending})
		}
	}
	return out
}

func TestMeteredLease(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		settle func(t *testing.T, l *Ledger) error
		want   [][4]events.Decimal // amount, released, remaining, pending
		alice  balanceRow
		bob    string
		closed string // the hold_released amount, if a release settles
	}{
		{
			name:   "release the remainder",
			settle: func(t *testing.T, l *Ledger) error { return l.Release(ctx, "lease", "done") },
			want:   [][4]events.Decimal{{"2.5", "0", "27.5", "27.5"}, {"2.5", "0", "25", "25"}, {"0.000001", "0", "24.999999", "24.999999"}},
			alice:  balanceRow{"94.999999", "0", "94.999999"},
			bob:    "5.000001",
			closed: "24.999999",
		},
		{
			name: "final capture releases the rest",
			settle: func(t *testing.T, l *Ledger) error {
				return l.Capture(ctx, "lease", "last", "bob", dec(t, "4"), "last tick")
			},
			want: [][4]events.Decimal{
				{"2.5", "0", "27.5", "27.5"}, {"2.5", "0", "25", "25"}, {"0.000001", "0", "24.999999", "24.999999"},
				{"4", "20.999999", "0", "0"},
			},
			alice: balanceRow{"90.999999", "0", "90.999999"},
			bob:   "9.000001",
		},
		{
			name: "partial capture of all that remains closes it",
			settle: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "lease", "last", "bob", dec(t, "24.999999"), "")
			},
			want: [][4]events.Decimal{
				{"2.5", "0", "27.5", "27.5"}, {"2.5", "0", "25", "25"}, {"0.000001", "0", "24.999999", "24.999999"},
				{"24.999999", "0", "0", "0"},
			},
			// Balances keep the exponent of their sums: 5.000001 + 24.999999.
			alice: balanceRow{"70.000000", "0", "70.000000"},
			bob:   "30.000000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standard(t)
			must(t, f.l.Release(ctx, "h0", ""))
			start := f.log.Len()
			must(t, f.l.Hold(ctx, "lease", "alice", dec(t, "30")))
			must(t, f.l.CapturePartial(ctx, "lease", "tick-1", "bob", dec(t, "2.5"), "tick"))
			must(t, f.l.CapturePartial(ctx, "lease", "tick-2", "bob", dec(t, "2.5"), "tick"))
			must(t, f.l.CapturePartial(ctx, "lease", "tick-3", "bob", dec(t, "0.000001"), "tick"))
			if got, ok := f.l.HoldAmount("lease"); !ok || got.Cmp(dec(t, "24.999999")) != 0 {
				t.Fatalf("HoldAmount(lease) = %v, %v; want 24.999999, true", got, ok)
			}
			must(t, tt.settle(t, f.l))
			evs := f.eventsAfter(start)
			if diff := cmp.Diff(tt.want, captures(evs)); diff != "" {
				t.Errorf("captures (-want +got):\n%s", diff)
			}
			var wantReleased []string
			if tt.closed != "" {
				wantReleased = []string{"lease:done:" + tt.closed}
			}
			if diff := cmp.Diff(wantReleased, released(evs)); diff != "" {
				t.Errorf("releases (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]balanceRow{"alice": tt.alice, "bob": {tt.bob, "0", tt.bob}}, f.rows(t, "alice", "bob")); diff != "" {
				t.Errorf("balances (-want +got):\n%s", diff)
			}
			if _, ok := f.l.HoldAmount("lease"); ok {
				t.Error("the lease is still open")
			}
			if s := f.l.Sum(); !s.IsZero() {
				t.Errorf("Sum() = %s", s.Text('f'))
			}
			// Every capture retries as a no-op, even after the hold closed.
			before := f.state()
			must(t, f.l.CapturePartial(ctx, "lease", "tick-2", "bob", dec(t, "2.5"), "tick"))
			must(t, f.l.Capture(ctx, "lease", "tick-1", "bob", dec(t, "2.50"), "tick"))
			f.assertUnchanged(t, before)
			r, err := Restore(context.Background(), f.replayOpts(), roundTrip(t, f.log.Events(0)))
			if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			assertSameLedger(t, f.l, r, "lease")
		})
	}
}

func TestPartialCaptureErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		do   func(t *testing.T, l *Ledger) error
		want error
	}{
		{"beyond what remains", func(t *testing.T, l *Ledger) error {
			return l.CapturePartial(ctx, "h0", "t2", "bob", dec(t, "20.000001"), "")
		}, ErrCaptureExceedsHold},
		{"final beyond what remains", func(t *testing.T, l *Ledger) error {
			return l.Capture(ctx, "h0", "t2", "bob", dec(t, "20.000001"), "")
		}, ErrCaptureExceedsHold},
		{"retry with other amount", func(t *testing.T, l *Ledger) error {
			return l.CapturePartial(ctx, "h0", "t1", "bob", dec(t, "11"), "tick")
		}, ErrExistsWithDifferentFields},
		{"retry to other account", func(t *testing.T, l *Ledger) error {
			return l.CapturePartial(ctx, "h0", "t1", "esc", dec(t, "10"), "tick")
		}, ErrExistsWithDifferentFields},
		{"transfer id of a transfer", func(t *testing.T, l *Ledger) error {
			return l.CapturePartial(ctx, "h0", "t0", "bob", dec(t, "1"), "")
		}, ErrExistsWithDifferentFields},
		{"too fine", func(t *testing.T, l *Ledger) error {
			return l.CapturePartial(ctx, "h0", "t2", "bob", dec(t, "0.0000001"), "")
		}, ErrInvalidAmount},
		{"bad reason", func(t *testing.T, l *Ledger) error {
			return l.CapturePartial(ctx, "h0", "t2", "bob", dec(t, "1"), "\xff")
		}, ErrInvalidReason},
		{"bad transfer id", func(t *testing.T, l *Ledger) error {
			return l.CapturePartial(ctx, "h0", "", "bob", dec(t, "1"), "")
		}, ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standard(t)
			must(t, f.l.CapturePartial(ctx, "h0", "t1", "bob", dec(t, "10"), "tick"))
			before := f.state()
			if err := tt.do(t, f.l); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			f.assertUnchanged(t, before)
			if got, _ := f.l.HoldAmount("h0"); got.Cmp(dec(t, "20")) != 0 {
				t.Errorf("HoldAmount(h0) = %s, want 20", got.Text('f'))
			}
		})
	}
}
