package auction_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/scarcitylabs/scarcity/auction"
)

// exampleOrders are four buyers and four sellers of one lot each, in ticks.
func exampleOrders() []auction.Order {
	var orders []auction.Order
	for i, p := range []int64{10, 8, 6, 3} {
		orders = append(orders, auction.Order{ID: fmt.Sprintf("b%d", i+1), Agent: "buyer", Side: auction.Buy, Price: p, Qty: 1, Seq: uint64(i)})
	}
	for i, p := range []int64{2, 4, 9, 11} {
		orders = append(orders, auction.Order{ID: fmt.Sprintf("s%d", i+1), Agent: "seller", Side: auction.Sell, Price: p, Qty: 1, Seq: uint64(4 + i)})
	}
	return orders
}

func printCall(c auction.Call) {
	for _, t := range c.Trades {
		fmt.Printf("%s %s %d at %d\n", t.ID, t.Side, t.Lots, t.Price)
	}
	fmt.Printf("volume %d of %d, welfare %d of %d, budget %d\n", c.Volume, c.OptimalVolume, c.Welfare, c.OptimalWelfare, c.Budget())
}

func ExampleKDA() {
	// Two trades are efficient (6 < 9); prices in [max(4, 6), min(8, 9)]
	// clear the market, and k = 1/2 picks 6 + ⌊3/2⌋ = 7.
	c, err := auction.KDA{K: auction.Fraction{Num: 1, Den: 2}}.ClearCall(exampleOrders())
	if err != nil {
		fmt.Println(err)
		return
	}
	printCall(c)
	// Output:
	// b1 buy 1 at 7
	// b2 buy 1 at 7
	// s1 sell 1 at 7
	// s2 sell 1 at 7
	// volume 2 of 2, welfare 12 of 12, budget 0
}

func ExampleMcAfee() {
	// With buyers b1 and b2 only, two trades are efficient but there is no
	// third bid to set a price from: the trade is reduced to one, b1 pays
	// b2's 8 and s1 receives s2's 4; the market keeps the difference.
	orders := exampleOrders()
	c, err := auction.McAfee{}.ClearCall(append(orders[:2:2], orders[4:]...))
	if err != nil {
		fmt.Println(err)
		return
	}
	printCall(c)
	// Output:
	// b1 buy 1 at 8
	// s1 sell 1 at 4
	// volume 1 of 2, welfare 8 of 12, budget 4
}

func ExampleSBBA() {
	// s3 = 9 > b2 = 8, so b2 sets the price and does not trade; one of s1
	// and s2, drawn from a seeded source, does not trade either.
	sbba := auction.SBBA{Rand: rand.New(rand.NewPCG(1, 2)).Int64N}
	c, err := sbba.ClearCall(exampleOrders())
	if err != nil {
		fmt.Println(err)
		return
	}
	printCall(c)
	// Output:
	// b1 buy 1 at 8
	// s2 sell 1 at 8
	// volume 1 of 2, welfare 6 of 12, budget 0
}
