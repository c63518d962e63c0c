package ledger

import (
	"context"
	"errors"
	"testing"
)

func TestRetries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		first func(t *testing.T, l *Ledger) error // succeeds and publishes
		// between runs after first, e.g. to make the retry impossible anew
		between func(t *testing.T, l *Ledger) error
		same    func(t *testing.T, l *Ledger) error // nil, no event
		other   func(t *testing.T, l *Ledger) error // ErrExistsWithDifferentFields
	}{
		{
			name:  "transfer",
			first: func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "60"), "x") },
			// alice has 10 available now, so a fresh transfer of 60 would fail
			same: func(t *testing.T, l *Ledger) error {
				return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "60.000"), "x")
			},
			other: func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "60"), "y") },
		},
		{
			name:  "transfer to another account",
			first: func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "1"), "") },
			same:  func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "1"), "") },
			other: func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "esc", dec(t, "1"), "") },
		},
		{
			name:  "mint",
			first: func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", "bob", dec(t, "5"), "r") },
			same:  func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", "bob", dec(t, "5"), "r") },
			other: func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "mint", "bob", dec(t, "5"), "r") },
		},
		{
			name:  "burn",
			first: func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", "alice", dec(t, "70"), "") },
			same:  func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", "alice", dec(t, "70"), "") },
			other: func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", "alice", dec(t, "69"), "") },
		},
		{
			name:  "hold",
			first: func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "70")) },
			same:  func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "70")) },
			other: func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "7")) },
		},
		{
			name:    "hold after it was captured",
			first:   func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "70")) },
			between: func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h1", "t1", "bob", dec(t, "70"), "") },
			same:    func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "alice", dec(t, "70")) },
			other:   func(t *testing.T, l *Ledger) error { return l.Hold(ctx, "h1", "bob", dec(t, "70")) },
		},
		{
			name:  "capture",
			first: func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "10"), "won") },
			same:  func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "10"), "won") },
			other: func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "11"), "won") },
		},
		{
			name:  "capture under another transfer id",
			first: func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "10"), "") },
			same:  func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "10"), "") },
			other: func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t2", "bob", dec(t, "10"), "") },
		},
		{
			name:  "transfer id of a capture",
			first: func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "10"), "") },
			same:  func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "10"), "") },
			other: func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "10"), "") },
		},
		{
			name:  "release",
			first: func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h0", "lost") },
			same:  func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h0", "lost") },
			other: func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h0", "expired") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standard(t)
			must(t, tt.first(t, f.l))
			if tt.between != nil {
				must(t, tt.between(t, f.l))
			}
			before := f.state()
			if err := tt.same(t, f.l); err != nil {
				t.Fatalf("retry with the same fields: %v, want nil", err)
			}
			f.assertUnchanged(t, before)
			if err := tt.other(t, f.l); !errors.Is(err, ErrExistsWithDifferentFields) {
				t.Fatalf("retry with other fields: %v, want %v", err, ErrExistsWithDifferentFields)
			}
			f.assertUnchanged(t, before)
		})
	}
}

func TestClosedHolds(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		close func(t *testing.T, l *Ledger) error
		then  func(t *testing.T, l *Ledger) error
	}{
		{
			name:  "capture a released hold",
			close: func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h0", "") },
			then:  func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "1"), "") },
		},
		{
			name:  "release a captured hold",
			close: func(t *testing.T, l *Ledger) error { return l.Capture(ctx, "h0", "t1", "bob", dec(t, "1"), "") },
			then:  func(t *testing.T, l *Ledger) error { return l.Release(ctx, "h0", "") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standard(t)
			must(t, tt.close(t, f.l))
			before := f.state()
			if err := tt.then(t, f.l); !errors.Is(err, ErrUnknownHold) {
				t.Fatalf("err = %v, want %v", err, ErrUnknownHold)
			}
			f.assertUnchanged(t, before)
		})
	}
}
