package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

// balanceRow is an account's balance as strings, for table tests.
type balanceRow struct{ Posted, Pending, Available string }

func (f *fixture) rows(tb testing.TB, ids ...string) map[string]balanceRow {
	tb.Helper()
	out := make(map[string]balanceRow, len(ids))
	for _, id := range ids {
		b, err := f.l.Balance(id)
		if err != nil {
			tb.Fatalf("Balance(%q): %v", id, err)
		}
		out[id] = balanceRow{b.Posted.Text('f'), b.Pending.Text('f'), b.Available.Text('f')}
	}
	return out
}

func TestHolds(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		do      func(t *testing.T, l *Ledger) error
		wantErr error
		want    map[string]balanceRow // on success
		event   events.Payload        // on success: the one event published
	}{
		{
			name:  "hold",
			do:    func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "20")) },
			want:  map[string]balanceRow{"alice": {"100", "50", "50"}},
			event: events.HoldPlaced{HoldID: "h1", AccountID: "alice", Amount: "20", Balance: "100", Pending: "50"},
		},
		{
			name:  "hold all available",
			do:    func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "70")) },
			want:  map[string]balanceRow{"alice": {"100", "100", "0"}},
			event: events.HoldPlaced{HoldID: "h1", AccountID: "alice", Amount: "70", Balance: "100", Pending: "100"},
		},
		{
			name: "hold with timeout",
			do: func(t *testing.T, l *Ledger) error {
				return l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "20"), time.Minute)
			},
			want: map[string]balanceRow{"alice": {"100", "50", "50"}},
			event: events.HoldPlaced{
				HoldID: "h1", AccountID: "alice", Amount: "20", Balance: "100", Pending: "50",
				ExpiresAt: time.Date(2025, 1, 2, 3, 5, 5, 0, time.UTC),
			},
		},
		{
			name: "hold with zero timeout",
			do: func(t *testing.T, l *Ledger) error {
				return l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "20"), 0)
			},
			wantErr: ErrInvalidTimeout,
		},
		{
			name: "hold with negative timeout",
			do: func(t *testing.T, l *Ledger) error {
				return l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "20"), -time.Second)
			},
			wantErr: ErrInvalidTimeout,
		},
		{
			name: "hold with timeout beyond available",
			do: func(t *testing.T, l *Ledger) error {
				return l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "70.000001"), time.Minute)
			},
			wantErr: ErrInsufficientCredit,
		},
		{
			name: "partial capture",
			do: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "h0", "t1", "bob", dec(t, "10"), "tick")
			},
			want: map[string]balanceRow{"alice": {"90", "20", "70"}, "bob": {"10", "0", "10"}},
			event: events.HoldCaptured{
				HoldID: "h0", TransferID: "t1", AccountID: "alice", To: "bob", Amount: "10", Released: "0",
				Remaining: "20", Reason: "tick", FromBalance: "90", ToBalance: "10", Pending: "20",
			},
		},
		{
			name: "partial capture of the whole hold",
			do: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "h0", "t1", "bob", dec(t, "30"), "")
			},
			want: map[string]balanceRow{"alice": {"70", "0", "70"}, "bob": {"30", "0", "30"}},
			event: events.HoldCaptured{
				HoldID: "h0", TransferID: "t1", AccountID: "alice", To: "bob", Amount: "30", Released: "0",
				Remaining: "0", FromBalance: "70", ToBalance: "30", Pending: "0",
			},
		},
		{
			name: "partial capture beyond hold",
			do: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "h0", "t1", "bob", dec(t, "30.000001"), "")
			},
			wantErr: ErrCaptureExceedsHold,
		},
		{
			name: "partial capture to the held account",
			do: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "h0", "t1", "alice", dec(t, "1"), "")
			},
			wantErr: ErrSameAccount,
		},
		{
			name: "partial capture of unknown hold",
			do: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "h9", "t1", "bob", dec(t, "1"), "")
			},
			wantErr: ErrUnknownHold,
		},
		{
			name: "partial capture to burn",
			do: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "h0", "t1", BurnAccount, dec(t, "1"), "")
			},
			wantErr: ErrSystemAccount,
		},
		{
			name: "partial capture with used transfer id",
			do: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "h0", "t0", "bob", dec(t, "1"), "")
			},
			wantErr: ErrExistsWithDifferentFields,
		},
		{
			name: "partial capture of zero",
			do: func(t *testing.T, l *Ledger) error {
				return l.CapturePartial(ctx, "h0", "t1", "bob", dec(t, "0"), "")
			},
			wantErr: ErrInvalidAmount,
		},
		{
			name:    "hold beyond available",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "70.000001")) },
			wantErr: ErrInsufficientCredit,
		},
		{
			name:    "hold on mint",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", MintAccount, dec(t, "1")) },
			wantErr: ErrSystemAccount,
		},
		{
			name:    "hold on burn",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", BurnAccount, dec(t, "1")) },
			wantErr: ErrSystemAccount,
		},
		{
			name:    "hold on unknown account",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "carol", dec(t, "1")) },
			wantErr: ErrUnknownAccount,
		},
		{
			name:    "hold of zero",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "0")) },
			wantErr: ErrInvalidAmount,
		},
		{
			name:    "hold too fine",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "1.0000005")) },
			wantErr: ErrInvalidAmount,
		},
		{
			name:    "hold with bad id",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "", "alice", dec(t, "1")) },
			wantErr: ErrInvalidID,
		},
		{
			name:    "hold id reused",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h0", "alice", dec(t, "31")) },
			wantErr: ErrExistsWithDifferentFields,
		},
		{
			name:    "hold id reused on another account",
			do:      func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h0", "bob", dec(t, "30")) },
			wantErr: ErrExistsWithDifferentFields,
		},
		{
			name: "capture all",
			do:   func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "30"), "won") },
			want: map[string]balanceRow{"alice": {"70", "0", "70"}, "bob": {"30", "0", "30"}},
			event: events.HoldCaptured{
				HoldID: "h0", TransferID: "t1", AccountID: "alice", To: "bob", Amount: "30", Released: "0",
				Remaining: "0", Reason: "won", FromBalance: "70", ToBalance: "30", Pending: "0",
			},
		},
		{
			name: "capture part",
			do:   func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "esc", dec(t, "12.5"), "") },
			want: map[string]balanceRow{"alice": {"87.5", "0", "87.5"}, "esc": {"12.5", "0", "12.5"}},
			event: events.HoldCaptured{
				HoldID: "h0", TransferID: "t1", AccountID: "alice", To: "esc", Amount: "12.5", Released: "17.5",
				Remaining: "0", FromBalance: "87.5", ToBalance: "12.5", Pending: "0",
			},
		},
		{
			name:    "capture more than held",
			do:      func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "30.000001"), "") },
			wantErr: ErrCaptureExceedsHold,
		},
		{
			name:    "capture unknown hold",
			do:      func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h9", "t1", "bob", dec(t, "1"), "") },
			wantErr: ErrUnknownHold,
		},
		{
			name:    "capture to the held account",
			do:      func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "alice", dec(t, "1"), "") },
			wantErr: ErrSameAccount,
		},
		{
			name:    "capture to unknown account",
			do:      func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "carol", dec(t, "1"), "") },
			wantErr: ErrUnknownAccount,
		},
		{
			name:    "capture to burn",
			do:      func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", BurnAccount, dec(t, "1"), "") },
			wantErr: ErrSystemAccount,
		},
		{
			name:    "capture with a used transfer id",
			do:      func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t0", "bob", dec(t, "1"), "") },
			wantErr: ErrExistsWithDifferentFields,
		},
		{
			name:    "capture of nothing",
			do:      func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "-0"), "") },
			wantErr: ErrInvalidAmount,
		},
		{
			name:    "capture with bad transfer id",
			do:      func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t\t1", "bob", dec(t, "1"), "") },
			wantErr: ErrInvalidID,
		},
		{
			name:  "release",
			do:    func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h0", "lost") },
			want:  map[string]balanceRow{"alice": {"100", "0", "100"}},
			event: events.HoldReleased{HoldID: "h0", AccountID: "alice", Amount: "30", Reason: "lost", Pending: "0"},
		},
		{
			name:    "release unknown hold",
			do:      func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h9", "") },
			wantErr: ErrUnknownHold,
		},
		{
			name:    "release with bad id",
			do:      func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h 0", "") },
			wantErr: ErrInvalidID,
		},
		{
			name:    "release with bad reason",
			do:      func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h0", "\xff") },
			wantErr: ErrInvalidReason,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standard(t)
			before := f.state()
			err := tt.do(t, f.l)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				f.assertUnchanged(t, before)
				return
			}
			ids := make([]string, 0, len(tt.want))
			for id := range tt.want {
				ids = append(ids, id)
			}
			if diff := cmp.Diff(tt.want, f.rows(t, ids...)); diff != "" {
				t.Errorf("balances (-want +got):\n%s", diff)
			}
			evs := f.eventsAfter(before.Events)
			if len(evs) != 1 {
				t.Fatalf("published %d events, want 1", len(evs))
			}
			if diff := cmp.Diff(tt.event, evs[0].Data); diff != "" {
				t.Errorf("event data (-want +got):\n%s", diff)
			}
			if evs[0].Subject != "alice" {
				t.Errorf("subject %q, want alice", evs[0].Subject)
			}
			if f.l.Sum().Sign() != 0 {
				t.Errorf("Sum() = %s, want 0", f.l.Sum())
			}
		})
	}
}

func TestHoldAmount(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	got, ok := f.l.HoldAmount("h0")
	if !ok || got.Cmp(dec(t, "30")) != 0 {
		t.Fatalf("HoldAmount(h0) = %v, %v; want 30, true", got, ok)
	}
	got.SetInt64(1) // the caller's copy
	if again, _ := f.l.HoldAmount("h0"); again.Cmp(dec(t, "30")) != 0 {
		t.Errorf("HoldAmount after changing the returned copy = %s, want 30", again)
	}
	if _, ok := f.l.HoldAmount("h9"); ok {
		t.Error("HoldAmount(unknown) reported an open hold")
	}
	must(t, f.l.Release(ctx, "h0", ""))
	if _, ok := f.l.HoldAmount("h0"); ok {
		t.Error("HoldAmount(released) reported an open hold")
	}
}
