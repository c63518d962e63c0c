package benchkit_test

import (
	"fmt"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
)

// BenchmarkCheck measures all the checks over a run of 100 agents each
// minted credits, bidding (hold, capture, allocation) and paying another
// agent: 10,000 operations.
func BenchmarkCheck(b *testing.B) {
	sb := newStreamBuilder(b, "run-1")
	sb.open("mint", "mint", true)
	sb.open("market", "market", false)
	const agents, rounds = 100, 25
	for i := range agents {
		sb.open(fmt.Sprintf("a%d", i), "agent", false)
	}
	for r := range rounds {
		for i := range agents {
			a, next := fmt.Sprintf("a%d", i), fmt.Sprintf("a%d", (i+1)%agents)
			sb.mint(a, 10000)
			h := sb.hold(a, 5000)
			sb.allocate(a, 4000+int64(r), 5000, sb.capture(h, "market", 4000+int64(r)))
			sb.transfer(a, next, 100)
		}
	}
	evs := sb.events()
	if err := benchkit.Check(evs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := benchkit.Check(evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)), "events/op")
}
