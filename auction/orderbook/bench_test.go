package orderbook_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/auction/orderbook"
)

// benchBookOrders is the number of orders one benchmark op processes.
const benchBookOrders = 1_000_000

// bookOrders returns n random limit orders about a mid price of 10,000
// ticks, from 100 agents, half of them crossing the mid: a crossing buy
// bids up to 50 ticks above the mid, a resting one up to 50 below.
func bookOrders(n int, seed uint64) []auction.Order {
	rng := rand.New(rand.NewPCG(seed, 42))
	const mid = 10_000
	orders := make([]auction.Order, n)
	for i := range orders {
		side := auction.Side(1 + rng.IntN(2))
		d := 1 + rng.Int64N(50)
		if rng.IntN(2) == 0 { // crossing
			d = -d
		}
		price := mid - d
		if side == auction.Sell {
			price = mid + d
		}
		orders[i] = auction.Order{
			ID: fmt.Sprintf("o%07d", i), Agent: fmt.Sprintf("agent-%02d", rng.IntN(100)),
			Side: side, Price: price, Qty: 1 + rng.Int64N(100),
		}
	}
	return orders
}

// runBook submits orders as GTC limit orders into b, reusing fills, and
// returns the number of fills.
func runBook(tb testing.TB, b *orderbook.Book, orders []auction.Order, fills []orderbook.Fill) ([]orderbook.Fill, int) {
	n := 0
	for _, o := range orders {
		var err error
		fills, err = b.SubmitAppend(fills[:0], o, orderbook.Limit, orderbook.GTC)
		if err != nil {
			tb.Fatal(err)
		}
		n += len(fills)
	}
	return fills, n
}

// BenchmarkBook processes a million random limit orders, half of them
// crossing, into a book emptied by Reset before each op.
func BenchmarkBook(b *testing.B) {
	orders := bookOrders(benchBookOrders, 1)
	book, err := orderbook.New(orderbook.Options{})
	if err != nil {
		b.Fatal(err)
	}
	fills, trades := runBook(b, book, orders, nil) // warm the book's storage
	b.ReportMetric(float64(trades), "fills/op")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for b.Loop() {
		book.Reset()
		fills, _ = runBook(b, book, orders, fills)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/benchBookOrders, "ns/order")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/benchBookOrders, "allocs/order")
}

// BenchmarkBookBaseline sorts a copy of the same million orders by price:
// the same unit of work with no matching at all.
func BenchmarkBookBaseline(b *testing.B) {
	orders := bookOrders(benchBookOrders, 1)
	buf := make([]auction.Order, len(orders))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, orders)
		slices.SortFunc(buf, func(x, y auction.Order) int { return cmp.Compare(x.Price, y.Price) })
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/benchBookOrders, "ns/order")
}
