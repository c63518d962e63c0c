package sched_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

// A bundle's life, paid by lease: the agent's credits are held while the
// bundle runs; released after a quarter of its window, the bundle pays a
// quarter and the rest returns to the agent.
func ExampleScheduler_ScheduleLeased() {
	ctx := context.Background()
	clk := clock.NewMock()
	clk.Set(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC))
	l, err := ledger.New(ctx, ledger.Options{Clock: clk})
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"operator", "agent-7"} {
		if err := l.Open(ctx, id, ledger.KindAgent); err != nil {
			panic(err)
		}
	}
	if err := l.Mint(ctx, "grant", "agent-7", apd.New(100, 0), ""); err != nil {
		panic(err)
	}
	catalog, err := bundle.NewCatalog(bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel})
	if err != nil {
		panic(err)
	}
	s, err := sched.New(catalog, sched.Options{Clock: clk, Settler: l})
	if err != nil {
		panic(err)
	}

	// 40 credits for half the CPU over the next hour, held until it ends.
	if err := l.Hold(ctx, "lease-1", "agent-7", apd.New(40, 0)); err != nil {
		panic(err)
	}
	b := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 50}, Window: bundle.Window{Start: clk.Now(), Duration: time.Hour}}
	lease := sched.Lease{HoldID: "lease-1", Amount: apd.New(40, 0), Payee: "operator", Scale: 6}
	if err := s.ScheduleLeased(ctx, "bundle-1", "agent-7", "order-1", b, lease); err != nil {
		panic(err)
	}
	show := func(when string) {
		a, _ := l.Balance("agent-7")
		op, _ := l.Balance("operator")
		fmt.Printf("%s: agent %s (%s held), operator %s\n", when, a.Posted.Text('f'), a.Pending.Text('f'), op.Posted.Text('f'))
	}
	show("running")

	clk.Add(15 * time.Minute)
	unused, total, err := s.Release(ctx, "bundle-1")
	if err != nil {
		panic(err)
	}
	fmt.Printf("released with %d of %d seconds unused\n", unused, total)
	show("released")
	// Output:
	// running: agent 100 (40 held), operator 0
	// released with 2700 of 3600 seconds unused
	// released: agent 90 (0 held), operator 10
}
