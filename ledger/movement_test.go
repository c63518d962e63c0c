package ledger

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

func TestMovements(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("x", MaxIDLen+1)
	tests := []struct {
		name    string
		do      func(t *testing.T, l *Ledger) error
		wantErr error
		// on success: the posted balances after, and the event published
		want        map[string]string
		wantType    events.Type
		wantSubject string
	}{
		{
			name: "transfer",
			do: func(t *testing.T, l *Ledger) error {
				return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "25.5"), "pay")
			},
			want:     map[string]string{"alice": "74.5", "bob": "25.5"},
			wantType: events.TypeCreditsTransferred, wantSubject: "alice",
		},
		{
			name:     "transfer whole available",
			do:       func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "esc", dec(t, "70"), "") },
			want:     map[string]string{"alice": "30", "esc": "70"},
			wantType: events.TypeCreditsTransferred, wantSubject: "alice",
		},
		{
			name: "transfer smallest amount",
			do: func(t *testing.T, l *Ledger) error {
				return l.Transfer(ctx, "t1", "alice", "op", dec(t, "0.000001"), "")
			},
			want:     map[string]string{"alice": "99.999999", "op": "0.000001"},
			wantType: events.TypeCreditsTransferred, wantSubject: "alice",
		},
		{
			name:     "mint",
			do:       func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", "bob", dec(t, "7"), "reward") },
			want:     map[string]string{"mint": "-107", "bob": "7"},
			wantType: events.TypeCreditsMinted, wantSubject: "bob",
		},
		{
			name:     "mint the maximum amount",
			do:       func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", "bob", dec(t, "1000000000000000"), "") },
			want:     map[string]string{"mint": "-1000000000000100", "bob": "1000000000000000"},
			wantType: events.TypeCreditsMinted, wantSubject: "bob",
		},
		{
			name:     "burn",
			do:       func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", "alice", dec(t, "10"), "fee") },
			want:     map[string]string{"alice": "90", "burn": "10"},
			wantType: events.TypeCreditsBurned, wantSubject: "alice",
		},
		{
			name: "transfer beyond available",
			do: func(t *testing.T, l *Ledger) error {
				return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "70.000001"), "")
			},
			wantErr: ErrInsufficientCredit,
		},
		{
			name:    "transfer from empty account",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "bob", "alice", dec(t, "1"), "") },
			wantErr: ErrInsufficientCredit,
		},
		{
			name:    "burn beyond available",
			do:      func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", "alice", dec(t, "71"), "") },
			wantErr: ErrInsufficientCredit,
		},
		{name: "zero", do: transferOf("0"), wantErr: ErrInvalidAmount},
		{name: "negative zero", do: transferOf("-0"), wantErr: ErrInvalidAmount},
		{name: "negative", do: transferOf("-1"), wantErr: ErrInvalidAmount},
		{name: "NaN", do: transferOf("NaN"), wantErr: ErrInvalidAmount},
		{name: "signalling NaN", do: transferOf("sNaN"), wantErr: ErrInvalidAmount},
		{name: "infinite", do: transferOf("Infinity"), wantErr: ErrInvalidAmount},
		{name: "finer than scale", do: transferOf("0.0000001"), wantErr: ErrInvalidAmount},
		{name: "above maximum", do: transferOf("1000000000000000.000001"), wantErr: ErrInvalidAmount},
		{name: "far above maximum", do: transferOf("1E+40"), wantErr: ErrInvalidAmount},
		{
			name:    "nil amount",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "bob", nil, "") },
			wantErr: ErrInvalidAmount,
		},
		{
			name:    "mint nil amount",
			do:      func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", "bob", nil, "") },
			wantErr: ErrInvalidAmount,
		},
		{
			name:    "burn zero",
			do:      func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", "alice", dec(t, "0"), "") },
			wantErr: ErrInvalidAmount,
		},
		{
			name:    "same account",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "alice", dec(t, "1"), "") },
			wantErr: ErrSameAccount,
		},
		{
			name:    "mint to mint",
			do:      func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", MintAccount, dec(t, "1"), "") },
			wantErr: ErrSameAccount,
		},
		{
			name:    "burn from burn",
			do:      func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", BurnAccount, dec(t, "1"), "") },
			wantErr: ErrSameAccount,
		},
		{
			name:    "unknown from",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "carol", "bob", dec(t, "1"), "") },
			wantErr: ErrUnknownAccount,
		},
		{
			name:    "unknown to",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "carol", dec(t, "1"), "") },
			wantErr: ErrUnknownAccount,
		},
		{
			name:    "mint to unknown",
			do:      func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", "carol", dec(t, "1"), "") },
			wantErr: ErrUnknownAccount,
		},
		{
			name:    "burn from unknown",
			do:      func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", "carol", dec(t, "1"), "") },
			wantErr: ErrUnknownAccount,
		},
		{
			name:    "transfer from mint",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", MintAccount, "bob", dec(t, "1"), "") },
			wantErr: ErrSystemAccount,
		},
		{
			name: "transfer to burn",
			do: func(t *testing.T, l *Ledger) error {
				return l.Transfer(ctx, "t1", "alice", BurnAccount, dec(t, "1"), "")
			},
			wantErr: ErrSystemAccount,
		},
		{
			name: "transfer to mint",
			do: func(t *testing.T, l *Ledger) error {
				return l.Transfer(ctx, "t1", "alice", MintAccount, dec(t, "1"), "")
			},
			wantErr: ErrSystemAccount,
		},
		{
			name:    "mint to burn",
			do:      func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", BurnAccount, dec(t, "1"), "") },
			wantErr: ErrSystemAccount,
		},
		{
			name:    "burn from mint",
			do:      func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", MintAccount, dec(t, "1"), "") },
			wantErr: ErrSystemAccount,
		},
		{
			name:    "empty transfer id",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "", "alice", "bob", dec(t, "1"), "") },
			wantErr: ErrInvalidID,
		},
		{
			name:    "transfer id with space",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t 1", "alice", "bob", dec(t, "1"), "") },
			wantErr: ErrInvalidID,
		},
		{
			name:    "transfer id too long",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, long, "alice", "bob", dec(t, "1"), "") },
			wantErr: ErrInvalidID,
		},
		{
			name:    "transfer id with control character",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t\n1", "alice", "bob", dec(t, "1"), "") },
			wantErr: ErrInvalidID,
		},
		{
			name:    "transfer id not UTF-8",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t\xff", "alice", "bob", dec(t, "1"), "") },
			wantErr: ErrInvalidID,
		},
		{
			name:    "empty account id",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t1", "alice", "", dec(t, "1"), "") },
			wantErr: ErrInvalidID,
		},
		{
			name:    "burn from bad id",
			do:      func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t1", "al ice", dec(t, "1"), "") },
			wantErr: ErrInvalidID,
		},
		{
			name: "reason too long",
			do: func(t *testing.T, l *Ledger) error {
				return l.Transfer(ctx, "t1", "alice", "bob", dec(t, "1"), strings.Repeat("r", MaxReasonLen+1))
			},
			wantErr: ErrInvalidReason,
		},
		{
			name:    "reason not UTF-8",
			do:      func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t1", "bob", dec(t, "1"), "\xc3\x28") },
			wantErr: ErrInvalidReason,
		},
		{
			name:    "transfer id of the grant, other fields",
			do:      func(t *testing.T, l *Ledger) error { return l.Transfer(ctx, "t0", "alice", "bob", dec(t, "1"), "") },
			wantErr: ErrExistsWithDifferentFields,
		},
		{
			name:    "mint id reused with another amount",
			do:      func(t *testing.T, l *Ledger) error { return l.Mint(ctx, "t0", "alice", dec(t, "101"), "grant") },
			wantErr: ErrExistsWithDifferentFields,
		},
		{
			name:    "mint id reused as a burn",
			do:      func(t *testing.T, l *Ledger) error { return l.Burn(ctx, "t0", "alice", dec(t, "100"), "grant") },
			wantErr: ErrExistsWithDifferentFields,
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
			if diff := cmp.Diff(tt.want, f.posted(t, ids...)); diff != "" {
				t.Errorf("posted balances (-want +got):\n%s", diff)
			}
			evs := f.eventsAfter(before.Events)
			if len(evs) != 1 {
				t.Fatalf("published %d events, want 1: %v", len(evs), evs)
			}
			if evs[0].Type != tt.wantType || evs[0].Subject != tt.wantSubject || evs[0].Sequence != before.Sequence+1 {
				t.Errorf("event %v, want %s#%d %s %s", evs[0], events.SourceLedger, before.Sequence+1, tt.wantType, tt.wantSubject)
			}
			if f.l.Sum().Sign() != 0 {
				t.Errorf("Sum() = %s, want 0", f.l.Sum())
			}
		})
	}
}

func transferOf(amount string) func(t *testing.T, l *Ledger) error {
	return func(t *testing.T, l *Ledger) error {
		return l.Transfer(context.Background(), "t1", "alice", "bob", dec(t, amount), "")
	}
}

func TestInsufficientCreditError(t *testing.T) {
	f := standard(t)
	err := f.l.Transfer(context.Background(), "t1", "alice", "bob", dec(t, "70.5"), "")
	var ice *InsufficientCreditError
	if !errors.As(err, &ice) {
		t.Fatalf("err = %v, want *InsufficientCreditError", err)
	}
	got := map[string]string{"account": ice.Account, "available": ice.Available.Text('f'), "needed": ice.Needed.Text('f')}
	want := map[string]string{"account": "alice", "available": "70", "needed": "70.5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("InsufficientCreditError (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), ErrInsufficientCredit.Error()) {
		t.Errorf("message %q lacks %q", err, ErrInsufficientCredit)
	}
}

func TestMovementPayloads(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	before := f.log.Len()
	must(t, f.l.Mint(ctx, "t1", "bob", dec(t, "2.500000"), "reward"))
	must(t, f.l.Transfer(ctx, "t2", "bob", "esc", dec(t, "1.25"), "pay"))
	must(t, f.l.Burn(ctx, "t3", "esc", dec(t, "0.25"), ""))
	var got []events.Payload
	for _, e := range f.eventsAfter(before) {
		got = append(got, e.Data)
	}
	want := []events.Payload{
		events.CreditsMinted{Movement: events.Movement{
			TransferID: "t1", From: "mint", To: "bob", Amount: "2.5", Reason: "reward",
			FromBalance: "-102.5", ToBalance: "2.5",
		}},
		events.CreditsTransferred{Movement: events.Movement{
			TransferID: "t2", From: "bob", To: "esc", Amount: "1.25", Reason: "pay",
			FromBalance: "1.25", ToBalance: "1.25",
		}},
		events.CreditsBurned{Movement: events.Movement{
			TransferID: "t3", From: "esc", To: "burn", Amount: "0.25",
			FromBalance: "1.00", ToBalance: "0.25",
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payloads (-want +got):\n%s", diff)
	}
}

func TestBalanceOverflow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{Scale: 18, MaxAmount: "9999999999999999.999999999999999999"})
	must(t, f.l.Open(ctx, "a", KindAgent))
	big := dec(t, "9999999999999999.999999999999999999")
	must(t, f.l.Mint(ctx, "t1", "a", big, ""))
	before := f.state()
	err := f.l.Mint(ctx, "t2", "a", big, "")
	if !errors.Is(err, ErrBalanceOverflow) {
		t.Fatalf("second mint: err = %v, want %v", err, ErrBalanceOverflow)
	}
	f.assertUnchanged(t, before)
}
