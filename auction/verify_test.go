package auction_test

import (
	"errors"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// contested returns a cleared round with winners a and c and loser b.
func contested(tb testing.TB) (auction.Round, auction.Result) {
	tb.Helper()
	r := testRound(tb,
		bid(tb, "a", "10", 1, bundle.Quantities{"cpu": 60, "memory": 10}, 60),
		bid(tb, "b", "6", 2, bundle.Quantities{"cpu": 50}, 60),
		bid(tb, "c", "4", 3, bundle.Quantities{"cpu": 40}, 60),
		bid(tb, "d", "0.01", 4, bundle.Quantities{"cpu": 1}, 60),
	)
	return r, clear(tb, r)
}

func TestVerifyCatchesBrokenResults(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(testing.TB, *auction.Round, *auction.Result)
	}{
		{"wrong round number", func(_ testing.TB, _ *auction.Round, res *auction.Result) { res.Round = 2 }},
		{"bid dropped", func(_ testing.TB, _ *auction.Round, res *auction.Result) { res.Rejections = res.Rejections[1:] }},
		{"bid settled twice", func(_ testing.TB, _ *auction.Round, res *auction.Result) {
			res.Rejections = append(res.Rejections, auction.Rejection{Bid: res.Allocations[0].Bid, Reason: events.ReasonOutbid})
		}},
		{"unknown bid", func(_ testing.TB, _ *auction.Round, res *auction.Result) {
			res.Rejections[0].Bid.ID = "zz"
		}},
		{"rejection without reason", func(_ testing.TB, _ *auction.Round, res *auction.Result) { res.Rejections[0].Reason = "" }},
		{"rejections out of bid order", func(_ testing.TB, _ *auction.Round, res *auction.Result) {
			res.Rejections[0], res.Rejections[1] = res.Rejections[1], res.Rejections[0]
		}},
		{"payment above limit", func(tb testing.TB, _ *auction.Round, res *auction.Result) {
			res.Allocations[1].Payment = dec(tb, "4.000001")
		}},
		{"payment below reserve cost", func(tb testing.TB, _ *auction.Round, res *auction.Result) {
			res.Allocations[1].Payment = dec(tb, "0.000001")
		}},
		{"negative payment", func(tb testing.TB, _ *auction.Round, res *auction.Result) {
			res.Allocations[1].Payment = dec(tb, "-1")
		}},
		{"missing payment", func(_ testing.TB, _ *auction.Round, res *auction.Result) { res.Allocations[1].Payment = nil }},
		{"payment finer than scale", func(tb testing.TB, _ *auction.Round, res *auction.Result) {
			res.Allocations[1].Payment = dec(tb, "3.9984001")
		}},
		{"other quantities", func(_ testing.TB, _ *auction.Round, res *auction.Result) {
			res.Allocations[1].Bundle.Quantities = bundle.Quantities{"cpu": 39}
		}},
		{"other window", func(_ testing.TB, _ *auction.Round, res *auction.Result) {
			res.Allocations[1].Bundle.Window.Start = at(1)
		}},
		{"not booked", func(tb testing.TB, r *auction.Round, _ *auction.Result) {
			r.Calendar = bundle.NewCalendar(testCatalog(tb))
		}},
		{"price missing", func(_ testing.TB, _ *auction.Round, res *auction.Result) { delete(res.Prices, "memory") }},
		{"price below reserve", func(tb testing.TB, _ *auction.Round, res *auction.Result) {
			res.Prices["memory"] = dec(tb, "0.000099")
		}},
		{"price finer than scale", func(tb testing.TB, _ *auction.Round, res *auction.Result) {
			res.Prices["cpu"] = dec(tb, "0.0016661")
		}},
		{"wrong volume", func(_ testing.TB, _ *auction.Round, res *auction.Result) { res.Volume["cpu"]-- }},
		{"wrong utilisation", func(tb testing.TB, _ *auction.Round, res *auction.Result) {
			res.Utilisation["memory"] = dec(tb, "0.0101")
		}},
		{"missing utilisation", func(_ testing.TB, _ *auction.Round, res *auction.Result) { delete(res.Utilisation, "cpu") }},
		{"wrong revenue", func(tb testing.TB, _ *auction.Round, res *auction.Result) {
			sum := new(apd.Decimal)
			if _, err := exactCtx.Add(sum, res.Revenue, dec(tb, "0.000001")); err != nil {
				tb.Fatal(err)
			}
			res.Revenue = sum
		}},
		{"missing surplus", func(_ testing.TB, _ *auction.Round, res *auction.Result) { res.Surplus = nil }},
		{"no calendar", func(_ testing.TB, r *auction.Round, _ *auction.Result) { r.Calendar = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, res := contested(t)
			if err := auction.Verify(r, res); err != nil {
				t.Fatalf("Verify before breaking: %v", err)
			}
			tt.mutate(t, &r, &res)
			if err := auction.Verify(r, res); !errors.Is(err, auction.ErrInvalidResult) {
				t.Errorf("Verify = %v, want ErrInvalidResult", err)
			}
		})
	}
}
