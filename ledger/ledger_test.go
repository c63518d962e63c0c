package ledger

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

func TestNewOpensSystemAccounts(t *testing.T) {
	f := newFixture(t, Options{Correlation: "run-1"})
	evs := f.log.Events(0)
	type summary struct {
		Sequence    uint64
		Subject     string
		Source      events.Source
		Correlation string
		Data        events.Payload
	}
	var got []summary
	for _, e := range evs {
		got = append(got, summary{e.Sequence, e.Subject, e.Source, e.Correlation, e.Data})
	}
	want := []summary{
		{1, "mint", events.SourceLedger, "run-1", events.AccountOpened{AccountID: "mint", Kind: "mint", AllowNegative: true}},
		{2, "burn", events.SourceLedger, "run-1", events.AccountOpened{AccountID: "burn", Kind: "burn"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if !evs[0].Time.Equal(f.clock.Now()) {
		t.Errorf("event time %v, want the clock's %v", evs[0].Time, f.clock.Now())
	}
	wantBal := map[string]Balance{
		"mint": {Posted: dec(t, "0"), Pending: dec(t, "0"), Available: dec(t, "0"), Kind: KindMint, AllowNegative: true},
		"burn": {Posted: dec(t, "0"), Pending: dec(t, "0"), Available: dec(t, "0"), Kind: KindBurn},
	}
	if diff := cmp.Diff(wantBal, f.l.Balances(), decimalEqual); diff != "" {
		t.Errorf("Balances() (-want +got):\n%s", diff)
	}
	if got := f.l.LastSequence(); got != 2 {
		t.Errorf("LastSequence() = %d, want 2", got)
	}
}

func TestNewDefaults(t *testing.T) {
	l, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	must(t, l.Open(context.Background(), "a", KindAgent))
	must(t, l.Mint(context.Background(), "t1", "a", dec(t, "1000000000000000"), ""))
	if err := l.ValidateAmount(dec(t, "0.000001")); err != nil {
		t.Errorf("default scale rejects 0.000001: %v", err)
	}
	if err := l.ValidateAmount(dec(t, "0.0000001")); !errors.Is(err, ErrInvalidAmount) {
		t.Errorf("default scale accepts 0.0000001: %v", err)
	}
	if got := l.LastSequence(); got != 4 {
		t.Errorf("LastSequence() = %d, want 4", got)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		id      string
		kind    Kind
		wantErr error
	}{
		{"agent", "alice", KindAgent, nil},
		{"operator", "op", KindOperator, nil},
		{"escrow", "escrow-1", KindEscrow, nil},
		{"unicode id", "agent-é✓", KindAgent, nil},
		{"longest id", string(make128('a')), KindAgent, nil},
		{"existing", "bob", KindAgent, ErrAccountExists},
		{"existing of another kind", "bob", KindEscrow, ErrAccountExists},
		{"mint id", MintAccount, KindAgent, ErrAccountExists},
		{"burn id", BurnAccount, KindEscrow, ErrAccountExists},
		{"second mint", "mint2", KindMint, ErrAccountExists},
		{"second burn", "burn2", KindBurn, ErrAccountExists},
		{"user-defined kind", "carol", Kind("vendor_2"), nil},
		{"longest kind", "carol", Kind("k" + strings.Repeat("_", MaxKindLen-1)), nil},
		{"kind too long", "carol", Kind("k" + strings.Repeat("_", MaxKindLen)), ErrInvalidKind},
		{"upper-case kind", "carol", Kind("Bank"), ErrInvalidKind},
		{"kind starting with a digit", "carol", Kind("9bank"), ErrInvalidKind},
		{"kind with a dash", "carol", Kind("bank-1"), ErrInvalidKind},
		{"empty kind", "carol", Kind(""), ErrInvalidKind},
		{"empty id", "", KindAgent, ErrInvalidID},
		{"id too long", string(make128('a')) + "a", KindAgent, ErrInvalidID},
		{"id with space", "ca rol", KindAgent, ErrInvalidID},
		{"id with no-break space", "ca\u00a0rol", KindAgent, ErrInvalidID},
		{"id with NUL", "ca\x00rol", KindAgent, ErrInvalidID},
		{"id with tab", "\tcarol", KindAgent, ErrInvalidID},
		{"id not UTF-8", "carol\xfe", KindAgent, ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			must(t, f.l.Open(ctx, "bob", KindAgent))
			before := f.state()
			err := f.l.Open(ctx, tt.id, tt.kind)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open(%q, %q) = %v, want %v", tt.id, tt.kind, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				f.assertUnchanged(t, before)
				return
			}
			got, err := f.l.Balance(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			want := Balance{Posted: dec(t, "0"), Pending: dec(t, "0"), Available: dec(t, "0"), Kind: tt.kind}
			if diff := cmp.Diff(want, got, decimalEqual); diff != "" {
				t.Errorf("Balance (-want +got):\n%s", diff)
			}
			evs := f.eventsAfter(before.Events)
			wantData := []events.Payload{events.AccountOpened{AccountID: tt.id, Kind: string(tt.kind)}}
			var gotData []events.Payload
			for _, e := range evs {
				gotData = append(gotData, e.Data)
			}
			if diff := cmp.Diff(wantData, gotData); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func make128(c byte) []byte {
	b := make([]byte, MaxIDLen)
	for i := range b {
		b[i] = c
	}
	return b
}

// failingPublisher rejects every publish with errPublish.
type failingPublisher struct{ fail bool }

var errPublish = errors.New("transport down")

func (p *failingPublisher) Publish(ctx context.Context, evs ...events.Event) error {
	if p.fail {
		return errPublish
	}
	return nil
}

func TestFailedPublishChangesNothing(t *testing.T) {
	ctx := context.Background()
	pub := &failingPublisher{}
	l, err := New(ctx, Options{Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	must(t, l.Open(ctx, "a", KindAgent))
	must(t, l.Open(ctx, "b", KindAgent))
	must(t, l.Mint(ctx, "t0", "a", dec(t, "10"), ""))
	must(t, l.Hold(ctx, "h0", "a", dec(t, "4")))
	must(t, l.Hold(ctx, "h1", "a", dec(t, "1")))
	pub.fail = true
	ops := map[string]func() error{
		"open":     func() error { return l.Open(ctx, "c", KindAgent) },
		"mint":     func() error { return l.Mint(ctx, "t1", "a", dec(t, "1"), "") },
		"transfer": func() error { return l.Transfer(ctx, "t1", "a", "b", dec(t, "1"), "") },
		"burn":     func() error { return l.Burn(ctx, "t1", "a", dec(t, "1"), "") },
		"hold":     func() error { return l.Hold(ctx, "h2", "a", dec(t, "1")) },
		"capture":  func() error { return l.Capture(ctx, "h0", "t2", "b", dec(t, "1"), "") },
		"release":  func() error { return l.Release(ctx, "h0", "") },
		"query": func() error {
			_, err := l.QueryBalance(ctx, "a")
			return err
		},
	}
	before := l.Balances()
	for name, op := range ops {
		if err := op(); !errors.Is(err, errPublish) {
			t.Errorf("%s with a failing publisher: %v, want %v", name, err, errPublish)
		}
	}
	if diff := cmp.Diff(before, l.Balances(), decimalEqual); diff != "" {
		t.Errorf("balances changed (-want +got):\n%s", diff)
	}
	if got := l.LastSequence(); got != 7 {
		t.Errorf("LastSequence() = %d after failed publishes, want 7", got)
	}
	if amt, ok := l.HoldAmount("h0"); !ok || amt.Cmp(dec(t, "4")) != 0 {
		t.Errorf("HoldAmount(h0) = %v, %v; want 4, true", amt, ok)
	}
	// Nothing was recorded: the same operations succeed once the publisher
	// is back, and a closed hold stays open.
	pub.fail = false
	for _, name := range []string{"open", "transfer", "hold", "capture"} {
		if err := ops[name](); err != nil {
			t.Errorf("%s after recovery: %v", name, err)
		}
	}
	if got := l.LastSequence(); got != 11 {
		t.Errorf("LastSequence() = %d, want 11", got)
	}
}

func TestNewFailedPublish(t *testing.T) {
	_, err := New(context.Background(), Options{Publisher: &failingPublisher{fail: true}})
	if !errors.Is(err, errPublish) {
		t.Fatalf("New = %v, want %v", err, errPublish)
	}
}

func TestCancelledContextChangesNothing(t *testing.T) {
	f := standard(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := f.state()
	if err := f.l.Transfer(ctx, "t1", "alice", "bob", dec(t, "1"), ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("Transfer with a cancelled context = %v, want %v", err, context.Canceled)
	}
	f.assertUnchanged(t, before)
}
