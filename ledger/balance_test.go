package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

func TestBalance(t *testing.T) {
	f := standard(t)
	got, err := f.l.Balance("alice")
	if err != nil {
		t.Fatal(err)
	}
	want := Balance{Posted: dec(t, "100"), Pending: dec(t, "30"), Available: dec(t, "70"), Kind: KindAgent}
	if diff := cmp.Diff(want, got, decimalEqual); diff != "" {
		t.Errorf("Balance(alice) (-want +got):\n%s", diff)
	}
	mint, err := f.l.Balance(MintAccount)
	if err != nil {
		t.Fatal(err)
	}
	wantMint := Balance{Posted: dec(t, "-100"), Pending: dec(t, "0"), Available: dec(t, "-100"), Kind: KindMint, AllowNegative: true}
	if diff := cmp.Diff(wantMint, mint, decimalEqual); diff != "" {
		t.Errorf("Balance(mint) (-want +got):\n%s", diff)
	}
	// The returned decimals are copies.
	got.Posted.SetInt64(1e6)
	all := f.l.Balances()
	all["alice"].Available.SetInt64(1e6)
	again, _ := f.l.Balance("alice")
	if diff := cmp.Diff(want, again, decimalEqual); diff != "" {
		t.Errorf("Balance(alice) after changing copies (-want +got):\n%s", diff)
	}
	if _, err := f.l.Balance("carol"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("Balance(carol) = %v, want %v", err, ErrUnknownAccount)
	}
}

func TestQueryBalance(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	before := f.state()
	got, err := f.l.QueryBalance(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := Balance{Posted: dec(t, "100"), Pending: dec(t, "30"), Available: dec(t, "70"), Kind: KindAgent}
	if diff := cmp.Diff(want, got, decimalEqual); diff != "" {
		t.Errorf("QueryBalance(alice) (-want +got):\n%s", diff)
	}
	evs := f.eventsAfter(before.Events)
	if len(evs) != 1 {
		t.Fatalf("published %d events, want 1", len(evs))
	}
	wantData := events.BalanceQueried{AccountID: "alice", Balance: "100", Pending: "30", Available: "70"}
	if diff := cmp.Diff(wantData, evs[0].Data); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	if evs[0].Subject != "alice" || evs[0].Sequence != before.Sequence+1 {
		t.Errorf("event %v, want subject alice, sequence %d", evs[0], before.Sequence+1)
	}
	if diff := cmp.Diff(before.Balances, f.l.Balances(), decimalEqual); diff != "" {
		t.Errorf("QueryBalance changed balances (-want +got):\n%s", diff)
	}

	before = f.state()
	if _, err := f.l.QueryBalance(ctx, "carol"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("QueryBalance(carol) = %v, want %v", err, ErrUnknownAccount)
	}
	f.assertUnchanged(t, before)
}

func TestSum(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.Transfer(ctx, "t1", "alice", "bob", dec(t, "0.000003"), ""))
	must(t, f.l.Burn(ctx, "t2", "bob", dec(t, "0.000001"), ""))
	must(t, f.l.Mint(ctx, "t3", "esc", dec(t, "123456789.123456"), ""))
	if s := f.l.Sum(); !s.IsZero() {
		t.Errorf("Sum() = %s, want 0", s.Text('f'))
	}
}
