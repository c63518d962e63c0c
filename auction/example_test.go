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

// exampleRound is a round of three bids for cpu, each for ten seconds,
// at a reserve price of 0.001 per cpu-second: a's reserve cost is 0.6,
// b's 0.5 and c's 0.4. a and b do not fit together.
func exampleRound() auction.Round {
	cat, _ := bundle.NewCatalog(bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel})
	tenSeconds := func(cpu int64) bundle.Bundle {
		return bundle.Bundle{Quantities: bundle.Quantities{"cpu": cpu}, Window: bundle.Window{Duration: 10 * time.Second}}
	}
	return auction.Round{
		Number: 1,
		At:     time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC),
		Bids: []auction.Bid{
			{ID: "a", Agent: "alice", Bundle: tenSeconds(60), Limit: apd.New(5, 0), Seq: 1},
			{ID: "b", Agent: "bob", Bundle: tenSeconds(50), Limit: apd.New(3, 0), Seq: 2},
			{ID: "c", Agent: "carol", Bundle: tenSeconds(40), Limit: apd.New(2, 0), Seq: 3},
		},
		Calendar: bundle.NewCalendar(cat),
		Reserve:  bundle.Prices{"cpu": apd.New(1, -3)},
		Scale:    6,
	}
}

// printResult prints who wins and pays what, and the round's welfare.
func printResult(g auction.Greedy) {
	res, err := g.Clear(exampleRound())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Mechanism)
	for _, a := range res.Allocations {
		fmt.Printf("%s pays %s of %s\n", a.Bid.Agent, a.Payment.Text('f'), a.Bid.Limit.Text('f'))
	}
	fmt.Println("welfare", res.Welfare.Text('f'), "of at most", res.OptimalWelfare.Text('f'))
}

func ExampleGreedy_payAsBid() {
	printResult(auction.Greedy{Payment: auction.PayAsBid})
	// Output:
	// greedy/value/pay-as-bid
	// alice pays 5.000000 of 5
	// carol pays 2.000000 of 2
	// welfare 6.000 of at most 6.000
}

func ExampleGreedy_criticalValue() {
	// Alice wins as long as she outbids bob: she pays his 3. Nothing
	// after carol would take her place: she pays her reserve cost.
	printResult(auction.Greedy{Payment: auction.PayCriticalValue})
	// Output:
	// greedy/value/critical-value
	// alice pays 3.000000 of 5
	// carol pays 0.400000 of 2
	// welfare 6.000 of at most 6.000
}

func ExampleGreedy_density() {
	// By density, limit / √size with size = seconds × cpu / capacity:
	// alice 5/√6, bob 3/√5, carol 2/√4. Alice must still outrank bob:
	// her critical value is 3 × √(6/5) = 3.2863353…, rounded down.
	printResult(auction.Greedy{Order: auction.ByDensity, Payment: auction.PayCriticalValue})
	// Output:
	// greedy/density/critical-value
	// alice pays 3.286335 of 5
	// carol pays 0.400000 of 2
	// welfare 6.000 of at most 6.000
}
