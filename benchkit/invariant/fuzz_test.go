package invariant_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// encodeStream encodes evs one per line.
func encodeStream(tb testing.TB, evs []events.Event) []byte {
	tb.Helper()
	var buf bytes.Buffer
	for _, e := range evs {
		b, err := events.Encode(e)
		if err != nil {
			tb.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// FuzzCheck feeds Check any stream the codec accepts: it must never panic,
// and must report only *Violation errors of the known checks.
func FuzzCheck(f *testing.F) {
	valid := streamtest.ValidStream(f).Events()
	f.Add(encodeStream(f, valid))
	f.Add(encodeStream(f, without(valid, 5)))
	f.Add(encodeStream(f, edit(valid, 9, func(p *events.HoldCaptured) { p.Amount = "-1" })))
	f.Add([]byte("{}\n"))
	f.Add(encodeStream(f, smallWorld(f).Events())) // bids, leases, bundles
	known := make(map[string]bool)
	for _, name := range invariant.Names {
		known[name] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var evs []events.Event
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			if e, err := events.Decode(line); err == nil {
				evs = append(evs, e)
			}
		}
		err := invariant.Check(evs)
		if err != nil && !errors.Is(err, invariant.ErrViolation) {
			t.Fatalf("Check error %v is not a violation", err)
		}
		for _, v := range found(t, err) {
			if !known[v.Check] || v.Detail == "" {
				t.Fatalf("violation %+v names no known check or has no detail", v)
			}
		}
	})
}
