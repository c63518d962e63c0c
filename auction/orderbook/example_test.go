package orderbook_test

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/auction/orderbook"
)

func ExampleBook() {
	book, err := orderbook.New(orderbook.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Two sellers rest their asks, in ticks per lot and lots.
	book.Submit(auction.Order{ID: "s1", Agent: "alice", Side: auction.Sell, Price: 101, Qty: 5}, orderbook.Limit, orderbook.GTC)
	book.Submit(auction.Order{ID: "s2", Agent: "bob", Side: auction.Sell, Price: 102, Qty: 5}, orderbook.Limit, orderbook.GTC)

	// A buyer takes 8 lots up to 102: it trades at the asks' prices.
	fills, err := book.Submit(auction.Order{ID: "b1", Agent: "carol", Side: auction.Buy, Price: 102, Qty: 8}, orderbook.Limit, orderbook.GTC)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fills {
		fmt.Printf("%s buys %d lots from %s at %d\n", f.TakerAgent, f.Qty, f.MakerAgent, f.Price)
	}
	bid, _ := book.BestBid()
	ask, _ := book.BestAsk()
	fmt.Printf("best bid none? %v, best ask %d, depth %v\n", bid == 0, ask, book.Depth(auction.Sell, 5))

	// A fill-or-kill order for more than the book holds does nothing.
	fills, _ = book.Submit(auction.Order{ID: "b2", Agent: "dave", Side: auction.Buy, Price: 200, Qty: 3}, orderbook.Limit, orderbook.FOK)
	fmt.Println("fok fills:", len(fills), "orders resting:", book.Len())
	// Output:
	// carol buys 5 lots from alice at 101
	// carol buys 3 lots from bob at 102
	// best bid none? true, best ask 102, depth [{102 2 1}]
	// fok fills: 0 orders resting: 1
}
