package orderbook

import (
	"strings"
	"testing"

	"github.com/scarcitylabs/scarcity/auction"
)

// TestBookIndexAssertions breaks the book's bookkeeping the way a bug
// could — an order missing from the id index, a level whose quantity no
// longer matches its orders — and checks that removing an order stops
// with the assertion instead of corrupting the book further (or, for the
// index, probing forever).
func TestBookIndexAssertions(t *testing.T) {
	for name, tc := range map[string]struct {
		corrupt func(b *Book)
		want    string
	}{
		"order missing from the index": {func(b *Book) { b.index.clearSlots() }, "missing from its index"},
		"level quantity short":         {func(b *Book) { b.levels[b.nodes[0].level].qty-- }, "quantity and count disagree"},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			b.rest(auction.Order{ID: "o1", Agent: "a", Side: auction.Buy, Price: 10, Qty: 3}, GTC)
			tc.corrupt(b)
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, tc.want) {
					t.Fatalf("recovered %q, want the assertion %q", r, tc.want)
				}
			}()
			b.remove(0)
			t.Fatal("remove over a corrupt book did not panic")
		})
	}
}
