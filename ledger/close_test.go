package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

func TestOpenWithOverdraftLimit(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		opts    AccountOptions
		wantErr error
	}{
		{"limit", AccountOptions{Kind: "vendor", OverdraftLimit: dec(t, "50")}, nil},
		{"zero limit is none", AccountOptions{Kind: KindAgent, OverdraftLimit: dec(t, "0")}, nil},
		{"negative limit", AccountOptions{Kind: KindAgent, OverdraftLimit: dec(t, "-1")}, ErrInvalidAmount},
		{"limit finer than scale", AccountOptions{Kind: KindAgent, OverdraftLimit: dec(t, "0.0000001")}, ErrInvalidAmount},
		{"NaN limit", AccountOptions{Kind: KindAgent, OverdraftLimit: dec(t, "NaN")}, ErrInvalidAmount},
		{"empty kind", AccountOptions{OverdraftLimit: dec(t, "5")}, ErrInvalidKind},
		{"mint kind", AccountOptions{Kind: KindMint}, ErrAccountExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			before := f.state()
			err := f.l.OpenWith(ctx, "v", tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("OpenWith = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				f.assertUnchanged(t, before)
			}
		})
	}
}

func TestOverdraft(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.OpenWith(ctx, "v", AccountOptions{Kind: "vendor", OverdraftLimit: dec(t, "50")}))
	opened := f.log.Events(f.log.Len())[0].Data.(events.AccountOpened)
	if opened.OverdraftLimit != "50" || opened.Kind != "vendor" {
		t.Errorf("account_opened = %+v, want kind vendor and limit 50", opened)
	}
	must(t, f.l.Transfer(ctx, "t1", "v", "bob", dec(t, "30"), ""))
	must(t, f.l.Hold(ctx, "h1", "v", dec(t, "20")))
	before := f.state()
	err := f.l.Transfer(ctx, "t2", "v", "bob", dec(t, "0.000001"), "")
	var ice *InsufficientCreditError
	if !errors.As(err, &ice) || ice.Available.Sign() != 0 {
		t.Fatalf("transfer beyond the limit = %v, want insufficient credit with 0 available", err)
	}
	f.assertUnchanged(t, before)
	must(t, f.l.Capture(ctx, "h1", "c1", "bob", dec(t, "20"), ""))
	got, _ := f.l.Balance("v")
	want := Balance{Posted: dec(t, "-50"), Pending: dec(t, "0"), Available: dec(t, "-50"), Kind: "vendor", OverdraftLimit: dec(t, "50")}
	if diff := cmp.Diff(want, got, decimalEqual); diff != "" {
		t.Errorf("Balance(v) (-want +got):\n%s", diff)
	}
	// Agents opened with Open still have no overdraft.
	if err := f.l.Transfer(ctx, "t3", "bob", "alice", dec(t, "50.000001"), ""); !errors.Is(err, ErrInsufficientCredit) {
		t.Errorf("agent overdraft = %v, want %v", err, ErrInsufficientCredit)
	}
	r, err := Restore(context.Background(), f.replayOpts(), f.log.Events(0))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.l.Balances(), r.Balances(), decimalEqual); diff != "" {
		t.Errorf("replayed (-want +got):\n%s", diff)
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		id      string
		wantErr error
	}{
		{"empty account", "esc", nil},
		{"posted balance", "alice", ErrAccountNotEmpty},
		{"unknown", "carol", ErrUnknownAccount},
		{"mint", MintAccount, ErrSystemAccount},
		{"burn", BurnAccount, ErrSystemAccount},
		{"bad id", "a b", ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standard(t)
			before := f.state()
			err := f.l.Close(ctx, tt.id)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Close(%q) = %v, want %v", tt.id, err, tt.wantErr)
			}
			if err != nil {
				f.assertUnchanged(t, before)
				return
			}
			evs := f.eventsAfter(before.Events)
			if diff := cmp.Diff([]events.Type{events.TypeAccountClosed}, typesOf(evs)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			// A retry does nothing.
			again := f.state()
			must(t, f.l.Close(ctx, tt.id))
			f.assertUnchanged(t, again)
		})
	}
}

func TestClosedAccountRefusesMovements(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.Close(ctx, "bob"))
	ops := map[string]func() error{
		"transfer to":   func() error { return f.l.Transfer(ctx, "x1", "alice", "bob", dec(t, "1"), "") },
		"mint to":       func() error { return f.l.Mint(ctx, "x2", "bob", dec(t, "1"), "") },
		"transfer from": func() error { return f.l.Transfer(ctx, "x3", "bob", "alice", dec(t, "1"), "") },
		"burn from":     func() error { return f.l.Burn(ctx, "x4", "bob", dec(t, "1"), "") },
		"hold":          func() error { return f.l.Hold(ctx, "hx", "bob", dec(t, "1")) },
		"capture to":    func() error { return f.l.Capture(ctx, "h0", "x5", "bob", dec(t, "1"), "") },
		"batch": func() error {
			return f.l.Apply(ctx, TransferOp{TransferID: "x6", From: "alice", To: "bob", Amount: dec(t, "1")})
		},
		"reopen": func() error { return f.l.Open(ctx, "bob", KindAgent) },
	}
	for name, do := range ops {
		before := f.state()
		err := do()
		want := ErrClosedAccount
		if name == "reopen" {
			want = ErrAccountExists
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		f.assertUnchanged(t, before)
	}
	if b, err := f.l.Balance("bob"); err != nil || !b.Closed {
		t.Errorf("Balance(bob) = %+v, %v; want closed", b, err)
	}
	r, err := Restore(context.Background(), f.replayOpts(), f.log.Events(0))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := r.Balance("bob"); !b.Closed {
		t.Error("replayed bob is not closed")
	}
}

func typesOf(evs []events.Event) []events.Type {
	var out []events.Type
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}
