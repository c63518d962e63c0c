package benchkit_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/events"
)

// readStream is the JSON Lines encoding of the first 100,000 events of
// streamtest.WorldStream.
var readStream = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := benchkit.WriteJSONL(&buf, streamtest.WorldStream()[:100_000]); err != nil {
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
