package events

import (
	"math"
	"testing"
	"time"
)

// TestIsID checks isID against appendID: it accepts exactly the id that
// appendID builds.
func TestIsID(t *testing.T) {
	times := []time.Time{time.Unix(0, 0), time.Unix(0, 1), time.Unix(1700000000, 123456789), time.Unix(-5, 0), time.Unix(0, math.MaxInt64)}
	seqs := []uint64{0, 1, 9, 10, 999999999999, 1000000000000, 12345678901234, math.MaxUint64}
	for _, tm := range times {
		for _, corr := range []string{"", "c", "12", "a-b"} {
			for _, src := range []Source{"ledger", "x-1"} {
				for _, seq := range seqs {
					id := string(appendID(nil, tm, corr, src, seq))
					if !isID(id, tm, corr, src, seq) {
						t.Errorf("isID(%q) = false", id)
					}
					for _, other := range seqs {
						if other != seq && isID(id, tm, corr, src, other) {
							t.Errorf("isID(%q, seq %d) = true", id, other)
						}
					}
					for _, bad := range []string{id + "0", "0" + id, id[:len(id)-1], id + "-", "", id[1:]} {
						if isID(bad, tm, corr, src, seq) {
							t.Errorf("isID(%q) for %q = true", bad, id)
						}
					}
					if corr != "" && isID(id, tm, "", src, seq) {
						t.Errorf("isID(%q) without correlation = true", id)
					}
					if later := tm.Add(1); string(appendID(nil, later, corr, src, seq)) != id && isID(id, later, corr, src, seq) {
						t.Errorf("isID(%q) a nanosecond later = true", id)
					}
				}
			}
		}
	}
}

// isID reports whether id is appendID(nil, t, correlation, source, seq), as
// AddWithID checks it.
func isID(id string, t time.Time, correlation string, source Source, seq uint64) bool {
	p := appendIDPrefix(nil, t, correlation, source)
	return len(id) > len(p) && id[:len(p)] == string(p) && isPadded(id[len(p):], seq, 12)
}

func FuzzIsID(f *testing.F) {
	f.Add("0000000000000000001-c-ledger-000000000001", int64(1), "c", "ledger", uint64(1))
	f.Fuzz(func(t *testing.T, id string, ns int64, corr, src string, seq uint64) {
		want := string(appendID(nil, time.Unix(0, ns), corr, Source(src), seq)) == id
		if got := isID(id, time.Unix(0, ns), corr, Source(src), seq); got != want {
			t.Fatalf("isID(%q, %d, %q, %q, %d) = %v, want %v", id, ns, corr, src, seq, got, want)
		}
	})
}
