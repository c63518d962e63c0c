package sched

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/ledger"
	"pgregory.net/rapid"
)

// leaseModel pays the machine's bundles through a real ledger and keeps,
// independently of the scheduler, what each must have paid: in full at
// expiry, pro rata for the whole seconds used when released or
// terminated, rounded down to leaseScale places.
type leaseModel struct {
	l      *ledger.Ledger
	holds  int                 // holds placed, for unique ids
	amount map[string]*big.Rat // lease amount per bundle id
	paid   *big.Rat            // what the operator must have received
	s      *Scheduler          // the machine's scheduler
}

// leaseScale is the scale of the machine's leases.
const leaseScale = 2

func newLeaseModel(tb testing.TB, f *fixture) *leaseModel {
	tb.Helper()
	ctx := context.Background()
	l, err := ledger.New(ctx, ledger.Options{Clock: f.clk, Scale: leaseScale})
	if err != nil {
		tb.Fatal(err)
	}
	m := &leaseModel{l: l, amount: map[string]*big.Rat{}, paid: new(big.Rat), s: f.s}
	for _, id := range []string{"operator", "a0", "a1", "a2"} {
		if err := l.Open(ctx, id, ledger.KindAgent); err != nil {
			tb.Fatal(err)
		}
		if id != "operator" {
			if err := l.Mint(ctx, "grant/"+id, id, apd.New(1_000_000, 0), ""); err != nil {
				tb.Fatal(err)
			}
		}
	}
	f.s.settler = l
	return m
}

// schedule places a lease hold of a drawn amount for agent and schedules b
// as bundle id paid by it; if scheduling fails, the hold is released, as a
// market does.
func (m *leaseModel) schedule(t *rapid.T, id, agent string, b bundle.Bundle) error {
	cents := rapid.Int64Range(1, 100_000).Draw(t, "lease cents")
	amount := apd.New(cents, -leaseScale)
	m.holds++
	holdID := fmt.Sprintf("hold/%s/%d", id, m.holds)
	if err := m.l.Hold(t.Context(), holdID, agent, amount); err != nil {
		t.Fatalf("Hold: %v", err)
	}
	lease := Lease{HoldID: holdID, Amount: amount, Payee: "operator", Scale: leaseScale}
	if err := m.s.ScheduleLeased(t.Context(), id, agent, "", b, lease); err != nil {
		if rerr := m.l.Release(t.Context(), holdID, "not scheduled"); rerr != nil {
			t.Fatalf("Release of an unscheduled lease: %v", rerr)
		}
		return err
	}
	m.amount[id] = big.NewRat(cents, 100)
	return nil
}

// holdOpen reports whether the model's ledger has hold id open.
func (m *leaseModel) holdOpen(id string) bool {
	_, open := m.l.HoldAmount(id)
	return open
}

// states returns the states of ids before an operation.
func (m *leaseModel) states(s *Scheduler, ids []string) map[string]State {
	out := make(map[string]State, len(ids))
	for _, id := range ids {
		in, _ := s.Bundle(id)
		out[id] = in.State
	}
	return out
}

// ended adds to the model's payments what the bundles that an operation
// ended at the clock's now must have paid.
func (m *leaseModel) ended(t *rapid.T, f *fixture, before map[string]State) {
	now := f.clk.Now()
	for id, was := range before {
		in, _ := f.s.Bundle(id)
		if !was.held() || in.State.held() {
			continue
		}
		w := in.Bundle.Window
		used := w.Duration
		if in.State != Expired {
			used = min(max(now.Sub(w.Start), 0), w.Duration)
		}
		share := new(big.Rat).Mul(m.amount[id], big.NewRat(int64(used/time.Second), w.Seconds()))
		m.paid.Add(m.paid, floorTo(share, leaseScale))
	}
}

// floorTo rounds the non-negative x down to places decimal places.
func floorTo(x *big.Rat, places int) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	n := new(big.Int).Mul(x.Num(), scale)
	n.Quo(n, x.Denom())
	return new(big.Rat).SetFrac(n, scale)
}

// check verifies that credits are conserved, that the operator received
// exactly what the ended bundles owed, and that each agent has exactly the
// leases of its held bundles pending.
func (m *leaseModel) check(t *rapid.T, s *Scheduler, ids []string) {
	if sum := m.l.Sum(); !sum.IsZero() {
		t.Fatalf("the ledger's balances add up to %s", sum)
	}
	if n := s.Unsettled(); n != 0 {
		t.Fatalf("%d settlements pending with a working ledger", n)
	}
	if got := rat(t, m.balance(t, "operator").Posted); got.Cmp(m.paid) != 0 {
		t.Fatalf("operator received %s, the model says %s", got.FloatString(leaseScale), m.paid.FloatString(leaseScale))
	}
	pending := map[string]*big.Rat{"a0": new(big.Rat), "a1": new(big.Rat), "a2": new(big.Rat)}
	for _, id := range ids {
		if in, _ := s.Bundle(id); in.State.held() {
			pending[in.Agent].Add(pending[in.Agent], m.amount[id])
		}
	}
	for agent, want := range pending {
		if got := rat(t, m.balance(t, agent).Pending); got.Cmp(want) != 0 {
			t.Fatalf("%s has %s pending, its held leases %s", agent, got.FloatString(leaseScale), want.FloatString(leaseScale))
		}
	}
}

func (m *leaseModel) balance(t *rapid.T, id string) ledger.Balance {
	b, err := m.l.Balance(id)
	if err != nil {
		t.Fatalf("Balance(%s): %v", id, err)
	}
	return b
}

// rat returns d as a rational.
func rat(t *rapid.T, d *apd.Decimal) *big.Rat {
	r, ok := new(big.Rat).SetString(d.Text('f'))
	if !ok {
		t.Fatalf("decimal %s", d.Text('f'))
	}
	return r
}
