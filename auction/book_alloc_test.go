package auction_test

import (
	"testing"

	"github.com/scarcitylabs/scarcity/auction"
)

// TestBookSubmitDoesNotAllocate replays the same orders, with cancels,
// replacements and expiry, into a warmed book: steady state allocates
// nothing.
func TestBookSubmitDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	orders := bookOrders(5000, 7)
	for i := range orders {
		if i%7 == 0 {
			orders[i].Expires = at(int64(i % 50))
		}
	}
	b, err := auction.NewBook(auction.BookOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var fills []auction.Fill
	var expired []auction.Order
	run := func() {
		b.Reset()
		for i, o := range orders {
			fills, err = b.SubmitAppend(fills[:0], o, auction.Limit, auction.GTC)
			if err != nil {
				t.Fatal(err)
			}
			switch i % 10 {
			case 3:
				if _, ok := b.Order(orders[i-1].ID); ok {
					if _, err := b.Cancel(orders[i-1].ID); err != nil {
						t.Fatal(err)
					}
				}
			case 5:
				if o, ok := b.Order(orders[i-2].ID); ok {
					fills, err = b.ReplaceAppend(fills[:0], o.ID, o.Price+1, 5)
					if err != nil {
						t.Fatal(err)
					}
				}
			case 9:
				expired = b.ExpireAppend(expired[:0], at(int64(i%50)))
			}
		}
	}
	if n := testing.AllocsPerRun(3, run); n != 0 {
		t.Errorf("%v allocations per %d orders, want 0", n, len(orders))
	}
}
