package auction

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// seededRound returns seeded round k of n bids over cpu, memory and
// tokens: each bid wants cpu and, at random, memory and tokens, for one to
// ten minutes, starting when cleared or, one time in three, at a whole
// second within the first five minutes; its limit is its bundle's reserve
// cost times 2 to 8, so that value tracks size. Demand is about twice the
// capacity. BenchmarkExactClear, TestEfficiencyTable and
// TestBoundsAboveOptimum draw their rounds from it (the external tests as
// SeededRound).
func seededRound(tb testing.TB, n, k int) Round {
	tb.Helper()
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC) // the external tests' t0
	names := []string{"cpu", "memory", "tokens"}
	rs := make([]bundle.Resource, len(names))
	for i, name := range names {
		rs[i] = bundle.Resource{Name: name, Capacity: int64(n) * int64(10*(i+1)) / 2}
	}
	cat, err := bundle.NewCatalog(rs...)
	if err != nil {
		tb.Fatal(err)
	}
	reserve := bundle.Prices{"cpu": apd.New(1, -3), "memory": apd.New(1, -4), "tokens": apd.New(1, -5)}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(k)))
	bids := make([]Bid, n)
	for i := range bids {
		q := bundle.Quantities{}
		for j, name := range names {
			if j == 0 || rng.IntN(2) == 0 {
				q[name] = 1 + rng.Int64N(int64(20*(j+1)))
			}
		}
		w := bundle.Window{Duration: time.Duration(1+rng.IntN(10)) * time.Minute}
		if rng.IntN(3) == 0 {
			w.Start = t0.Add(time.Duration(rng.IntN(300)) * time.Second)
		}
		b := bundle.Bundle{Quantities: q, Window: w.At(t0)}
		cost, err := bundle.Cost(exact.Context, b, reserve)
		if err != nil {
			tb.Fatal(err)
		}
		limit := new(apd.Decimal)
		if _, err := exact.Context.Mul(limit, cost, apd.New(200+rng.Int64N(601), -2)); err != nil {
			tb.Fatal(err)
		}
		bids[i] = Bid{
			ID: fmt.Sprintf("b%04d", i), Agent: fmt.Sprintf("a%d", i), Seq: uint64(i),
			Bundle: bundle.Bundle{Quantities: q, Window: w}, Limit: limit,
		}
	}
	return Round{Number: 1, At: t0, Bids: bids, Calendar: bundle.NewCalendar(cat), Reserve: reserve, Scale: 6}
}
