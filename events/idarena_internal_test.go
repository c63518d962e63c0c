package events

import (
	"fmt"
	"strings"
	"testing"
)

// TestIDArenaKeepsEveryID hands out ids across many chunks, one longer
// than a chunk among them, and checks that every one still reads as it
// was given: appending to a chunk never touches the bytes of an id.
func TestIDArenaKeepsEveryID(t *testing.T) {
	var a idArena
	want := make([]string, 0, 1000)
	got := make([]string, 0, 1000)
	buf := make([]byte, 0, 64)
	for i := range 1000 {
		s := fmt.Sprintf("%019d-ledger-%012d", i*7919, i)
		if i == 500 {
			s = strings.Repeat("x", idChunk+1)
		}
		buf = append(buf[:0], s...)
		got = append(got, a.string(buf))
		want = append(want, s)
		buf[0] = '!' // the caller reuses its buffer: the id must not change
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("id %d = %q, want %q", i, got[i], want[i])
		}
	}
	if a.string(nil) != "" {
		t.Error(`string(nil) != ""`)
	}
}

func BenchmarkIDArena(b *testing.B) {
	var a idArena
	id := []byte("0000001735000000000-run-1-ledger-000000000001")
	b.ReportAllocs()
	for b.Loop() {
		_ = a.string(id)
	}
}

func BenchmarkIDArenaBaseline(b *testing.B) {
	id := []byte("0000001735000000000-run-1-ledger-000000000001")
	var sink string
	b.ReportAllocs()
	for b.Loop() {
		sink = string(id)
	}
	_ = sink
}
