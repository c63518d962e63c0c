package benchkit_test

import (
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// BenchmarkEachCheck measures each check alone over the stream of
// BenchmarkInvariants.
func BenchmarkEachCheck(b *testing.B) {
	checks := map[string]func([]events.Event) error{
		"sequences":    benchkit.CheckSequences,
		"identities":   benchkit.CheckIdentities,
		"conservation": benchkit.CheckConservation,
		"allocations":  benchkit.CheckAllocationsPaid,
		"bids":         benchkit.CheckBidsHeld,
		"capacity":     func(evs []events.Event) error { return benchkit.CheckCapacity(evs, worldOptions) },
		"usage":        func(evs []events.Event) error { return benchkit.CheckUsage(evs, worldOptions) },
		"spend":        func(evs []events.Event) error { return benchkit.CheckSpend(evs, worldOptions) },
	}
	evs := worldStream()
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
