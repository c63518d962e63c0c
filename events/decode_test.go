package events_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

// sentinelOf returns the sentinel err wraps, or nil for neither.
func sentinelOf(err error) error {
	switch {
	case errors.Is(err, events.ErrMalformed):
		return events.ErrMalformed
	case errors.Is(err, events.ErrInvalid):
		return events.ErrInvalid
	}
	return nil
}

// decodeSeeds returns encoded events of every sample payload, with and
// without optional attributes and batch bounds, and some near misses.
func decodeSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	for i, p := range samplePayloads() {
		e := eventOf(p, uint64(i+2))
		seeds = append(seeds, mustEncode(tb, e))
		e.Hash, e.Seal, e.Signature = strings.Repeat("ab", 32), i%2 == 0, ""
		if e.Seal {
			e.Signature = "c2lnbmF0dXJl"
		}
		e.Subject, e.Causation, e.TraceParent = "", "", ""
		seeds = append(seeds, mustEncode(tb, e))
	}
	awake := string(mustEncode(tb, testEvent("e1", 1)))
	for _, s := range []string{
		strings.Replace(awake, `"id"`, `"ID"`, 1),
		strings.Replace(awake, `"id":"e1"`, `"id":"e\u0031"`, 1),
		strings.Replace(awake, `"id":"e1"`, `"id":"e1","id":"e2"`, 1),
		strings.Replace(awake, `"id":"e1"`, `"id":"e1","id":null`, 1),
		strings.Replace(awake, `"id":"e1"`, `"id":"é1","x":{"a":[1,-0.5e+3,true,null,"\n"]}`, 1),
		strings.Replace(awake, `"schemaversion":1`, `"schemaversion":-0`, 1),
		strings.Replace(awake, `"schemaversion":1`, `"schemaversion":1.0`, 1),
		strings.Replace(awake, `"time":"2025-03-14T15:09:26.535897932Z"`, `"time":"2025-03-14T16:09:26+01:00"`, 1),
		strings.ReplaceAll(awake, `,`, " ,\n\t"),
		awake + " ",
		awake + "{}",
		// Agent-defined events (AgentEvent) and near misses.
		strings.NewReplacer(`"source":"scheduler"`, `"source":"agent"`, `"type":"agent_awake"`, `"type":"code_change_applied"`,
			`"agent_id":"a1"`, `"agent_id":"a1","n":1.50,"a":[1,{"b":"\u003c"}]`).Replace(awake),
		strings.NewReplacer(`"source":"scheduler"`, `"source":"agent"`, `"type":"agent_awake"`, `"type":"code_change_applied"`,
			`"agent_id":"a1"`, `"agent_id":["a1"]`).Replace(awake),
		strings.NewReplacer(`"type":"agent_awake"`, `"type":"code_change_applied"`).Replace(awake),
		"null",
		" {} ",
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzDecodeMatchesReference checks Decode against the encoding/json
// decoder it replaced: both fail with the same sentinel, or both succeed
// with equal events. It also checks that the scanner, whenever it does not
// give up, fills the wire form exactly as json.Unmarshal does.
func FuzzDecodeMatchesReference(f *testing.F) {
	for _, b := range decodeSeeds(f) {
		f.Add(b)
	}
	for _, b := range fuzzCorpus(f, "FuzzDecode") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := events.CheckScanWire(b); err != nil {
			t.Fatal(err)
		}
		got, err := events.Decode(b)
		want, refErr := events.DecodeReference(b)
		if (err == nil) != (refErr == nil) || sentinelOf(err) != sentinelOf(refErr) {
			t.Fatalf("Decode error = %v, reference error = %v", err, refErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Decode differs from reference (-ref +got):\n%s", diff)
		}
		if got.Time != want.Time {
			t.Fatalf("Decode time %#v, reference time %#v", got.Time, want.Time)
		}
	})
}

func TestScannerHandlesEncodeOutput(t *testing.T) {
	for i, p := range samplePayloads() {
		e := eventOf(p, uint64(i+2))
		e.Hash, e.Seal, e.Signature = strings.Repeat("ab", 32), true, "c2lnbmF0dXJl"
		if b := mustEncode(t, e); !events.ScansWire(b) {
			t.Errorf("scanner gives up on %s", b)
		}
	}
}

// fuzzCorpus reads the inputs of the stored corpus of the fuzz test name.
func fuzzCorpus(tb testing.TB, name string) [][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		if b, ok := corpusBytes(string(text)); ok {
			out = append(out, b)
		}
	}
	return out
}

// corpusBytes parses a corpus file holding a single []byte value.
func corpusBytes(text string) ([]byte, bool) {
	_, rest, ok := strings.Cut(text, "\n")
	rest = strings.TrimSpace(rest)
	if !ok || !strings.HasPrefix(rest, "[]byte(") || !strings.HasSuffix(rest, ")") {
		return nil, false
	}
	s, err := strconv.Unquote(rest[len("[]byte(") : len(rest)-1])
	return []byte(s), err == nil
}

// benchInputs returns encoded events of a few common kinds, by name.
func benchInputs(tb testing.TB) []struct {
	name string
	b    []byte
} {
	tb.Helper()
	awake := events.NewSequencer(events.SourceAgent, "bench", 0).Batch(t0).Add("a1", events.AgentAwake{AgentID: "a1"})
	samples := samplePayloads()
	pick := func(typ events.Type) events.Payload {
		for _, p := range samples {
			if p.EventType() == typ {
				return p
			}
		}
		tb.Fatalf("no sample of %s", typ)
		return nil
	}
	return []struct {
		name string
		b    []byte
	}{
		{"agent_awake", mustEncode(tb, awake)},
		{"credits_transferred", mustEncode(tb, eventOf(pick(events.TypeCreditsTransferred), 7))},
		{"bid_placed", mustEncode(tb, eventOf(pick(events.TypeBidPlaced), 7))},
		{"raw", mustEncode(tb, eventOf(pick("custom_agent_note"), 7))},
	}
}

// BenchmarkDecode measures Decode of a few kinds of event.
func BenchmarkDecode(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := events.Decode(in.b); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeBaseline measures the old path of Decode on the same
// bytes: json.Unmarshal into the wire form, then into the typed payload.
func BenchmarkDecodeBaseline(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := events.DecodeWireBaseline(in.b); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
