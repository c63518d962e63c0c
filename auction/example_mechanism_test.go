package auction_test

import (
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// firstCome is a mechanism written outside the package: it admits bids in
// arrival order while capacity lasts, and each winner pays what its bundle
// costs at the reserve prices.
type firstCome struct{}

func (firstCome) Name() string { return "first_come" }

func (firstCome) Clear(r auction.Round) (auction.Result, error) {
	if err := r.Validate(); err != nil {
		return auction.Result{}, err
	}
	res := auction.Result{Round: r.Number, Mechanism: "first_come", Prices: r.Reserve}
	ctx := apd.BaseContext.WithPrecision(34)
	ctx.Traps |= apd.Inexact | apd.Rounded
	for _, b := range r.Bids { // the market hands bids over in arrival order
		won := b.Bundle
		won.Window = b.Bundle.Window.At(r.At)
		cost, err := bundle.Cost(ctx, won, r.Reserve)
		if err != nil {
			return auction.Result{}, err
		}
		if cost.Cmp(b.Limit) > 0 {
			res.Rejections = append(res.Rejections, auction.Rejection{Bid: b, Reason: events.ReasonBelowReserve})
			continue
		}
		if r.Calendar.Book(b.ID, won) != nil {
			res.Rejections = append(res.Rejections, auction.Rejection{Bid: b, Reason: events.ReasonExceedsCapacity})
			continue
		}
		res.Allocations = append(res.Allocations, auction.Allocation{Bid: b, Bundle: won, Payment: cost})
	}
	return res, auction.Summarize(r, &res)
}

// A custom mechanism implements Name and Clear; Summarize fills the totals,
// and Verify checks the result against the contract every mechanism keeps.
func ExampleMechanism() {
	cat, err := bundle.NewCatalog(bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel})
	if err != nil {
		fmt.Println(err)
		return
	}
	minute := func(cpu int64) bundle.Bundle {
		return bundle.Bundle{Quantities: bundle.Quantities{"cpu": cpu}, Window: bundle.Window{Duration: time.Minute}}
	}
	round := auction.Round{
		Number: 1,
		At:     time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC),
		Bids: []auction.Bid{
			{ID: "b1", Agent: "alice", Bundle: minute(60), Limit: apd.New(1, 0), Seq: 1},
			{ID: "b2", Agent: "bob", Bundle: minute(60), Limit: apd.New(5, 0), Seq: 2},
			{ID: "b3", Agent: "carol", Bundle: minute(40), Limit: apd.New(1, 0), Seq: 3},
			{ID: "b4", Agent: "dave", Bundle: minute(10), Limit: apd.New(1, -3), Seq: 4},
		},
		Calendar: bundle.NewCalendar(cat),
		Reserve:  bundle.Prices{"cpu": apd.New(1, -4)},
		Scale:    6,
	}
	var m auction.Mechanism = firstCome{}
	res, err := m.Clear(round)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Allocations {
		fmt.Printf("%s wins, pays %s\n", a.Bid.Agent, a.Payment.Text('f'))
	}
	for _, r := range res.Rejections {
		fmt.Printf("%s loses: %s\n", r.Bid.Agent, r.Reason)
	}
	fmt.Println("revenue", res.Revenue.Text('f'), "utilisation", res.Utilisation["cpu"].Text('f'))
	fmt.Println("verified:", auction.Verify(round, res) == nil)
	// Output:
	// alice wins, pays 0.3600
	// carol wins, pays 0.2400
	// bob loses: exceeds_capacity
	// dave loses: below_reserve
	// revenue 0.6000 utilisation 1.0000
	// verified: true
}
