package invariant_test

import (
	"fmt"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// BenchmarkCheck measures all the checks over a run of 100 agents each
// minted credits, bidding (hold, capture, allocation) and paying another
// agent: 10,000 operations.
func BenchmarkCheck(b *testing.B) {
	sb := streamtest.NewBuilder(b, "run-1")
	sb.Open("mint", "mint", true)
	sb.Open("market", "market", false)
	const agents, rounds = 100, 25
	for i := range agents {
		sb.Open(fmt.Sprintf("a%d", i), "agent", false)
	}
	for r := range rounds {
		for i := range agents {
			a, next := fmt.Sprintf("a%d", i), fmt.Sprintf("a%d", (i+1)%agents)
			sb.Mint(a, 10000)
			h := sb.Hold(a, 5000)
			sb.Allocate(a, 4000+int64(r), 5000, sb.Capture(h, "market", 4000+int64(r)))
			sb.Transfer(a, next, 100)
		}
	}
	evs := sb.Events()
	if err := invariant.Check(evs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := invariant.Check(evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)), "events/op")
}

// BenchmarkInvariants measures every check, with full options, over a
// stream of a million events.
func BenchmarkInvariants(b *testing.B) {
	evs := streamtest.WorldStream()
	if err := invariant.CheckWith(evs, streamtest.WorldOptions); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := invariant.CheckWith(evs, streamtest.WorldOptions); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, len(evs))
}

// BenchmarkInvariantsBaseline measures the least work a check does per
// event over the same stream: a type switch and one map update.
func BenchmarkInvariantsBaseline(b *testing.B) {
	evs := streamtest.WorldStream()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		last := make(map[string]uint64)
		for _, e := range evs {
			switch e.Data.(type) {
			case events.UsageRecorded, events.HoldPlaced, events.BundleScheduled:
				last[e.Correlation]++
			default:
				last[e.Correlation] = e.Sequence
			}
		}
		if len(last) != 1 {
			b.Fatal(last)
		}
	}
	reportPerEvent(b, len(evs))
}

// BenchmarkEachCheck measures each check alone over the stream of
// BenchmarkInvariants.
func BenchmarkEachCheck(b *testing.B) {
	checks := map[string]func([]events.Event) error{
		"sequences":    invariant.CheckSequences,
		"identities":   invariant.CheckIdentities,
		"conservation": invariant.CheckConservation,
		"allocations":  invariant.CheckAllocationsPaid,
		"bids":         invariant.CheckBidsHeld,
		"capacity":     func(evs []events.Event) error { return invariant.CheckCapacity(evs, streamtest.WorldOptions) },
		"usage":        func(evs []events.Event) error { return invariant.CheckUsage(evs, streamtest.WorldOptions) },
		"spend":        func(evs []events.Event) error { return invariant.CheckSpend(evs, streamtest.WorldOptions) },
	}
	evs := streamtest.WorldStream()
	for name, check := range checks {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := check(evs); err != nil {
					b.Fatal(err)
				}
			}
			reportPerEvent(b, len(evs))
		})
	}
}

func reportPerEvent(b *testing.B, n int) {
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(n), "ns/event")
	b.ReportMetric(float64(n)/(perOp/1e9), "events/s")
	b.ReportMetric(float64(n), "events/op")
}
