package auction_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"pgregory.net/rapid"
)

// clearImproved clears a clone of r with m, checks the result with Verify
// (which checks that every allocation fits capacity), that every payment
// lies between its reserve cost and its limit, that the welfare adds up
// and matches the stats, and that OptimalWelfare is nil.
func clearImproved(t fataler, m auction.Improved, r auction.Round) (auction.Result, auction.ImprovedStats) {
	t.Helper()
	r.Calendar = r.Calendar.Clone()
	res, stats, err := m.ClearStats(r)
	if err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatalf("%v", err)
	}
	welfare := new(apd.Decimal)
	for _, a := range res.Allocations {
		cost := reserveCost(t, a.Bundle, r.Reserve)
		if a.Payment.Cmp(cost) < 0 || a.Payment.Cmp(a.Bid.Limit) > 0 {
			t.Fatalf("bid %s pays %s, outside [reserve cost %s, limit %s]", a.Bid.ID, text(a.Payment), text(cost), text(a.Bid.Limit))
		}
		welfare = addDec(t, welfare, subDec(t, a.Bid.Limit, cost))
	}
	if res.Welfare.Cmp(welfare) != 0 || stats.Welfare.Cmp(welfare) != 0 {
		t.Fatalf("welfare %s, stats %s, allocations add up to %s", text(res.Welfare), text(stats.Welfare), text(welfare))
	}
	if stats.GreedyWelfare.Cmp(res.Welfare) > 0 {
		t.Fatalf("welfare %s below the greedy start %s", text(res.Welfare), text(stats.GreedyWelfare))
	}
	if res.Mechanism != "improved" || res.OptimalWelfare != nil {
		t.Fatalf("mechanism %q, optimal welfare %s", res.Mechanism, text(res.OptimalWelfare))
	}
	return res, stats
}

// greedyWelfare clears a clone of r with g and returns its welfare.
func greedyWelfare(t fataler, g auction.Greedy, r auction.Round) *apd.Decimal {
	t.Helper()
	r.Calendar = r.Calendar.Clone()
	res, err := g.Clear(r)
	if err != nil {
		t.Fatalf("%s: %v", g.Name(), err)
	}
	return res.Welfare
}

// TestImprovedProperties checks Improved on random rounds of up to 24
// bids, with a random move budget: it passes Verify, pays within [reserve
// cost, limit], starts from the better of Greedy by value and by density
// and never ends below it, never exceeds Exact's welfare (on rounds of at
// most 10 bids, which Exact proves), and gives the same outcome when
// cleared twice or with the bids shuffled.
func TestImprovedProperties(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		r, _ := exactRound(t, 24)
		m := auction.Improved{MaxMoves: rapid.IntRange(0, 5).Draw(t, "max moves")}
		res, stats := clearImproved(t, m, r)
		byValue := greedyWelfare(t, auction.Greedy{}, r)
		byDensity := greedyWelfare(t, auction.Greedy{Order: auction.ByDensity}, r)
		best := byValue
		if byDensity.Cmp(best) > 0 {
			best = byDensity
		}
		if stats.GreedyWelfare.Cmp(best) != 0 || res.GreedyWelfare.Cmp(best) != 0 {
			t.Fatalf("greedy welfare %s (result %s), want the better of by value %s and by density %s", text(stats.GreedyWelfare), text(res.GreedyWelfare), text(byValue), text(byDensity))
		}
		if res.Welfare.Cmp(best) < 0 {
			t.Fatalf("welfare %s below greedy's %s", text(res.Welfare), text(best))
		}
		if len(r.Bids) <= 10 {
			er := r
			er.Calendar = r.Calendar.Clone()
			eres, estats, err := auction.Exact{}.ClearStats(er)
			if err != nil {
				t.Fatal(err)
			}
			if !estats.Fallback && eres.GreedyWelfare.Cmp(best) != 0 {
				t.Fatalf("exact's greedy welfare %s, want %s", text(eres.GreedyWelfare), text(best))
			}
			if estats.Proven && res.Welfare.Cmp(eres.Welfare) > 0 {
				t.Fatalf("welfare %s above exact's %s", text(res.Welfare), text(eres.Welfare))
			}
		}
		again, _ := clearImproved(t, m, r)
		if diff := cmp.Diff(res, again, decimalsByText); diff != "" {
			t.Fatalf("clearing the same round twice differs (-first +second):\n%s", diff)
		}
		shuffled := r
		shuffled.Bids = rapid.Permutation(r.Bids).Draw(t, "bid order")
		res3, _ := clearImproved(t, m, shuffled)
		if diff := cmp.Diff(outcomeByBid(res), outcomeByBid(res3)); diff != "" {
			t.Fatalf("the order of the bids changes the outcome (-given +shuffled):\n%s", diff)
		}
	})
}

func TestImprovedBeatsGreedy(t *testing.T) {
	// cpu capacity 100. a (100 cpu) blocks b and c (50 cpu each), which
	// together are worth more: values a 10 − 0.1 = 9.9, b and c 6 − 0.05 =
	// 5.95 each. Greedy, by value or by density, admits a alone; the
	// exchange of a for b, then c added, reaches the optimum 11.9.
	r := testRound(t,
		bid(t, "a", "10", 0, bundle.Quantities{"cpu": 100}, 1),
		bid(t, "b", "6", 1, bundle.Quantities{"cpu": 50}, 1),
		bid(t, "c", "6", 2, bundle.Quantities{"cpu": 50}, 1),
	)
	if w := greedyWelfare(t, auction.Greedy{}, r); w.Cmp(dec(t, "9.9")) != 0 {
		t.Fatalf("greedy welfare %s, want 9.9", text(w))
	}
	res, stats := clearImproved(t, auction.Improved{}, r)
	want := outcome{
		Winners:    []string{"b pays 6.000000", "c pays 6.000000"},
		Rejections: []string{"a outbid"},
		Prices:     map[string]string{"cpu": "0.100000", "memory": "0.010000"}, // a's Limit/R, 100, × the reserve
		Volume:     bundle.Quantities{"cpu": 100, "memory": 0},
		Revenue:    "12.000000",
		Surplus:    "0.000000",
	}
	if diff := cmp.Diff(want, outcomeOf(res)); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if stats.GreedyWelfare.Cmp(dec(t, "9.9")) != 0 || res.Welfare.Cmp(dec(t, "11.9")) != 0 || stats.Moves != 1 {
		t.Errorf("greedy welfare %s, welfare %s, moves %d; want 9.9, 11.9, 1", text(stats.GreedyWelfare), text(res.Welfare), stats.Moves)
	}
	r.Calendar = r.Calendar.Clone()
	eres, err := auction.Exact{}.Clear(r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Welfare.Cmp(eres.OptimalWelfare) != 0 {
		t.Errorf("welfare %s, optimum %s", text(res.Welfare), text(eres.OptimalWelfare))
	}
}

func TestImprovedValidate(t *testing.T) {
	for _, n := range []int{-1, auction.MaxImprovedMoves + 1} {
		if _, err := (auction.Improved{MaxMoves: n}).Clear(testRound(t)); !errors.Is(err, auction.ErrInvalidMechanism) {
			t.Errorf("MaxMoves %d: got %v, want ErrInvalidMechanism", n, err)
		}
	}
	if _, err := (auction.Improved{}).Clear(auction.Round{}); !errors.Is(err, auction.ErrInvalidRound) {
		t.Errorf("empty round: got %v, want ErrInvalidRound", err)
	}
}

// TestImprovedUnimproved checks that a round whose values do not fit
// 64-bit units keeps Greedy's allocation, paid as bid.
func TestImprovedUnimproved(t *testing.T) {
	r := testRound(t,
		bid(t, "a", "1000000000000000000000000", 0, bundle.Quantities{"cpu": 60}, 1),
		bid(t, "b", "1000000000000000000000001", 1, bundle.Quantities{"cpu": 60}, 1),
	)
	res, stats := clearImproved(t, auction.Improved{}, r)
	if stats.Moves != 0 || len(res.Allocations) != 1 || res.Allocations[0].Bid.ID != "b" || res.Welfare.Cmp(stats.GreedyWelfare) != 0 {
		t.Errorf("stats %+v, allocations %d", stats, len(res.Allocations))
	}
}

// BenchmarkImprovedClear measures one Improved round, cycling through
// the seeded rounds of BenchmarkExactClear. It reports the exchanges kept
// per round, the slowest round, and the welfare gained over the Greedy
// allocation it started from, in total and as a share of it.
func BenchmarkImprovedClear(b *testing.B) {
	for _, n := range exactSizes {
		b.Run(fmt.Sprintf("bids=%d", n), func(b *testing.B) {
			rounds := exactBenchRounds(b, n)
			moves := 0
			var slowest time.Duration
			greedy, improved := new(apd.Decimal), new(apd.Decimal)
			for _, r := range rounds {
				start := time.Now()
				_, stats := clearImproved(b, auction.Improved{}, r)
				slowest = max(slowest, time.Since(start))
				moves += stats.Moves
				greedy = addDec(b, greedy, stats.GreedyWelfare)
				improved = addDec(b, improved, stats.Welfare)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := rounds[i%len(rounds)]
				r.Calendar = r.Calendar.Clone()
				if _, err := (auction.Improved{}).Clear(r); err != nil {
					b.Fatal(err)
				}
				i++
			}
			gain := subDec(b, improved, greedy)
			share, err := gain.Float64()
			if err == nil {
				total, _ := greedy.Float64()
				share /= total
			}
			b.ReportMetric(float64(moves)/float64(len(rounds)), "moves/round")
			b.ReportMetric(float64(slowest.Microseconds())/1000, "slowest-ms")
			b.ReportMetric(share, "gain-share")
			b.Logf("bids=%d: Improved's welfare exceeds its Greedy start by %s over %d rounds", n, gain.Text('f'), len(rounds))
		})
	}
}

// BenchmarkImprovedClearBaseline clears the same rounds with Greedy by
// value, pay as bid: the allocation Improved starts from, without the
// search.
func BenchmarkImprovedClearBaseline(b *testing.B) {
	clearSeededRounds(b, auction.Greedy{Payment: auction.PayAsBid})
}
