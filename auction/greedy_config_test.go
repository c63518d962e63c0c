package auction_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
)

// configs are every Greedy configuration.
var configs = func() []auction.Greedy {
	var out []auction.Greedy
	for _, o := range []auction.Priority{auction.ByValue, auction.ByDensity} {
		for _, p := range []auction.PaymentRule{auction.PayUniformPrice, auction.PayAsBid, auction.PayCriticalValue} {
			out = append(out, auction.Greedy{Order: o, Payment: p})
		}
	}
	return out
}()

func TestGreedyConfigName(t *testing.T) {
	want := []string{
		"greedy", "greedy/value/pay-as-bid", "greedy/value/critical-value",
		"greedy/density/uniform-price", "greedy/density/pay-as-bid", "greedy/density/critical-value",
	}
	var got []string
	for _, g := range configs {
		got = append(got, g.Name())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestGreedyInvalidConfig(t *testing.T) {
	for _, g := range []auction.Greedy{{Order: 2}, {Order: -1}, {Payment: 3}, {Payment: -1}} {
		if _, err := g.Clear(testRound(t)); !errors.Is(err, auction.ErrInvalidMechanism) {
			t.Errorf("%+v: Clear error %v, want ErrInvalidMechanism", g, err)
		}
	}
}

// TestGreedyPayments checks hand-computed payments. Reserve costs over 10 s
// at 0.001 per cpu-second: a 0.6, b 0.5, c 0.4. By limit and by density
// (a 5²/6, b 3²/5, c 2²/4 with sizes 10 s × cpu/100) the order is a, b, c;
// b does not fit after a, c does.
func TestGreedyPayments(t *testing.T) {
	bids := func(tb testing.TB) []auction.Bid {
		return []auction.Bid{
			bid(tb, "a", "5", 1, bundle.Quantities{"cpu": 60}, 10),
			bid(tb, "b", "3", 2, bundle.Quantities{"cpu": 50}, 10),
			bid(tb, "c", "2", 3, bundle.Quantities{"cpu": 40}, 10),
		}
	}
	tests := []struct {
		g    auction.Greedy
		want []string
	}{
		// λ = min(c's 2/0.4, b's 3/0.5) = 5: cpu at 0.005.
		{auction.Greedy{}, []string{"a pays 3.000000", "c pays 2.000000"}},
		{auction.Greedy{Payment: auction.PayAsBid}, []string{"a pays 5.000000", "c pays 2.000000"}},
		// a must outrank b: 3; nothing after c blocks it: its reserve cost.
		{auction.Greedy{Payment: auction.PayCriticalValue}, []string{"a pays 3.000000", "c pays 0.400000"}},
		// a must outrank b: 3 × √(6/5) = 3.28633534503…, rounded down.
		{auction.Greedy{Order: auction.ByDensity, Payment: auction.PayCriticalValue}, []string{"a pays 3.286335", "c pays 0.400000"}},
	}
	for _, tt := range tests {
		t.Run(tt.g.Name(), func(t *testing.T) {
			r := testRound(t, bids(t)...)
			res := clearWith(t, tt.g, r)
			if diff := cmp.Diff(tt.want, outcomeOf(res).Winners); diff != "" {
				t.Errorf("winners (-want +got):\n%s", diff)
			}
			if got := text(res.Welfare); got != "6.000" {
				t.Errorf("welfare %s, want 6 = (5 - 0.6) + (2 - 0.4)", got)
			}
			// a with c is best: a with b does not fit, b with c gives 4.1.
			if got := text(res.OptimalWelfare); got != "6.000" {
				t.Errorf("optimal welfare %s, want 6", got)
			}
		})
	}
}

// clearWith clears r with g, fails the test on an error, and checks the
// result with auction.Verify.
func clearWith(tb testing.TB, g auction.Greedy, r auction.Round) auction.Result {
	tb.Helper()
	res, err := g.Clear(r)
	if err != nil {
		tb.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	return res
}
