package sched

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/ledger"
)

// leaseFixture is a scheduler whose leases settle in a real ledger on the
// same mock clock. Agent alice has 100 credits.
type leaseFixture struct {
	*fixture
	l       *ledger.Ledger
	settler *flakySettler
}

// flakySettler passes settlements to a ledger unless fail is set.
type flakySettler struct {
	fail atomic.Bool
	l    *ledger.Ledger
}

var errSettle = errors.New("test: ledger down")

func (f *flakySettler) Capture(ctx context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string) error {
	if f.fail.Load() {
		return errSettle
	}
	return f.l.Capture(ctx, holdID, transferID, to, amount, reason)
}

func (f *flakySettler) Release(ctx context.Context, holdID, reason string) error {
	if f.fail.Load() {
		return errSettle
	}
	return f.l.Release(ctx, holdID, reason)
}

func newLeaseFixture(t *testing.T) *leaseFixture {
	t.Helper()
	ctx := context.Background()
	lf := &leaseFixture{}
	lf.fixture = newFixture(t, Options{})
	l, err := ledger.New(ctx, ledger.Options{Clock: lf.clk})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"alice", "operator"} {
		if err := l.Open(ctx, id, ledger.KindAgent); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Mint(ctx, "grant", "alice", apd.New(100, 0), ""); err != nil {
		t.Fatal(err)
	}
	lf.l, lf.settler = l, &flakySettler{l: l}
	lf.s.settler = lf.settler
	return lf
}

// lease books a cpu bundle for alice over [startSec, +durSec) paid by a
// hold of amount.
func (lf *leaseFixture) lease(t *testing.T, id string, startSec, durSec int, amount string) {
	t.Helper()
	ctx := context.Background()
	a, _, err := apd.NewFromString(amount)
	if err != nil {
		t.Fatal(err)
	}
	if err := lf.l.Hold(ctx, "hold/"+id, "alice", a); err != nil {
		t.Fatal(err)
	}
	lease := Lease{HoldID: "hold/" + id, Amount: a, Payee: "operator", Scale: 6}
	b := mkBundle(bundle.Quantities{"cpu": 10}, startSec, durSec)
	if err := lf.s.ScheduleLeased(ctx, id, "alice", "order-"+id, b, lease); err != nil {
		t.Fatalf("ScheduleLeased(%s): %v", id, err)
	}
}

// paid returns what alice and the operator hold, posted, and alice's
// pending credits.
func (lf *leaseFixture) paid(t *testing.T) (alice, operator, pending string) {
	t.Helper()
	a, err := lf.l.Balance("alice")
	if err != nil {
		t.Fatal(err)
	}
	o, err := lf.l.Balance("operator")
	if err != nil {
		t.Fatal(err)
	}
	return a.Posted.Text('f'), o.Posted.Text('f'), a.Pending.Text('f')
}

func TestLeasePaysInFullAtExpiry(t *testing.T) {
	lf := newLeaseFixture(t)
	lf.lease(t, "b1", 0, 60, "30")
	lf.at(60)
	if err := lf.s.Advance(context.Background()); err != nil {
		t.Fatal(err)
	}
	alice, op, pending := lf.paid(t)
	if alice != "70" || op != "30" || pending != "0" {
		t.Errorf("after expiry: alice %s, operator %s, pending %s; want 70, 30, 0", alice, op, pending)
	}
	if diff := cmp.Diff([]terminateCall{{"alice", ReasonExpired}}, lf.exec.Calls()); diff != "" {
		t.Errorf("executor calls at expiry (-want +got):\n%s", diff)
	}
}

func TestLeaseRefundsUnusedTimeProRata(t *testing.T) {
	for _, tt := range []struct {
		name          string
		releaseAt     int
		alice, op     string
		unused, total int64
	}{
		{"a quarter used", 15, "85", "15", 45, 60},
		{"before it starts", -10, "100", "0", 60, 60},
		{"at its start", 0, "100", "0", 60, 60},
		{"all but a second", 59, "41", "59", 1, 60},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lf := newLeaseFixture(t)
			lf.at(-20)
			lf.lease(t, "b1", 0, 60, "60")
			lf.at(tt.releaseAt)
			unused, total, err := lf.s.Release(context.Background(), "b1")
			if err != nil || unused != tt.unused || total != tt.total {
				t.Fatalf("Release = %d, %d, %v; want %d, %d, nil", unused, total, err, tt.unused, tt.total)
			}
			alice, op, pending := lf.paid(t)
			if alice != tt.alice || op != tt.op || pending != "0" {
				t.Errorf("alice %s, operator %s, pending %s; want %s, %s, 0", alice, op, pending, tt.alice, tt.op)
			}
		})
	}
}

func TestLeaseRoundsThePaymentDown(t *testing.T) {
	lf := newLeaseFixture(t)
	lf.lease(t, "b1", 0, 3, "1")
	lf.at(1)
	if _, _, err := lf.s.Release(context.Background(), "b1"); err != nil {
		t.Fatal(err)
	}
	if alice, op, _ := lf.paid(t); alice != "99.666667" || op != "0.333333" {
		t.Errorf("a third of 1: alice %s, operator %s; want 99.666667 and 0.333333", alice, op)
	}
}

func TestLeaseOfTerminatedAgentPaysTimeUsed(t *testing.T) {
	lf := newLeaseFixture(t)
	lf.lease(t, "b1", 0, 100, "50")
	lf.lease(t, "b2", 50, 100, "20") // not started: fully refunded
	lf.at(40)
	err := lf.s.Report(context.Background(), "alice", "cpu", 11)
	if !errors.Is(err, ErrTerminated) {
		t.Fatalf("Report over the envelope = %v, want ErrTerminated", err)
	}
	if alice, op, pending := lf.paid(t); alice != "80" || op != "20" || pending != "0" {
		t.Errorf("alice %s, operator %s, pending %s; want 80, 20, 0", alice, op, pending)
	}
}

func TestLeaseSettlementRetriedAfterFailure(t *testing.T) {
	lf := newLeaseFixture(t)
	lf.lease(t, "b1", 0, 60, "60")
	lf.at(30)
	lf.settler.fail.Store(true)
	_, _, err := lf.s.Release(context.Background(), "b1")
	if !errors.Is(err, ErrSettlementPending) {
		t.Fatalf("Release with the ledger down = %v, want ErrSettlementPending", err)
	}
	if info, _ := lf.s.Bundle("b1"); info.State != Released || lf.s.Unsettled() != 1 {
		t.Fatalf("bundle %s with %d unsettled; want released with 1", info.State, lf.s.Unsettled())
	}
	if err := lf.s.Advance(context.Background()); !errors.Is(err, ErrSettlementPending) {
		t.Fatalf("Advance with the ledger still down = %v, want ErrSettlementPending", err)
	}
	lf.settler.fail.Store(false)
	lf.at(45) // later: the payment is still for the 30 s used
	if err := lf.s.Advance(context.Background()); err != nil {
		t.Fatalf("Advance = %v", err)
	}
	if alice, op, _ := lf.paid(t); alice != "70" || op != "30" || lf.s.Unsettled() != 0 {
		t.Errorf("after the retry: alice %s, operator %s, %d unsettled; want 70, 30, 0", alice, op, lf.s.Unsettled())
	}
}

func TestScheduleLeasedValidates(t *testing.T) {
	ctx := context.Background()
	b := mkBundle(bundle.Quantities{"cpu": 1}, 0, 60)
	f := newFixture(t, Options{})
	ok := Lease{HoldID: "h", Amount: apd.New(1, 0), Payee: "op", Scale: 6}
	if err := f.s.ScheduleLeased(ctx, "b", "a", "", b, ok); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("without a Settler: %v, want ErrInvalidOptions", err)
	}
	lf := newLeaseFixture(t)
	for name, change := range map[string]func(*Lease){
		"no hold":         func(l *Lease) { l.HoldID = "" },
		"no payee":        func(l *Lease) { l.Payee = "" },
		"no amount":       func(l *Lease) { l.Amount = nil },
		"negative amount": func(l *Lease) { l.Amount = apd.New(-1, 0) },
		"bad scale":       func(l *Lease) { l.Scale = -1 },
	} {
		l := ok
		change(&l)
		if err := lf.s.ScheduleLeased(ctx, "b-"+name, "alice", "", b, l); !errors.Is(err, ErrInvalidLease) {
			t.Errorf("%s: %v, want ErrInvalidLease", name, err)
		}
	}
}

func TestExpiryStopsOnlyDormantAgents(t *testing.T) {
	f := newFixture(t, Options{})
	f.schedule(t, "short", "alice", bundle.Quantities{"cpu": 1}, 0, 10)
	f.schedule(t, "long", "alice", bundle.Quantities{"cpu": 1}, 0, 20)
	f.schedule(t, "bob", "bob", bundle.Quantities{"cpu": 1}, 0, 10)
	f.at(10)
	if err := f.s.Advance(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]terminateCall{{"bob", ReasonExpired}}, f.exec.Calls()); diff != "" {
		t.Errorf("at 10 s (-want +got):\n%s", diff)
	}
	f.at(20)
	if err := f.s.Advance(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.exec.Calls(); len(got) != 2 || got[1] != (terminateCall{"alice", ReasonExpired}) {
		t.Errorf("at 20 s: calls %v, want alice stopped second", got)
	}
}

func TestAftermath(t *testing.T) {
	pending := fmt.Errorf("%w: bundle %q: %w", ErrSettlementPending, "b", errSettle)
	stop := fmt.Errorf("%w: %q at expiry: %w", ErrStopFailed, "a", errExecutor)
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"pending", pending, true},
		{"stop", stop, true},
		{"both joined", errors.Join(pending, stop), true},
		{"joined with nil", errors.Join(nil, pending), true},
		{"wrapped", fmt.Errorf("market: %w", pending), true},
		{"publish", errPublish, false},
		{"pending and publish", errors.Join(pending, errPublish), false},
		{"an aftermath joined with publish", Join(Join(pending), errPublish), false},
		{"two aftermaths joined", Join(Join(pending), Join(stop)), true},
		{"an aftermath wrapped", fmt.Errorf("market: %w", Join(pending)), true},
		{"the cause alone", errSettle, false},
	} {
		if got := errors.Is(Join(tt.err), ErrAftermath); got != tt.want {
			t.Errorf("%s: errors.Is(Join(%v), ErrAftermath) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	if Join(nil, nil) != nil {
		t.Error("Join of nils is not nil")
	}
}
