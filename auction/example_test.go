package auction_test

import (
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
)

func ExampleGreedy() {
	cat, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "memory", Unit: "MiB", Capacity: 1024, Enforcement: bundle.OSLevel},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	tenMinutes := func(cpu, memory int64) bundle.Bundle {
		return bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": cpu, "memory": memory},
			Window:     bundle.Window{Duration: 10 * time.Minute}, // starts when cleared
		}
	}
	round := auction.Round{
		Number: 1,
		At:     time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC),
		Bids: []auction.Bid{
			{ID: "b1", Agent: "alice", Bundle: tenMinutes(50, 512), Limit: apd.New(10, 0), Seq: 1},
			{ID: "b2", Agent: "bob", Bundle: tenMinutes(40, 256), Limit: apd.New(6, 0), Seq: 2},
			{ID: "b3", Agent: "carol", Bundle: tenMinutes(30, 256), Limit: apd.New(5, 0), Seq: 3},
		},
		Calendar: bundle.NewCalendar(cat),
		Reserve:  bundle.Prices{"cpu": apd.New(1, -4), "memory": apd.New(1, -5)},
		Scale:    6,
	}

	res, err := auction.Greedy{}.Clear(round)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Allocations {
		fmt.Printf("%s wins, pays %s of %s\n", a.Bid.Agent, a.Payment.Text('f'), a.Bid.Limit.Text('f'))
	}
	for _, r := range res.Rejections {
		fmt.Printf("%s loses: %s\n", r.Bid.Agent, r.Reason)
	}
	fmt.Println("cpu clears at", res.Prices["cpu"].Text('f'), "memory at", res.Prices["memory"].Text('f'))
	fmt.Println("cpu utilisation", res.Utilisation["cpu"].Text('f'), "revenue", res.Revenue.Text('f'))
	// Output:
	// alice wins, pays 8.770800 of 10
	// bob wins, pays 5.726400 of 6
	// carol loses: outbid
	// cpu clears at 0.000149 memory at 0.000014
	// cpu utilisation 0.9000 revenue 14.497200
}

func ExampleUtilisationRule_Next() {
	rule := auction.UtilisationRule{} // target 0.5, at most ±12.5 % a round
	price := apd.New(1, 0)
	for _, u := range []string{"1", "1", "0.5", "0"} {
		util, _, _ := apd.NewFromString(u)
		next, err := rule.Next(price, util, 6)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("utilisation %s: %s -> %s\n", u, price.Text('f'), next.Text('f'))
		price = next
	}
	// Output:
	// utilisation 1: 1 -> 1.125000
	// utilisation 1: 1.125000 -> 1.265625
	// utilisation 0.5: 1.265625 -> 1.265625
	// utilisation 0: 1.265625 -> 1.107422
}
