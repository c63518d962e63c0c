package ledger

import (
	"fmt"
	"maps"
	"testing"

	"pgregory.net/rapid"
)

// TestTransferIndexClash checks the index against a map when most ids
// share a hash: the mask leaves two hash values, so nearly every id goes to
// the clash map, and removals leave byHash slots that other ids then take.
func TestTransferIndexClash(t *testing.T) {
	for _, mask := range []uint64{0, 1, ^uint64(0)} {
		t.Run(fmt.Sprint(mask), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				x := newTransferIndex(0)
				x.mask = mask
				want := map[string]string{} // id -> reason
				id := rapid.StringMatching(`t[0-9]{1,2}`)
				for range rapid.IntRange(1, 200).Draw(t, "ops") {
					k := id.Draw(t, "id")
					switch rapid.IntRange(0, 2).Draw(t, "op") {
					case 0, 1:
						reason := rapid.StringMatching(`r[0-9]`).Draw(t, "reason")
						x.put(movement{op: opTransfer, id: k, reason: reason})
						want[k] = reason
					case 2:
						x.remove(k)
						delete(want, k)
					}
					checkIndex(t, &x, want)
				}
			})
		})
	}
}

// checkIndex checks that x holds exactly the ids of want, with their
// reasons.
func checkIndex(t *rapid.T, x *transferIndex, want map[string]string) {
	got := map[string]string{}
	for m := range x.all() {
		if _, dup := got[m.id]; dup {
			t.Fatalf("all yields %q twice", m.id)
		}
		got[m.id] = m.reason
	}
	if !maps.Equal(got, want) {
		t.Fatalf("all yields %v, want %v", got, want)
	}
	for _, k := range []string{"t0", "t1", "t7", "t42", "t99"} {
		m, ok := x.get(k)
		reason, wantOK := want[k]
		if ok != wantOK || ok && (m.id != k || m.reason != reason) {
			t.Fatalf("get(%q) = %+v, %v; want reason %q, %v", k, m, ok, reason, wantOK)
		}
	}
	if live := int(x.used) - len(x.free); live != len(want) {
		t.Fatalf("%d slots in use for %d ids", live, len(want))
	}
}
