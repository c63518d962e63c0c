package scarcity_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Two agents bid for more CPU than there is; the higher bid wins, the price
// rises above the reserve, and the stream passes the invariant checks.
func ExampleMarket() {
	ctx := context.Background()
	clk := clock.NewMock()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources:  []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		Reserve:    map[string]string{"cpu": "0.001"},
		ClearEvery: time.Minute,
		Clock:      clk,
		Publisher:  log,
	})
	if err != nil {
		panic(err)
	}
	for _, agent := range []string{"alice", "bob"} {
		if err := m.Open(ctx, agent, apd.New(100, 0)); err != nil {
			panic(err)
		}
	}
	tenMinutes := func(cpu int64) bundle.Bundle {
		return bundle.Bundle{Quantities: bundle.Quantities{"cpu": cpu}, Window: bundle.Window{Duration: 10 * time.Minute}}
	}
	_ = m.Bid(ctx, scarcity.Bid{ID: "a1", Agent: "alice", Bundle: tenMinutes(60), Limit: apd.New(60, 0)})
	_ = m.Bid(ctx, scarcity.Bid{ID: "b1", Agent: "bob", Bundle: tenMinutes(60), Limit: apd.New(45, 0)})

	clk.Add(time.Minute)
	if err := m.Tick(ctx); err != nil {
		panic(err)
	}
	for _, e := range log.Events(0) {
		switch d := e.Data.(type) {
		case events.ResourcesAllocated:
			fmt.Printf("%s won %v for %s credits\n", d.AgentID, d.Quantities, d.Amount)
		case events.BidRejected:
			fmt.Printf("%s: %s\n", d.AgentID, d.Reason)
		case events.PriceUpdate:
			fmt.Printf("%s price %s -> %s\n", d.Resource, d.Old, d.New)
		}
	}
	fmt.Println("active:", m.Scheduler().Active("alice"))
	fmt.Println("invariants:", benchkit.Check(log.Events(0)))
	// Output:
	// alice won map[cpu:60] for 45.000000 credits
	// bob: outbid
	// cpu price 0.001 -> 0.001250
	// active: [bundle/a1/1]
	// invariants: <nil>
}
