package invariant_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

func TestValidStreamPasses(t *testing.T) {
	evs := streamtest.ValidStream(t).Events()
	if len(evs) != 17 {
		t.Fatalf("valid stream has %d events, want 17", len(evs))
	}
	checks := map[string]func([]events.Event) error{
		"Check":                invariant.Check,
		"CheckConservation":    invariant.CheckConservation,
		"CheckAllocationsPaid": invariant.CheckAllocationsPaid,
		"CheckSequences":       invariant.CheckSequences,
	}
	for name, check := range checks {
		if err := check(evs); err != nil {
			t.Errorf("%s of a valid stream: %v", name, err)
		}
	}
	if err := invariant.Check(nil); err != nil {
		t.Errorf("Check of an empty stream: %v", err)
	}
}

// edit returns a copy of evs with the payload of event i replaced by what
// change makes of it.
func edit[P events.Payload](evs []events.Event, i int, change func(*P)) []events.Event {
	out := slices.Clone(evs)
	p := out[i].Data.(P)
	change(&p)
	out[i].Data = p
	return out
}

// without returns a copy of evs without event i.
func without(evs []events.Event, i int) []events.Event {
	return slices.Delete(slices.Clone(evs), i, i+1)
}

// extended returns the valid stream followed by what more adds.
func extended(tb testing.TB, more func(b *streamtest.Builder)) []events.Event {
	b := streamtest.ValidStream(tb)
	more(b)
	return b.Events()
}

// at names a violation expected of the check at event index of the
// tampered stream.
type at struct {
	check string
	index int
}

func TestTamperedStreamsAreCaught(t *testing.T) {
	valid := streamtest.ValidStream(t).Events()
	const (
		conserved = invariant.CreditsConserved
		paid      = invariant.AllocationsPaid
		gapFree   = invariant.SequencesGapFree
	)
	tests := []struct {
		name   string
		evs    []events.Event
		want   []at
		detail string // in the first violation's detail
	}{
		{
			name: "wrong transfer amount",
			evs:  edit(valid, 7, func(p *events.CreditsTransferred) { p.Amount = "20.26" }),
			want: []at{{conserved, 7}, {conserved, 7}}, detail: `from_balance of "alice" is 79.75, the replay gives 79.74`,
		},
		{
			name: "wrong reported balance",
			evs:  edit(valid, 7, func(p *events.CreditsTransferred) { p.ToBalance = "70.76" }),
			// bob's next movement reports the balance the replay gives.
			want: []at{{conserved, 7}, {conserved, 7}, {conserved, 11}}, detail: `to_balance of "bob" is 70.76, the replay gives 70.75`,
		},
		{
			name: "wrong payment amount",
			evs:  edit(valid, 10, func(p *events.ResourcesAllocated) { p.Amount = "25.49" }),
			want: []at{{paid, 10}}, detail: `order "o6" pays 25.49 but payment "t5" moved "25.50"`,
		},
		{
			name: "payment above bid",
			evs:  edit(valid, 10, func(p *events.ResourcesAllocated) { p.Bid = "25.4" }),
			want: []at{{paid, 10}}, detail: "more than its bid 25.4",
		},
		{
			name: "missing payment",
			evs:  without(valid, 15),
			want: []at{{paid, 15}}, detail: `payment "t10" of order "o11" is not on the stream`,
		},
		{
			name: "unknown payment id",
			evs:  edit(valid, 16, func(p *events.ResourcesAllocated) { p.PaymentID = "nope" }),
			want: []at{{paid, 16}}, detail: `payment "nope"`,
		},
		{
			name: "no payment id",
			evs:  edit(valid, 16, func(p *events.ResourcesAllocated) { p.PaymentID = "" }),
			want: []at{{paid, 16}}, detail: "has no payment_id",
		},
		{
			name: "payment pays two allocations",
			evs: extended(t, func(b *streamtest.Builder) {
				b.Allocate("alice", 2550, 3000, "t5")
			}),
			want: []at{{paid, 17}}, detail: `payment "t5" of order "o13" already paid allocation`,
		},
		{
			name: "gap in sequence",
			evs:  without(valid, 14),
			want: []at{{gapFree, 14}}, detail: "ledger sequence 15 follows 13: 1 events missing",
		},
		{
			name: "first sequence not 1",
			evs:  without(valid, 0),
			// The mint account is no longer opened, either, nor allowed to go
			// below zero.
			want: []at{{gapFree, 0}, {conserved, 4}, {conserved, 4}, {conserved, 5}, {conserved, 5}}, detail: "first ledger event has sequence 2, not 1",
		},
		{
			name: "event published twice",
			evs:  slices.Insert(slices.Clone(valid), 15, valid[14]),
			want: []at{{gapFree, 15}, {invariant.IDsUnique, 15}}, detail: "ledger sequence 14 does not follow 14",
		},
		{
			name: "negative agent balance",
			evs:  extended(t, func(b *streamtest.Builder) { b.Transfer("alice", "bob", 10000) }),
			want: []at{{conserved, 17}}, detail: `balance of "alice" is -45.75, below zero`,
		},
		{
			name: "unknown account",
			evs:  extended(t, func(b *streamtest.Builder) { b.Transfer("alice", "ghost", 100) }),
			want: []at{{conserved, 17}}, detail: `to account "ghost" was never opened`,
		},
		{
			name: "double capture",
			evs:  extended(t, func(b *streamtest.Builder) { b.Capture("h4", "market", 2550) }),
			want: []at{{conserved, 17}}, detail: `hold "h4" captured but already captured`,
		},
		{
			name: "release after capture",
			evs:  extended(t, func(b *streamtest.Builder) { b.Release("h4") }),
			want: []at{{conserved, 17}}, detail: `hold "h4" released but already captured`,
		},
		{
			name: "capture of an unknown hold",
			evs:  edit(valid, 9, func(p *events.HoldCaptured) { p.HoldID = "h-none" }),
			// Nothing closes the hold, so alice's pending differs too.
			want: []at{{conserved, 9}, {conserved, 9}}, detail: `hold "h-none" captured but never placed`,
		},
		{
			name: "capture does not add up to the hold",
			evs:  edit(valid, 9, func(p *events.HoldCaptured) { p.Released = "5" }),
			want: []at{{conserved, 9}}, detail: `hold "h4" held 30.00 but captures 25.50 and releases 5`,
		},
		{
			name: "release of part of a hold",
			evs:  edit(valid, 12, func(p *events.HoldReleased) { p.Amount = "9.99" }),
			want: []at{{conserved, 12}}, detail: `hold "h8" held 10.00 but releases 9.99`,
		},
		{
			name: "hold above balance",
			evs:  extended(t, func(b *streamtest.Builder) { b.Hold("bob", 100000) }),
			want: []at{{conserved, 17}}, detail: `"bob" holds 1000.00, more than its balance 53.75`,
		},
		{
			name: "hold placed twice",
			evs:  edit(valid, 11, func(p *events.HoldPlaced) { p.HoldID = "h4" }),
			// The hold is not placed, so bob's pending differs, and the
			// release closes a hold never placed.
			want: []at{{conserved, 11}, {conserved, 11}, {conserved, 12}, {conserved, 12}}, detail: `hold "h4" placed twice`,
		},
		{
			name: "zero amount",
			evs:  extended(t, func(b *streamtest.Builder) { b.Transfer("alice", "bob", 0) }),
			want: []at{{conserved, 17}}, detail: "amount 0.00 is not positive",
		},
		{
			name: "malformed amount",
			evs:  edit(valid, 7, func(p *events.CreditsTransferred) { p.Amount = "twenty" }),
			want: []at{{conserved, 7}, {conserved, 7}, {conserved, 7}}, detail: `amount "twenty" is not a decimal`,
		},
		{
			name: "missing balance",
			evs:  edit(valid, 7, func(p *events.CreditsTransferred) { p.FromBalance = "" }),
			want: []at{{conserved, 7}}, detail: "from_balance is missing",
		},
		{
			name: "wrong pending",
			evs:  edit(valid, 8, func(p *events.HoldPlaced) { p.Pending = "3" }),
			// The capture then reports the pending the replay gives.
			want: []at{{conserved, 8}, {conserved, 9}}, detail: `pending of "alice" is 3, the replay gives 30.00`,
		},
		{
			name: "wrong available",
			evs:  edit(valid, 14, func(p *events.BalanceQueried) { p.Available = "54.26" }),
			want: []at{{conserved, 14}}, detail: `available of "alice" is 54.26, the replay gives 54.25`,
		},
		{
			name: "account opened without an id",
			evs:  extended(t, func(b *streamtest.Builder) { b.Open("", "agent", false) }),
			want: []at{{conserved, 17}}, detail: "account_id is missing",
		},
		{
			name: "account opened twice",
			evs:  extended(t, func(b *streamtest.Builder) { b.Open("alice", "agent", true) }),
			want: []at{{conserved, 17}}, detail: `account "alice" opened twice`,
		},
		{
			name: "transfer id used twice",
			evs:  edit(valid, 15, func(p *events.CreditsTransferred) { p.TransferID = "t3" }),
			want: []at{{conserved, 15}, {paid, 16}}, detail: `transfer "t3" moved credits twice`,
		},
		{
			name: "credits created from nothing",
			evs: edit(valid, 6, func(p *events.CreditsMinted) {
				p.FromBalance = "-100.00" // the mint reports only alice's credits as issued
			}),
			want: []at{{conserved, 6}, {conserved, 6}}, detail: `from_balance of "mint" is -100.00, the replay gives -150.50`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := invariant.Check(tt.evs)
			if !errors.Is(err, invariant.ErrViolation) {
				t.Fatalf("Check = %v, want a violation", err)
			}
			vs := found(t, err)
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = w.check + " @ " + tt.evs[w.index].ID
			}
			got := make([]string, len(vs))
			for i, v := range vs {
				got[i] = v.Check + " @ " + v.EventID
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s\n%v", diff, err)
			}
			if !strings.Contains(vs[0].Detail, tt.detail) {
				t.Errorf("first detail = %q, want it to contain %q", vs[0].Detail, tt.detail)
			}
			// The check named by each violation reports it on its own.
			for _, check := range []struct {
				name string
				run  func([]events.Event) error
			}{
				{invariant.CreditsConserved, invariant.CheckConservation},
				{invariant.AllocationsPaid, invariant.CheckAllocationsPaid},
				{invariant.SequencesGapFree, invariant.CheckSequences},
			} {
				var own []*invariant.Violation
				for _, v := range vs {
					if v.Check == check.name {
						own = append(own, v)
					}
				}
				if diff := cmp.Diff(own, found(t, check.run(tt.evs))); diff != "" {
					t.Errorf("%s alone (-want +got):\n%s", check.name, diff)
				}
			}
		})
	}
}

func TestCreditsCreatedFromNothingBreakTheSum(t *testing.T) {
	// The mint reports having issued only 100 credits where it issued 150.50:
	// 50.50 credits exist that no account paid for.
	evs := edit(streamtest.ValidStream(t).Events(), 6, func(p *events.CreditsMinted) { p.FromBalance = "-100.00" })
	var got []string
	for _, v := range found(t, invariant.CheckConservation(evs)) {
		got = append(got, v.Detail)
	}
	want := []string{
		`from_balance of "mint" is -100.00, the replay gives -150.50`,
		"posted balances sum to 50.50, not zero",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}

func TestStreamsOfSeveralRunsAreIndependent(t *testing.T) {
	run1 := streamtest.ValidStream(t).Events()
	b := streamtest.NewBuilder(t, "run-2")
	b.Open("mint", "mint", true)
	b.Open("alice", "agent", false)
	b.Mint("alice", 100)
	b.Transfer("alice", "mint", 100)
	run2 := b.Events()
	// Interleave the runs; each keeps its own sequences and accounts.
	var evs []events.Event
	for i := range max(len(run1), len(run2)) {
		if i < len(run1) {
			evs = append(evs, run1[i])
		}
		if i < len(run2) {
			evs = append(evs, run2[i])
		}
	}
	if err := invariant.Check(evs); err != nil {
		t.Fatalf("two valid runs: %v", err)
	}
	// The same payment id in another run pays nothing here.
	other := streamtest.NewBuilder(t, "run-3")
	other.Allocate("alice", 2550, 3000, "t5")
	if err := invariant.CheckAllocationsPaid(append(evs, other.Events()...)); err == nil {
		t.Error("an allocation was paid by a payment of another run")
	}
}

func TestCheckIgnoresOtherSourcesAndTypes(t *testing.T) {
	evs := streamtest.ValidStream(t).Events()
	s := events.NewSequencer(events.SourceScheduler, "run-1", 0)
	agent := events.NewSequencer(events.SourceAgent, "run-1", 0)
	b := s.Batch(evs[len(evs)-1].Time)
	b.Add("alice", events.AgentAwake{AgentID: "alice"})
	// A ledger-typed event from another source is not the ledger's.
	b.Add("alice", events.CreditsTransferred{Movement: events.Movement{From: "x", To: "y", Amount: "-1"}})
	a := agent.Batch(evs[len(evs)-1].Time)
	a.Add("alice", events.Raw{Type: events.TypeReflection, JSON: []byte(`{"text":"hm"}`)})
	evs = append(evs, b.Events()...)
	evs = append(evs, a.Events()...)
	if err := invariant.Check(evs); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestCheckAcceptsPointerPayloads(t *testing.T) {
	evs := streamtest.ValidStream(t).Events()
	for i, e := range evs {
		switch p := e.Data.(type) {
		case events.CreditsTransferred:
			evs[i].Data = &p
		case events.HoldCaptured:
			evs[i].Data = &p
		case events.ResourcesAllocated:
			evs[i].Data = &p
		}
	}
	if err := invariant.Check(evs); err != nil {
		t.Fatalf("Check with pointer payloads: %v", err)
	}
	evs = edit(evs, 7, func(p **events.CreditsTransferred) {
		c := **p
		c.Amount = "1"
		*p = &c
	})
	if err := invariant.CheckConservation(evs); err == nil {
		t.Error("a wrong amount behind a pointer was not caught")
	}
}

func TestNumericEquality(t *testing.T) {
	evs := streamtest.ValidStream(t).Events()
	// "25.5" is the amount the payment moved ("25.50"), written otherwise.
	evs = edit(evs, 10, func(p *events.ResourcesAllocated) { p.Amount = "25.5" })
	evs = edit(evs, 7, func(p *events.CreditsTransferred) { p.FromBalance = "79.750000" })
	if err := invariant.Check(evs); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestAmountsBeyondExactPrecisionAreReported(t *testing.T) {
	b := streamtest.NewLedger(t, "alice")
	evs := b.Events()
	s := events.NewSequencer(events.SourceLedger, "run-1", uint64(len(evs)))
	batch := s.Batch(evs[len(evs)-1].Time)
	huge := events.Decimal("1" + strings.Repeat("0", 40) + ".5")
	batch.Add("alice", events.CreditsMinted{Movement: events.Movement{
		TransferID: "t-huge", From: "mint", To: "alice", Amount: huge, FromBalance: "-" + huge, ToBalance: huge,
	}})
	vs := found(t, invariant.CheckConservation(append(evs, batch.Events()...)))
	if len(vs) == 0 || !strings.Contains(vs[0].Detail, "not exact") {
		t.Errorf("violations = %v, want the inexact sum reported", vs)
	}
}

func TestViolation(t *testing.T) {
	v := &invariant.Violation{Check: invariant.CreditsConserved, EventID: "e-7", Detail: "balance of \"a\" is -1, below zero"}
	if got, want := v.Error(), `benchkit: credits_conserved violated at event e-7: balance of "a" is -1, below zero`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(v, invariant.ErrViolation) {
		t.Error("a Violation is not ErrViolation")
	}
	wrapped := fmt.Errorf("run 3: %w", errors.Join(errors.New("other"), v))
	var got *invariant.Violation
	if !errors.As(wrapped, &got) || got != v {
		t.Errorf("errors.As found %v", got)
	}
	if !errors.Is(wrapped, invariant.ErrViolation) {
		t.Error("a wrapped Violation is not ErrViolation")
	}
}

func TestCheckToleratesEventsWithoutData(t *testing.T) {
	evs := streamtest.ValidStream(t).Events()
	noData := evs[5]
	noData.Data = nil
	nilPointer := evs[7]
	nilPointer.Data = (*events.CreditsTransferred)(nil)
	nilAllocation := evs[10]
	nilAllocation.Data = (*events.ResourcesAllocated)(nil)
	evs[5], evs[7], evs[10] = noData, nilPointer, nilAllocation
	// The events without data are skipped: the replay then differs from
	// what the later events report, but nothing panics.
	if err := invariant.Check(evs); !errors.Is(err, invariant.ErrViolation) {
		t.Errorf("Check = %v, want violations", err)
	}
}

// found returns the violations in err, in order.
func found(tb testing.TB, err error) []*invariant.Violation {
	tb.Helper()
	if err == nil {
		return nil
	}
	if !errors.Is(err, invariant.ErrViolation) {
		tb.Fatalf("error %v does not wrap ErrViolation", err)
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]*invariant.Violation, len(errs))
	for i, e := range errs {
		v, ok := e.(*invariant.Violation)
		if !ok {
			tb.Fatalf("joined error %T %v is not a *Violation", e, e)
		}
		out[i] = v
	}
	return out
}
