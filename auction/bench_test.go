package auction_test

import (
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
)

// benchSizes are the numbers of bids per round the benchmarks clear.
var benchSizes = []int{100, 1000}

// benchRound returns a round of n bids for cpu and memory, all starting when
// cleared and lasting a minute, whose demand is about twice the capacity:
// roughly half of them win.
func benchRound(tb testing.TB, n int) auction.Round {
	tb.Helper()
	cat, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Capacity: int64(n) * 5, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "memory", Capacity: int64(n) * 50, Enforcement: bundle.OSLevel},
	)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	bids := make([]auction.Bid, n)
	for i := range bids {
		bids[i] = auction.Bid{
			ID: fmt.Sprintf("b%05d", i), Agent: fmt.Sprintf("a%d", i%17), Seq: uint64(i),
			Bundle: bundle.Bundle{
				Quantities: bundle.Quantities{"cpu": 1 + rng.Int64N(19), "memory": 1 + rng.Int64N(199)},
				Window:     bundle.Window{Duration: time.Minute},
			},
			Limit: apd.New(100_000+rng.Int64N(900_000), -4), // 10 to 100 credits
		}
	}
	return auction.Round{
		Number: 1, At: t0, Bids: bids, Calendar: bundle.NewCalendar(cat),
		Reserve: bundle.Prices{"cpu": apd.New(1, -3), "memory": apd.New(1, -4)}, Scale: 6,
	}
}

// BenchmarkGreedyClear measures one Greedy round: screening, sorting,
// booking each bid on a calendar, pricing and settling.
func BenchmarkGreedyClear(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("bids=%d", n), func(b *testing.B) {
			r := benchRound(b, n)
			empty := r.Calendar
			check := r
			check.Calendar = empty.Clone()
			res := clear(b, check)
			if len(res.Allocations) == 0 || len(res.Rejections) == 0 {
				b.Fatalf("%d winners, %d losers: no contention", len(res.Allocations), len(res.Rejections))
			}
			b.ReportAllocs()
			for b.Loop() {
				r.Calendar = empty.Clone()
				if _, err := (auction.Greedy{}).Clear(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGreedyClearBaseline is the same unit of work without the
// calendar, prices or exact payments: sort the same bids by limit and admit
// each against per-resource free capacity counters.
func BenchmarkGreedyClearBaseline(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("bids=%d", n), func(b *testing.B) {
			r := benchRound(b, n)
			capacity := r.Calendar.Catalog().Capacity()
			b.ReportAllocs()
			for b.Loop() {
				if won := admitByCounters(r.Bids, capacity); won == 0 || won == n {
					b.Fatalf("%d of %d bids won: no contention", won, n)
				}
			}
		})
	}
}

// admitByCounters sorts bids by limit and admits those that fit free
// capacity counters; it returns the number admitted.
func admitByCounters(bids []auction.Bid, capacity bundle.Quantities) int {
	order := slices.Clone(bids)
	slices.SortFunc(order, func(x, y auction.Bid) int {
		if c := y.Limit.Cmp(x.Limit); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Seq, y.Seq); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	free := capacity.Clone()
	won := 0
	for _, bid := range order {
		if bid.Bundle.Quantities.Fits(free) {
			for name, q := range bid.Bundle.Quantities {
				free[name] -= q
			}
			won++
		}
	}
	return won
}

// bundleBids is the number of bids of BenchmarkBundleGreedy.
const bundleBids = 100_000

// bundleRound returns a round of n bids over four resources (cpu, memory,
// tokens, spend), each for cpu and a random subset of the others, for one
// to ten minutes, starting when cleared or, if spread, a quarter of them
// at a whole second within the first minute. Demand is about twice the
// capacity.
func bundleRound(tb testing.TB, n int, spread bool) auction.Round {
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
	rng := rand.New(rand.NewPCG(3, 4))
	bids := make([]auction.Bid, n)
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
		bids[i] = auction.Bid{
			ID: fmt.Sprintf("b%06d", i), Agent: fmt.Sprintf("a%d", i%101), Seq: uint64(i),
			Bundle: bundle.Bundle{Quantities: q, Window: w},
			Limit:  apd.New(1_000_000+rng.Int64N(99_000_000), -4), // 100 to 10,000 credits
		}
	}
	return auction.Round{
		Number: 1, At: t0, Bids: bids, Calendar: bundle.NewCalendar(cat),
		Reserve: bundle.Prices{"cpu": apd.New(1, -3), "memory": apd.New(1, -4), "spend": apd.New(2, -4), "tokens": apd.New(1, -5)},
		Scale:   6,
	}
}

// BenchmarkBundleGreedy clears one round of 100,000 bundle bids over four
// resources with the default Greedy, bids starting when cleared; the
// spread round has many more distinct instants, which the calendar pays
// for on every booking.
func BenchmarkBundleGreedy(b *testing.B) {
	for _, spread := range []bool{false, true} {
		for _, g := range []auction.Greedy{{}, {Order: auction.ByDensity, Payment: auction.PayCriticalValue}} {
			b.Run(fmt.Sprintf("mechanism=%s/spread=%t", g.Name(), spread), func(b *testing.B) {
				benchmarkBundleGreedy(b, g, bundleRound(b, bundleBids, spread))
			})
		}
	}
}

func benchmarkBundleGreedy(b *testing.B, g auction.Greedy, r auction.Round) {
	empty := r.Calendar
	check := r
	check.Calendar = empty.Clone()
	res := clear(b, check)
	if len(res.Allocations) == 0 || len(res.Rejections) == 0 {
		b.Fatalf("%d winners, %d losers: no contention", len(res.Allocations), len(res.Rejections))
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Calendar = empty.Clone()
		if _, err := g.Clear(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBundleGreedyBaseline sorts the same 100,000 bids by limit, the
// floor under any greedy clearing of them.
func BenchmarkBundleGreedyBaseline(b *testing.B) {
	r := bundleRound(b, bundleBids, false)
	order := make([]auction.Bid, len(r.Bids))
	b.ReportAllocs()
	for b.Loop() {
		copy(order, r.Bids)
		slices.SortFunc(order, func(x, y auction.Bid) int {
			if c := y.Limit.Cmp(x.Limit); c != 0 {
				return c
			}
			if c := cmp.Compare(x.Seq, y.Seq); c != 0 {
				return c
			}
			return strings.Compare(x.ID, y.ID)
		})
	}
}

// exactSizes are the numbers of bids per round BenchmarkExactClear clears.
var exactSizes = []int{16, 32, 64, 128}

// exactRounds is the number of seeded rounds per size that
// BenchmarkExactClear times and cycles through: 20 by default, 1,000 for
// the figures in BENCHMARKS.md.
var exactRounds = flag.Int("exact.rounds", 20, "seeded rounds per size in BenchmarkExactClear and its baseline")

// exactBenchRounds returns -exact.rounds seeded rounds of n bids over three
// resources (cpu, memory, tokens): each bid wants cpu and, at random,
// memory and tokens, for one to ten minutes, starting when cleared or, one
// time in three, at a whole second within the first five minutes; its
// limit is its bundle's reserve cost times 2 to 8, so that value tracks
// size, the hard case for exact winner determination. Demand is about
// twice the capacity.
func exactBenchRounds(tb testing.TB, n int) []auction.Round {
	tb.Helper()
	rounds := make([]auction.Round, *exactRounds)
	for k := range rounds {
		rounds[k] = auction.SeededRound(tb, n, k)
	}
	return rounds
}

// BenchmarkExactClear measures one Exact round, winner determination and
// VCG payments, cycling through seeded rounds. Timing each round once
// first, it reports the median, the 99th percentile and the slowest
// round, the share of the rounds cleared within 10 ms, the share of the
// rounds proven (every search, VCG included, finished within
// DefaultMaxNodes), the share whose allocation is proven optimal, the
// search nodes per round, and Exact's welfare over Greedy's.
func BenchmarkExactClear(b *testing.B) {
	for _, n := range exactSizes {
		b.Run(fmt.Sprintf("bids=%d", n), func(b *testing.B) {
			rounds := exactBenchRounds(b, n)
			proven, optimal, nodes, contended := 0, 0, 0, 0
			times := make([]time.Duration, len(rounds))
			gain := new(apd.Decimal)
			for k, r := range rounds {
				r.Calendar = r.Calendar.Clone()
				start := time.Now()
				res, stats, err := auction.Exact{}.ClearStats(r)
				times[k] = time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if stats.Proven {
					proven++
				}
				if stats.Optimal {
					optimal++
				}
				nodes += stats.Nodes
				gr := r
				gr.Calendar = bundle.NewCalendar(r.Calendar.Catalog())
				gres := clear(b, gr)
				gain = addDec(b, gain, subDec(b, res.Welfare, gres.Welfare))
				if len(res.Rejections) > 0 {
					contended++
				}
			}
			if contended < len(rounds)*9/10 {
				b.Fatalf("%d of %d rounds have losers: too little contention to measure", contended, len(rounds))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := rounds[i%len(rounds)]
				r.Calendar = r.Calendar.Clone()
				if _, err := (auction.Exact{}).Clear(r); err != nil {
					b.Fatal(err)
				}
				i++
			}
			slices.Sort(times)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(float64(proven)/float64(len(rounds)), "proven-share")
			b.ReportMetric(float64(optimal)/float64(len(rounds)), "optimal-share")
			b.ReportMetric(float64(nodes)/float64(len(rounds)), "nodes/round")
			b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
			b.ReportMetric(ms(times[len(times)*99/100]), "p99-ms")
			b.ReportMetric(ms(times[len(times)-1]), "worst-ms")
			within, _ := slices.BinarySearch(times, 10*time.Millisecond+1)
			b.ReportMetric(float64(within)/float64(len(times)), "within-10ms-share")
			b.Logf("bids=%d: Exact's welfare exceeds Greedy's by %s over %d rounds", n, gain.Text('f'), len(rounds))
		})
	}
}

// BenchmarkExactClearBaseline clears the same rounds with Greedy{} (by
// value, uniform price), the fastest mechanism.
func BenchmarkExactClearBaseline(b *testing.B) { clearSeededRounds(b, auction.Greedy{}) }

// clearSeededRounds clears exactBenchRounds's rounds of every size with m,
// one round per op.
func clearSeededRounds(b *testing.B, m auction.Mechanism) {
	for _, n := range exactSizes {
		b.Run(fmt.Sprintf("bids=%d", n), func(b *testing.B) {
			rounds := exactBenchRounds(b, n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := rounds[i%len(rounds)]
				r.Calendar = r.Calendar.Clone()
				if _, err := m.Clear(r); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
