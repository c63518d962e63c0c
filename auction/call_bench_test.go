package auction_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/scarcitylabs/scarcity/auction"
)

// benchOrders returns n orders, half buys and half sells, of 1 to 100 lots
// at prices within ±1000 ticks of a mid of 100,000, so that about half of
// the lots trade.
func benchOrders(n int) []auction.Order {
	rng := rand.New(rand.NewPCG(3, 4))
	orders := make([]auction.Order, n)
	for i := range orders {
		side := auction.Buy
		if i%2 == 1 {
			side = auction.Sell
		}
		orders[i] = auction.Order{
			ID: fmt.Sprintf("o%07d", i), Agent: fmt.Sprintf("a%d", i%1000), Side: side,
			Price: 99_000 + rng.Int64N(2001), Qty: 1 + rng.Int64N(100), Seq: uint64(i),
		}
	}
	return orders
}

// benchCallOrders is the size of the benchmarks' calls.
const benchCallOrders = 1_000_000

// benchCallRule clears benchCallOrders orders with rule, copying them into
// a scratch slice first, as the baseline does.
func benchCallRule(b *testing.B, rule auction.CallRule) {
	orders := benchOrders(benchCallOrders)
	scratch := make([]auction.Order, len(orders))
	b.ReportAllocs()
	for b.Loop() {
		copy(scratch, orders)
		c, err := rule.ClearCall(scratch)
		if err != nil {
			b.Fatal(err)
		}
		if c.Volume == 0 {
			b.Fatal("nothing traded")
		}
	}
}

// BenchmarkCallMarket clears a million orders with KDA, and with McAfee and
// SBBA as sub-benchmarks.
func BenchmarkCallMarket(b *testing.B) {
	benchCallRule(b, auction.KDA{})
}

func BenchmarkCallMarketMcAfee(b *testing.B) {
	benchCallRule(b, auction.McAfee{})
}

func BenchmarkCallMarketSBBA(b *testing.B) {
	benchCallRule(b, auction.SBBA{Rand: rand.New(rand.NewPCG(5, 6)).Int64N})
}

// BenchmarkCallMarketBaseline is the same unit of work reduced to its
// floor: copy the orders into a scratch slice and sort them by price.
func BenchmarkCallMarketBaseline(b *testing.B) {
	orders := benchOrders(benchCallOrders)
	scratch := make([]auction.Order, len(orders))
	b.ReportAllocs()
	for b.Loop() {
		copy(scratch, orders)
		slices.SortFunc(scratch, func(x, y auction.Order) int { return cmp.Compare(x.Price, y.Price) })
	}
}
