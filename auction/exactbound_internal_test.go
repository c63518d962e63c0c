package auction

import (
	"math/rand/v2"
	"testing"
)

// TestBoundsAboveOptimum checks, on seeded rounds of 12 bids, at the root
// and at nodes with random items booked, that the Lagrangian bound, with
// tuned multipliers, and the knapsack bound are at least the value of the
// best allocation of the open items, found by brute force, plus that of
// the booked ones.
func TestBoundsAboveOptimum(t *testing.T) {
	const n = 12
	for k := range 40 {
		r := seededRound(t, n, k)
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
