package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

// row is an Entry without its event id and time, as strings.
type row struct {
	Type                         events.Type
	Transfer, Hold, Counterparty string
	Amount, Balance, Pending     string
}

func rowsOf(entries []Entry) []row {
	out := make([]row, len(entries))
	for i, e := range entries {
		out[i] = row{e.Type, e.TransferID, e.HoldID, e.Counterparty, e.Amount.Text('f'), e.Balance.Text('f'), e.Pending.Text('f')}
	}
	return out
}

// fullHistory returns every entry of id, page by page of size limit.
func fullHistory(tb testingT, l *Ledger, id string, limit int) []Entry {
	tb.Helper()
	var all []Entry
	cursor := ""
	for {
		page, next, err := l.History(id, cursor, limit)
		if err != nil {
			tb.Fatalf("History(%q, %q, %d): %v", id, cursor, limit, err)
		}
		if len(page) > max(limit, 0) && limit > 0 {
			tb.Fatalf("History returned %d entries, limit %d", len(page), limit)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

// lease runs a metered lease on the standard fixture.
func lease(tb testingT, f *fixture) {
	tb.Helper()
	ctx := context.Background()
	must(tb, f.l.Transfer(ctx, "t1", "alice", "bob", dec(tb, "10"), ""))
	must(tb, f.l.CapturePartial(ctx, "h0", "t2", "bob", dec(tb, "5"), "tick"))
	must(tb, f.l.Burn(ctx, "t3", "bob", dec(tb, "1.5"), ""))
	must(tb, f.l.Release(ctx, "h0", "done"))
}

func TestHistory(t *testing.T) {
	f := standard(t)
	lease(t, f)
	tests := []struct {
		account string
		want    []row
	}{
		{"alice", []row{
			{events.TypeHoldReleased, "", "h0", "", "25", "85", "0"},
			{events.TypeHoldCaptured, "t2", "h0", "bob", "-5", "85", "25"},
			{events.TypeCreditsTransferred, "t1", "", "bob", "-10", "90", "30"},
			{events.TypeHoldPlaced, "", "h0", "", "30", "100", "30"},
			{events.TypeCreditsMinted, "t0", "", MintAccount, "100", "100", "0"},
		}},
		{"bob", []row{
			{events.TypeCreditsBurned, "t3", "", BurnAccount, "-1.5", "13.5", "0"},
			{events.TypeHoldCaptured, "t2", "h0", "alice", "5", "15", "0"},
			{events.TypeCreditsTransferred, "t1", "", "alice", "10", "10", "0"},
		}},
		{MintAccount, []row{{events.TypeCreditsMinted, "t0", "", "alice", "-100", "-100", "0"}}},
		{BurnAccount, []row{{events.TypeCreditsBurned, "t3", "", "bob", "1.5", "1.5", "0"}}},
		{"esc", []row{}},
	}
	for _, tt := range tests {
		t.Run(tt.account, func(t *testing.T) {
			for _, limit := range []int{0, 1, 2, 3, MaxHistoryLimit} {
				got := fullHistory(t, f.l, tt.account, limit)
				if diff := cmp.Diff(tt.want, rowsOf(got)); diff != "" {
					t.Errorf("limit %d: history (-want +got):\n%s", limit, diff)
				}
			}
		})
	}
	// Entries carry the ids, sequences and times of their events.
	evs := f.log.Events(0)
	for _, e := range fullHistory(t, f.l, "alice", 0) {
		ev := evs[e.Sequence-1]
		if e.EventID != ev.ID || e.Type != ev.Type || !e.Time.Equal(ev.Time) {
			t.Errorf("entry %+v does not match event %v", e, ev)
		}
	}
}

func TestHistoryPages(t *testing.T) {
	f := standard(t)
	lease(t, f)
	page, next, err := f.l.History("alice", "", 2)
	must(t, err)
	if len(page) != 2 || next == "" {
		t.Fatalf("first page: %d entries, next %q", len(page), next)
	}
	// New entries do not shift a page already cursored.
	must(t, f.l.Transfer(context.Background(), "t9", "alice", "bob", dec(t, "1"), ""))
	page2, next2, err := f.l.History("alice", next, 2)
	must(t, err)
	if diff := cmp.Diff([]events.Type{events.TypeCreditsTransferred, events.TypeHoldPlaced}, []events.Type{page2[0].Type, page2[1].Type}); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	page3, next3, err := f.l.History("alice", next2, 2)
	must(t, err)
	if len(page3) != 1 || next3 != "" {
		t.Errorf("last page: %d entries, next %q; want 1, \"\"", len(page3), next3)
	}
	// The caller owns the decimals.
	page3[0].Balance.SetInt64(7)
	if again, _, _ := f.l.History("alice", next2, 2); again[0].Balance.Cmp(dec(t, "100")) != 0 {
		t.Errorf("History after changing a returned balance: %s", again[0].Balance.Text('f'))
	}
}

func TestHistoryErrors(t *testing.T) {
	f := standard(t)
	tests := []struct {
		name    string
		account string
		cursor  string
		limit   int
		want    error
	}{
		{"unknown account", "carol", "", 0, ErrUnknownAccount},
		{"negative limit", "alice", "", -1, ErrInvalidLimit},
		{"limit too large", "alice", "", MaxHistoryLimit + 1, ErrInvalidLimit},
		{"cursor of another form", "alice", "5", 0, ErrInvalidCursor},
		{"cursor of sequence 0", "alice", cursorPrefix + "0", 0, ErrInvalidCursor},
		{"cursor not base 36", "alice", cursorPrefix + "!", 0, ErrInvalidCursor},
		{"cursor with leading zero", "alice", cursorPrefix + "05", 0, ErrInvalidCursor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := f.l.History(tt.account, tt.cursor, tt.limit)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got != nil || next != "" {
				t.Errorf("History returned %v, %q with an error", got, next)
			}
		})
	}
}

func TestMaxHistory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{MaxHistory: 3})
	must(t, f.l.Open(ctx, "a", KindAgent))
	must(t, f.l.Open(ctx, "b", KindAgent))
	must(t, f.l.Mint(ctx, "m", "a", dec(t, "100"), ""))
	first, _, err := f.l.History("a", "", 1)
	must(t, err)
	for i, id := range []string{"t1", "t2", "t3", "t4"} {
		must(t, f.l.Transfer(ctx, id, "a", "b", dec(t, "1"), ""))
		if got := fullHistory(t, f.l, "a", 2); len(got) != min(i+2, 3) {
			t.Fatalf("after %d transfers the history holds %d entries", i+1, len(got))
		}
	}
	want := []row{
		{events.TypeCreditsTransferred, "t4", "", "b", "-1", "96", "0"},
		{events.TypeCreditsTransferred, "t3", "", "b", "-1", "97", "0"},
		{events.TypeCreditsTransferred, "t2", "", "b", "-1", "98", "0"},
	}
	if diff := cmp.Diff(want, rowsOf(fullHistory(t, f.l, "a", 2))); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	// A cursor into dropped entries finds nothing older.
	older, next, err := f.l.History("a", formatCursor(first[0].Sequence), 10)
	must(t, err)
	if len(older) != 0 || next != "" {
		t.Errorf("History before dropped entries = %d entries, next %q", len(older), next)
	}
}

func TestHistoryReplays(t *testing.T) {
	f := standard(t)
	lease(t, f)
	r, err := Restore(context.Background(), f.replayOpts(), roundTrip(t, f.log.Events(0)))
	must(t, err)
	for _, id := range []string{"alice", "bob", MintAccount, BurnAccount} {
		if diff := cmp.Diff(fullHistory(t, f.l, id, 0), fullHistory(t, r, id, 0), decimalEqual); diff != "" {
			t.Errorf("replayed history of %q (-want +got):\n%s", id, diff)
		}
	}
}

func TestTotals(t *testing.T) {
	f := standard(t)
	lease(t, f)
	ctx := context.Background()
	must(t, f.l.Transfer(ctx, "t4", "bob", "esc", dec(t, "2"), ""))
	want := map[Kind]string{KindAgent: "96.5", KindEscrow: "2", KindOperator: "0", KindMint: "-100", KindBurn: "1.5"}
	got := map[Kind]string{}
	sum := new(apd.Decimal)
	for k, d := range f.l.Totals() {
		got[k] = d.Text('f')
		mustExact(exact.Context.Add(sum, sum, d))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Totals (-want +got):\n%s", diff)
	}
	if !sum.IsZero() {
		t.Errorf("totals add up to %s", sum.Text('f'))
	}
}

func FuzzHistoryCursor(f *testing.F) {
	for _, seed := range []string{"", formatCursor(1), formatCursor(1 << 40), cursorPrefix, cursorPrefix + "0", cursorPrefix + "-1", "h1.zzzzzzzzzzzzzzzzzz"} {
		f.Add(seed)
	}
	l := standard(f).l
	f.Fuzz(func(t *testing.T, cursor string) {
		seq, err := parseCursor(cursor)
		if err != nil {
			if !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("parseCursor(%q) = %v, want %v", cursor, err, ErrInvalidCursor)
			}
			if _, _, herr := l.History("alice", cursor, 0); !errors.Is(herr, ErrInvalidCursor) {
				t.Fatalf("History with cursor %q = %v, want %v", cursor, herr, ErrInvalidCursor)
			}
			return
		}
		if cursor != "" && formatCursor(seq) != cursor {
			t.Fatalf("cursor %q parses to %d, which formats as %q", cursor, seq, formatCursor(seq))
		}
		entries, _, err := l.History("alice", cursor, 0)
		if err != nil {
			t.Fatalf("History with valid cursor %q: %v", cursor, err)
		}
		for _, e := range entries {
			if e.Sequence >= seq {
				t.Fatalf("cursor %q (before %d) returned entry %d", cursor, seq, e.Sequence)
			}
		}
	})
}
