package auction_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/auction"
)

// TestAutoChoosesBySize checks that Auto clears a round exactly as Exact
// does up to ExactUpTo bids and as Greedy by density with critical values
// does beyond, names the mechanism it used in the result, and so never
// does worse than that Greedy.
func TestAutoChoosesBySize(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, _ := exactRound(t, 12)
		auto := auction.Auto{ExactUpTo: rapid.IntRange(-1, 12).Draw(t, "exact up to")}
		got, err := auto.Clear(cloneRound(r))
		if err != nil {
			t.Fatal(err)
		}
		var want auction.Result
		if auto.ExactUpTo == 0 || len(r.Bids) <= auto.ExactUpTo {
			want, err = auction.Exact{}.Clear(cloneRound(r))
		} else {
			want, err = auction.Greedy{Order: auction.ByDensity, Payment: auction.PayCriticalValue}.Clear(cloneRound(r))
		}
		if err != nil {
			t.Fatal(err)
		}
		if got.Mechanism != want.Mechanism || !cmp.Equal(outcomeByBid(got), outcomeByBid(want)) {
			t.Fatalf("Auto (up to %d) on %d bids: %s %v, want %s %v", auto.ExactUpTo, len(r.Bids),
				got.Mechanism, outcomeByBid(got), want.Mechanism, outcomeByBid(want))
		}
	})
}

func TestAutoValidate(t *testing.T) {
	if err := (auction.Auto{}).Validate(); err != nil {
		t.Errorf("zero Auto: %v", err)
	}
	if _, err := (auction.Auto{Exact: auction.Exact{MaxNodes: -1}}).Clear(auction.Round{}); err == nil {
		t.Error("Auto with an invalid Exact cleared a round")
	}
}

// cloneRound returns r with its own calendar, as each mechanism books
// into the round's.
func cloneRound(r auction.Round) auction.Round {
	r.Calendar = r.Calendar.Clone()
	return r
}
