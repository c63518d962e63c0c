package auction_test

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

var (
	efficiency       = flag.Bool("efficiency", false, "run TestEfficiencyTable")
	efficiencyRounds = flag.Int("efficiency.rounds", 1000, "seeded rounds per size in TestEfficiencyTable")
	efficiencyNodes  = flag.Int("efficiency.nodes", 2000, "Exact's node budget at 1,000 bids in TestEfficiencyTable (0: DefaultMaxNodes)")
)

// TestExactBound checks ExactStats.Bound on small random rounds, with the
// default budget and with a budget of a few nodes, which cuts the search
// so that Bound is the root node's: it is at least the brute-force optimum
// and Exact's welfare, and equals the welfare when the allocation is
// proven optimal.
func TestExactBound(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		r, before := exactRound(t, 10)
		e := auction.Exact{MaxNodes: rapid.SampledFrom([]int{0, 1, 2, 3, 5, 10}).Draw(t, "max nodes")}
		_, res, stats := clearExact(t, e, r)
		if stats.Bound == nil {
			t.Fatalf("nil Bound: %+v", stats)
		}
		var contenders []auction.Bid
		for _, a := range res.Allocations {
			contenders = append(contenders, a.Bid)
		}
		for _, rej := range res.Rejections {
			if rej.Reason == events.ReasonOutbid {
				contenders = append(contenders, rej.Bid)
			}
		}
		best := bruteForceWelfare(t, r, before, contenders)
		if stats.Bound.Cmp(best) < 0 {
			t.Fatalf("Bound %s below the brute-force optimum %s (%+v)", text(stats.Bound), text(best), stats)
		}
		if stats.Bound.Cmp(res.Welfare) < 0 {
			t.Fatalf("Bound %s below Exact's welfare %s", text(stats.Bound), text(res.Welfare))
		}
		if stats.Optimal && stats.Bound.Cmp(res.Welfare) != 0 {
			t.Fatalf("proven optimal, but Bound %s is not the welfare %s", text(stats.Bound), text(res.Welfare))
		}
	})
}

// efficiencyMechanisms are the rows of TestEfficiencyTable, by name.
var efficiencyMechanisms = []string{"greedy by value", "greedy by density", "improved", "exact"}

// TestEfficiencyTable clears -efficiency.rounds seeded rounds (seeds as
// exactBenchRounds's) of 16, 128 and 1,000 bids with Greedy by value,
// Greedy by density, Improved and Exact, and prints, as a Markdown table,
// each one's welfare over a reference: the optimum when Exact proves its
// allocation optimal, else Exact's Bound, an upper bound, so that the
// ratio is then a lower bound on the efficiency. Exact runs with
// DefaultMaxNodes, but at 1,000 bids with -efficiency.nodes: its Bound is
// the root node's either way unless the search finishes, and its
// allocation is then at least Greedy's. Run it with
//
//	go test ./auction -run TestEfficiencyTable -efficiency -efficiency.rounds=50 -v
func TestEfficiencyTable(t *testing.T) {
	if !*efficiency {
		t.Skip("run with -efficiency")
	}
	n := *efficiencyRounds
	if n < 1 {
		t.Fatalf("-efficiency.rounds=%d", n)
	}
	var b strings.Builder
	b.WriteString("| mechanism | bids | mean | worst | rounds proven |\n|---|---:|---:|---:|---:|\n")
	for _, bids := range []int{16, 128, 1000} {
		e := auction.Exact{}
		if bids >= 1000 {
			e.MaxNodes = *efficiencyNodes
		}
		start := time.Now()
		ratios := make([][]float64, len(efficiencyMechanisms)) // by mechanism, by round
		for m := range ratios {
			ratios[m] = make([]float64, n)
		}
		proven := make([]bool, n)
		var wg sync.WaitGroup
		type job struct {
			k int
			r auction.Round
		}
		next := make(chan job)
		for range 4 {
			wg.Go(func() {
				for j := range next {
					k := j.k
					ws, ref, optimal := efficiencyOf(t, e, j.r)
					for m, w := range ws {
						ratios[m][k] = ratio(w, ref)
					}
					proven[k] = optimal
				}
			})
		}
		for k := range n {
			next <- job{k, auction.SeededRound(t, bids, k)} // Fatal only on this goroutine
		}
		close(next)
		wg.Wait()
		if t.Failed() {
			return
		}
		nproven := 0
		for _, p := range proven {
			if p {
				nproven++
			}
		}
		for m, name := range efficiencyMechanisms {
			sum, worst := 0.0, math.Inf(1)
			for _, x := range ratios[m] {
				sum += x
				worst = min(worst, x)
			}
			fmt.Fprintf(&b, "| %s | %d | %.4f | %.4f | %d/%d |\n", name, bids, sum/float64(n), worst, nproven, n)
		}
		t.Logf("bids=%d: %d rounds in %v", bids, n, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("efficiency: welfare / reference over %d seeded rounds per size (reference: the optimum if Exact proved it, else Exact's Bound; Exact's budget at 1,000 bids: %d nodes)\n\n%s", n, *efficiencyNodes, b.String())
}

// efficiencyOf clears r with each of efficiencyMechanisms, on its own
// clone of the calendar, and returns their welfares, the reference and
// whether Exact proved its allocation optimal.
func efficiencyOf(t *testing.T, e auction.Exact, r auction.Round) ([]*apd.Decimal, *apd.Decimal, bool) {
	ws := make([]*apd.Decimal, len(efficiencyMechanisms))
	for m, mech := range []auction.Mechanism{
		auction.Greedy{Order: auction.ByValue, Payment: auction.PayAsBid},
		auction.Greedy{Order: auction.ByDensity, Payment: auction.PayAsBid},
		auction.Improved{},
	} {
		rc := r
		rc.Calendar = r.Calendar.Clone()
		res, err := mech.Clear(rc)
		if err != nil {
			t.Errorf("%s: %v", mech.Name(), err)
			return ws, nil, false
		}
		ws[m] = res.Welfare
	}
	rc := r
	rc.Calendar = r.Calendar.Clone()
	res, stats, err := e.ClearStats(rc)
	if err != nil || stats.Bound == nil {
		t.Errorf("exact: %v (%+v)", err, stats)
		return ws, nil, false
	}
	ws[len(ws)-1] = res.Welfare
	for m, w := range ws {
		if w.Cmp(stats.Bound) > 0 {
			t.Errorf("%s's welfare %s above Exact's Bound %s", efficiencyMechanisms[m], text(w), text(stats.Bound))
		}
	}
	return ws, stats.Bound, stats.Optimal
}

// ratio returns w / ref as a float, 1 when ref is zero.
func ratio(w, ref *apd.Decimal) float64 {
	if ref == nil || ref.IsZero() {
		return 1
	}
	x, _ := w.Float64()
	y, _ := ref.Float64()
	return x / y
}
