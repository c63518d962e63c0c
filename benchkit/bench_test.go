package benchkit_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
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

// worldStream is a consistent stream of about a million events of a
// market of 100 agents: bids, clearing, leased bundles, metering and
// payment. It is built once.
var worldStream = sync.OnceValue(func() []events.Event {
	w := newWorld(panicker{}, 100)
	for len(w.evs) < 1_000_000 {
		w.cycle()
	}
	return w.events()
})

// panicker is a fataler outside a test.
type panicker struct{}

func (panicker) Helper() {}

func (panicker) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// BenchmarkInvariants measures every check, with full options, over a
// stream of a million events.
func BenchmarkInvariants(b *testing.B) {
	evs := worldStream()
	if err := benchkit.CheckWith(evs, worldOptions); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := benchkit.CheckWith(evs, worldOptions); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, len(evs))
}

// BenchmarkInvariantsBaseline measures the least work a check does per
// event over the same stream: a type switch and one map update.
func BenchmarkInvariantsBaseline(b *testing.B) {
	evs := worldStream()
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

func reportPerEvent(b *testing.B, n int) {
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(n), "ns/event")
	b.ReportMetric(float64(n)/(perOp/1e9), "events/s")
	b.ReportMetric(float64(n), "events/op")
}

// readStream is the JSON Lines encoding of the first 100,000 events of
// worldStream.
var readStream = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := benchkit.WriteJSONL(&buf, worldStream()[:100_000]); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// BenchmarkReadJSONL reads 100,000 events from JSON Lines, keeping every
// field of every event's data.
func BenchmarkReadJSONL(b *testing.B) {
	data := readStream()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := benchkit.ReadJSONL(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadJSONLBaseline decodes the same lines with events.Decode
// alone, which keeps only what the typed payloads declare.
func BenchmarkReadJSONLBaseline(b *testing.B) {
	data := readStream()
	b.ReportAllocs()
	for b.Loop() {
		for line := range bytes.Lines(data) {
			if _, err := events.Decode(bytes.TrimSpace(line)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
