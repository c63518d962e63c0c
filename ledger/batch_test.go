package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

// countingPublisher counts the Publish calls that reach the log.
type countingPublisher struct {
	log   *events.Log
	calls int
	fail  error
}

func (p *countingPublisher) Publish(ctx context.Context, evs ...events.Event) error {
	p.calls++
	if p.fail != nil {
		return p.fail
	}
	return p.log.Publish(ctx, evs...)
}

// counting makes f's ledger publish through a countingPublisher.
func (f *fixture) counting() *countingPublisher {
	p := &countingPublisher{log: f.log}
	f.l.pub = p
	return p
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	p := f.counting()
	before := f.log.Len()
	err := f.l.Apply(ctx,
		MintOp{TransferID: "m1", To: "bob", Amount: dec(t, "50"), Reason: "grant"},
		TransferOp{TransferID: "t1", From: "bob", To: "esc", Amount: dec(t, "40")},
		HoldOp{HoldID: "lease", Account: "esc", Amount: dec(t, "40"), Timeout: time.Hour},
		CaptureOp{HoldID: "lease", TransferID: "tick-1", To: "op", Amount: dec(t, "5"), Partial: true},
		CaptureOp{HoldID: "lease", TransferID: "tick-2", To: "op", Amount: dec(t, "5"), Partial: true},
		ReleaseOp{HoldID: "lease", Reason: "done"},
		BurnOp{TransferID: "b1", From: "op", Amount: dec(t, "1")},
		CaptureOp{HoldID: "h0", TransferID: "c1", To: "bob", Amount: dec(t, "30")},
	)
	must(t, err)
	if p.calls != 1 {
		t.Errorf("Apply published %d times, want once", p.calls)
	}
	var types []events.Type
	for _, e := range f.eventsAfter(before) {
		types = append(types, e.Type)
	}
	want := []events.Type{
		events.TypeCreditsMinted, events.TypeCreditsTransferred, events.TypeHoldPlaced, events.TypeHoldCaptured,
		events.TypeHoldCaptured, events.TypeHoldReleased, events.TypeCreditsBurned, events.TypeHoldCaptured,
	}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	rows := map[string]balanceRow{
		"alice": {"70", "0", "70"}, "bob": {"40", "0", "40"}, "esc": {"30", "0", "30"}, "op": {"9", "0", "9"},
	}
	if diff := cmp.Diff(rows, f.rows(t, "alice", "bob", "esc", "op")); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
	if _, ok := f.l.NextExpiry(); ok {
		t.Error("the released lease still has a deadline")
	}
	// Retrying the whole batch does nothing.
	st := f.state()
	must(t, f.l.Apply(ctx,
		MintOp{TransferID: "m1", To: "bob", Amount: dec(t, "50"), Reason: "grant"},
		CaptureOp{HoldID: "lease", TransferID: "tick-1", To: "op", Amount: dec(t, "5"), Partial: true},
		ReleaseOp{HoldID: "lease", Reason: "done"},
	))
	f.assertUnchanged(t, st)
	f.l.pub = f.log
	r, err := Restore(context.Background(), f.replayOpts(), roundTrip(t, f.log.Events(0)))
	must(t, err)
	assertSameLedger(t, f.l, r, "h0", "lease")
}

func TestApplyRejectedChangesNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		ops   []Op
		index int
		want  error
	}{
		{"bad amount first", []Op{TransferOp{TransferID: "t1", From: "alice", To: "bob", Amount: dec(t, "0")}}, 0, ErrInvalidAmount},
		{"overdraft after earlier ops", []Op{
			TransferOp{TransferID: "t1", From: "alice", To: "bob", Amount: dec(t, "60")},
			TransferOp{TransferID: "t2", From: "alice", To: "esc", Amount: dec(t, "10.000001")},
		}, 1, ErrInsufficientCredit},
		{"capture beyond a hold placed in the batch", []Op{
			MintOp{TransferID: "m1", To: "bob", Amount: dec(t, "5")},
			HoldOp{HoldID: "h1", Account: "bob", Amount: dec(t, "5"), Timeout: time.Minute},
			CaptureOp{HoldID: "h1", TransferID: "c1", To: "op", Amount: dec(t, "2"), Partial: true},
			CaptureOp{HoldID: "h1", TransferID: "c2", To: "op", Amount: dec(t, "3.5")},
		}, 3, ErrCaptureExceedsHold},
		{"release of a hold captured in the batch", []Op{
			CaptureOp{HoldID: "h0", TransferID: "c1", To: "bob", Amount: dec(t, "1")},
			ReleaseOp{HoldID: "h0"},
		}, 1, ErrUnknownHold},
		{"hold id reused with other fields", []Op{
			HoldOp{HoldID: "h1", Account: "alice", Amount: dec(t, "1")},
			HoldOp{HoldID: "h1", Account: "alice", Amount: dec(t, "2")},
		}, 1, ErrExistsWithDifferentFields},
		{"transfer id reused with other fields", []Op{
			TransferOp{TransferID: "t1", From: "alice", To: "bob", Amount: dec(t, "1")},
			BurnOp{TransferID: "t1", From: "alice", Amount: dec(t, "1")},
		}, 1, ErrExistsWithDifferentFields},
		{"unknown account last", []Op{
			ReleaseOp{HoldID: "h0", Reason: "x"},
			MintOp{TransferID: "m1", To: "alice", Amount: dec(t, "1")},
			MintOp{TransferID: "m2", To: "carol", Amount: dec(t, "1")},
		}, 2, ErrUnknownAccount},
		{"negative timeout", []Op{HoldOp{HoldID: "h1", Account: "alice", Amount: dec(t, "1"), Timeout: -1}}, 0, ErrInvalidTimeout},
		{"nil op", []Op{ReleaseOp{HoldID: "h0"}, nil}, 1, ErrInvalidBatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A short history, so that a rejected batch must restore
			// overwritten entries too.
			f := newFixture(t, Options{Correlation: "run-1", MaxHistory: 2})
			must(t, f.l.Open(ctx, "alice", KindAgent))
			must(t, f.l.Open(ctx, "bob", KindAgent))
			must(t, f.l.Open(ctx, "esc", KindEscrow))
			must(t, f.l.Open(ctx, "op", KindOperator))
			must(t, f.l.Mint(ctx, "t0", "alice", dec(t, "100"), "grant"))
			must(t, f.l.HoldWithTimeout(ctx, "h0", "alice", dec(t, "30"), time.Minute))
			must(t, f.l.Transfer(ctx, "t9", "alice", "bob", dec(t, "1"), ""))
			p := f.counting()
			before := f.state()
			err := f.l.Apply(ctx, tt.ops...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var be *BatchError
			if !errors.As(err, &be) || be.Index != tt.index {
				t.Fatalf("err = %#v, want a *BatchError at %d", err, tt.index)
			}
			f.assertUnchanged(t, before)
			if p.calls != 0 {
				t.Errorf("a rejected batch published %d times", p.calls)
			}
			f.l.pub = f.log
			r, err := Restore(context.Background(), f.replayOpts(), f.log.Events(0))
			must(t, err)
			assertSameLedger(t, f.l, r, "h0", "h1")
		})
	}
}

func TestApplyFailedPublishChangesNothing(t *testing.T) {
	ctx := context.Background()
	f := standard(t)
	must(t, f.l.HoldWithTimeout(ctx, "h1", "alice", dec(t, "10"), time.Hour))
	ops := []Op{
		HoldOp{HoldID: "h2", Account: "alice", Amount: dec(t, "5"), Timeout: time.Minute},
		CaptureOp{HoldID: "h1", TransferID: "c1", To: "bob", Amount: dec(t, "4"), Partial: true},
		ReleaseOp{HoldID: "h1", Reason: "done"},
		CaptureOp{HoldID: "h0", TransferID: "c2", To: "bob", Amount: dec(t, "30")},
		TransferOp{TransferID: "t1", From: "bob", To: "esc", Amount: dec(t, "34")},
	}
	p := f.counting()
	p.fail = errors.New("stream down")
	before := f.state()
	if err := f.l.Apply(ctx, ops...); !errors.Is(err, p.fail) {
		t.Fatalf("Apply = %v, want %v", err, p.fail)
	}
	f.assertUnchanged(t, before)
	p.fail = nil
	must(t, f.l.Apply(ctx, ops...))
	if diff := cmp.Diff(map[string]balanceRow{"alice": {"66", "5", "61"}, "esc": {"34", "0", "34"}}, f.rows(t, "alice", "esc")); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
	if next, _ := f.l.NextExpiry(); !next.Equal(f.clock.Now().Add(time.Minute)) {
		t.Errorf("NextExpiry() = %v, want the batch's hold", next)
	}
}

func TestApplyLimits(t *testing.T) {
	f := standard(t)
	before := f.state()
	must(t, f.l.Apply(context.Background()))
	ops := make([]Op, MaxBatchOps+1)
	for i := range ops {
		ops[i] = ReleaseOp{HoldID: "h0"}
	}
	if err := f.l.Apply(context.Background(), ops...); !errors.Is(err, ErrInvalidBatch) {
		t.Errorf("Apply(%d ops) = %v, want %v", len(ops), err, ErrInvalidBatch)
	}
	f.assertUnchanged(t, before)
}
