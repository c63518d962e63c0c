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

// boundRound returns a seeded round of n bids over three resources, as
// BenchmarkExactClear's, some of them starting later, so that the rows
// span several cells.
func boundRound(t *testing.T, n, k int) Round {
	t.Helper()
	names := []string{"cpu", "memory", "tokens"}
	rs := make([]bundle.Resource, len(names))
	for i, name := range names {
		rs[i] = bundle.Resource{Name: name, Capacity: int64(n) * int64(10*(i+1)) / 2}
	}
	cat, err := bundle.NewCatalog(rs...)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
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
		if rng.IntN(2) == 0 {
			w.Start = t0.Add(time.Duration(rng.IntN(300)) * time.Second)
		}
		cost, err := bundle.Cost(exact.Context, bundle.Bundle{Quantities: q, Window: w.At(t0)}, reserve)
		if err != nil {
			t.Fatal(err)
		}
		limit := new(apd.Decimal)
		if _, err := exact.Context.Mul(limit, cost, apd.New(200+rng.Int64N(601), -2)); err != nil {
			t.Fatal(err)
		}
		bids[i] = Bid{ID: fmt.Sprintf("b%02d", i), Agent: fmt.Sprintf("a%d", i), Seq: uint64(i), Bundle: bundle.Bundle{Quantities: q, Window: w}, Limit: limit}
	}
	return Round{Number: 1, At: t0, Bids: bids, Calendar: bundle.NewCalendar(cat), Reserve: reserve, Scale: 6}
}

// TestBoundsAboveOptimum checks, on seeded rounds of 12 bids, at the root
// and at nodes with random items booked, that the Lagrangian bound, with
// tuned multipliers, and the knapsack bound are at least the value of the
// best allocation of the open items, found by brute force, plus that of
// the booked ones.
func TestBoundsAboveOptimum(t *testing.T) {
	const n = 12
	for k := range 40 {
		r := boundRound(t, n, k)
		_, cs := screenAll(r)
		occ := newOccupancy(r.Calendar, cs)
		s, ok := newSolver(occ, cs, DefaultMaxNodes)
		if ok {
			s.lag = newLagrange(s)
		}
		if !ok || !s.lag.on {
			t.Fatalf("round %d: no Lagrangian relaxation", k)
		}
		s.lag.tune(s, 0)
		rng := rand.New(rand.NewPCG(7, uint64(k)))
		for range 8 {
			checkNode(t, s, rng)
		}
	}
}

// checkNode books a random subset of the items that fit, one by one, and
// checks every bound of the resulting node against brute force.
func checkNode(t *testing.T, s *solver, rng *rand.Rand) {
	t.Helper()
	var got uint64
	var lag int64
	var booked []int
	for j := range s.search {
		if rng.IntN(3) == 0 && s.occ.fits(s.items[j].c) {
			s.occ.add(s.items[j].c, 1)
			booked = append(booked, j)
			got += s.items[j].v
			lag += s.lag.red[j]
		}
	}
	clear(s.open)
	var open []int
	var sum uint64
	var gain int64
	for j := range s.search {
		if !contains(booked, j) && s.occ.fits(s.items[j].c) {
			s.open[j] = true
			open = append(open, j)
			sum += s.items[j].v
			gain += max(0, s.lag.red[j])
		}
	}
	best := got + bruteForce(s, open)
	if b := s.lag.bound(lag, gain); b < best {
		t.Fatalf("Lagrangian bound %d below optimum %d", b, best)
	}
	if b := s.fractionalBound(got, sum, got+sum, 0); b < best {
		t.Fatalf("knapsack bound %d below optimum %d", b, best)
	}
	for _, j := range booked {
		s.occ.add(s.items[j].c, -1)
	}
	clear(s.open)
}

// bruteForce returns the best value of an allocation of items that fits
// s.occ.
func bruteForce(s *solver, items []int) uint64 {
	if len(items) == 0 {
		return 0
	}
	c := s.items[items[0]].c
	best := bruteForce(s, items[1:])
	if s.occ.fits(c) {
		s.occ.add(c, 1)
		best = max(best, s.items[items[0]].v+bruteForce(s, items[1:]))
		s.occ.add(c, -1)
	}
	return best
}

// contains reports whether xs holds x.
func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
