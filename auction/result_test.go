package auction_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
)

// summaryRound is a round in which two of three bids win.
func summaryRound(t *testing.T) auction.Round {
	t.Helper()
	cat, err := bundle.NewCatalog(bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel})
	if err != nil {
		t.Fatal(err)
	}
	minute := func(cpu int64) bundle.Bundle {
		return bundle.Bundle{Quantities: bundle.Quantities{"cpu": cpu}, Window: bundle.Window{Duration: time.Minute}}
	}
	return auction.Round{
		Number: 3,
		At:     time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC),
		Bids: []auction.Bid{
			{ID: "b1", Agent: "a", Bundle: minute(50), Limit: apd.New(2, 0), Seq: 1},
			{ID: "b2", Agent: "b", Bundle: minute(40), Limit: apd.New(3, 0), Seq: 2},
			{ID: "b3", Agent: "c", Bundle: minute(30), Limit: apd.New(1, 0), Seq: 3},
		},
		Calendar: bundle.NewCalendar(cat),
		Reserve:  bundle.Prices{"cpu": apd.New(1, -4)},
		Scale:    6,
	}
}

func TestSummarizeAgreesWithGreedy(t *testing.T) {
	r := summaryRound(t)
	res, err := auction.Greedy{}.Clear(r)
	if err != nil {
		t.Fatal(err)
	}
	got := auction.Result{Round: res.Round, Mechanism: res.Mechanism, Allocations: res.Allocations,
		Rejections: res.Rejections, Prices: res.Prices, OptimalWelfare: res.OptimalWelfare}
	if err := auction.Summarize(r, &got); err != nil {
		t.Fatal(err)
	}
	if res.Welfare == nil {
		got.Welfare = nil // the mechanism does not compute it
	}
	decimals := cmp.Comparer(func(x, y *apd.Decimal) bool { return (x == nil) == (y == nil) && (x == nil || x.Cmp(y) == 0) })
	if diff := cmp.Diff(res, got, decimals); diff != "" {
		t.Errorf("Summarize differs from the mechanism's own figures (-greedy +summarize):\n%s", diff)
	}
	if err := auction.Verify(r, got); err != nil {
		t.Errorf("Verify(summarized) = %v", err)
	}
}

func TestSummarizeWelfare(t *testing.T) {
	r := summaryRound(t)
	res, err := auction.Greedy{}.Clear(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := auction.Summarize(r, &res); err != nil {
		t.Fatal(err)
	}
	// Winners b2 (limit 3) and b1 (limit 2) use 40 and 50 cpu for 60 s at
	// a reserve of 0.0001: costs 0.24 and 0.30.
	if want := apd.New(446, -2); res.Welfare.Cmp(want) != 0 {
		t.Errorf("Welfare = %s, want %s", res.Welfare.Text('f'), want.Text('f'))
	}
}

func TestSummarizeRejectsAllocationWithoutPayment(t *testing.T) {
	r := summaryRound(t)
	res := auction.Result{Allocations: []auction.Allocation{{Bid: r.Bids[0], Bundle: r.Bids[0].Bundle}}}
	if err := auction.Summarize(r, &res); !errors.Is(err, auction.ErrInvalidResult) {
		t.Errorf("Summarize = %v, want ErrInvalidResult", err)
	}
}
