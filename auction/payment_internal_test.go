package auction

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

// BenchmarkCriticalValue computes the critical-value payments of a cleared
// round of 10,000 bundle bids over four resources, starting when cleared
// or, if spread, a quarter of them within the first minute.
func BenchmarkCriticalValue(b *testing.B) {
	for _, o := range []Priority{ByValue, ByDensity} {
		for _, spread := range []bool{false, true} {
			b.Run(fmt.Sprintf("order=%s/spread=%t", o, spread), func(b *testing.B) {
				g := Greedy{Order: o, Payment: PayCriticalValue}
				r := criticalRound(b, 10_000, spread)
				rejections, cs := screenAll(r)
				occ := newOccupancy(r.Calendar, cs)
				k := newRanking(g.Order, cs, occ.capacity)
				order := k.order(cs)
				winners, outbid := g.admit(r, occ, order, rejections)
				if len(winners) == 0 || len(outbid) == 0 {
					b.Fatalf("%d winners, %d outbid", len(winners), len(outbid))
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := criticalValues(r, k, order, winners); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// criticalRound is a round of n bids over four resources with demand about
// twice the capacity.
func criticalRound(tb testing.TB, n int, spread bool) Round {
	tb.Helper()
	names := []string{"cpu", "memory", "spend", "tokens"}
	rs := make([]bundle.Resource, len(names))
	for i, name := range names {
		rs[i] = bundle.Resource{Name: name, Capacity: int64(n) * int64(10*(i+1))}
	}
	cat, err := bundle.NewCatalog(rs...)
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	bids := make([]Bid, n)
	for i := range bids {
		q := bundle.Quantities{}
		for j, name := range names {
			if j == 0 || rng.IntN(2) == 0 {
				q[name] = 1 + rng.Int64N(int64(40*(j+1)))
			}
		}
		w := bundle.Window{Duration: time.Duration(1+rng.IntN(10)) * time.Minute}
		if spread && rng.IntN(4) == 0 {
			w.Start = t0.Add(time.Duration(rng.IntN(60)) * time.Second)
		}
		bids[i] = Bid{
			ID: fmt.Sprintf("b%06d", i), Agent: fmt.Sprintf("a%d", i%101), Seq: uint64(i),
			Bundle: bundle.Bundle{Quantities: q, Window: w},
			Limit:  apd.New(1_000_000+rng.Int64N(99_000_000), -4),
		}
	}
	return Round{
		Number: 1, At: t0, Bids: bids, Calendar: bundle.NewCalendar(cat),
		Reserve: bundle.Prices{"cpu": apd.New(1, -3), "memory": apd.New(1, -4), "spend": apd.New(2, -4), "tokens": apd.New(1, -5)},
		Scale:   6,
	}
}
