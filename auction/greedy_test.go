package auction_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestGreedyName(t *testing.T) {
	if got := (auction.Greedy{}).Name(); got != "greedy" {
		t.Errorf("Name() = %q, want greedy", got)
	}
}

func TestGreedyClear(t *testing.T) {
	cpu := func(n int64) bundle.Quantities { return bundle.Quantities{"cpu": n} }
	tests := []struct {
		name string
		bids func(testing.TB) []auction.Bid
		want outcome
	}{{
		name: "no bids: reserve prices",
		bids: func(testing.TB) []auction.Bid { return nil },
		want: outcome{
			Prices:  map[string]string{"cpu": "0.001000", "memory": "0.000100"},
			Volume:  bundle.Quantities{"cpu": 0, "memory": 0},
			Revenue: "0", Surplus: "0",
		},
	}, {
		// a: R = 10×60×0.001 + 100×60×0.0001 = 1.2; b: R = 2.4.
		name: "no contention: reserve prices",
		bids: func(tb testing.TB) []auction.Bid {
			return []auction.Bid{
				bid(tb, "a", "5", 1, bundle.Quantities{"cpu": 10, "memory": 100}, 60),
				bid(tb, "b", "3", 2, bundle.Quantities{"cpu": 20, "memory": 200}, 60),
			}
		},
		want: outcome{
			Winners: []string{"a pays 1.200000", "b pays 2.400000"},
			Prices:  map[string]string{"cpu": "0.001000", "memory": "0.000100"},
			Volume:  bundle.Quantities{"cpu": 30, "memory": 300},
			Revenue: "3.600000", Surplus: "4.400000",
		},
	}, {
		// a (ratio 10/3.6) and c (4/2.4) fill the cpu; b (6/3) is outbid.
		// λ = min(4/2.4, 6/3) = 4/2.4, set by c: cpu 0.001×4/2.4 = 0.0016666…
		name: "contention: prices rise to the lowest winning ratio",
		bids: func(tb testing.TB) []auction.Bid {
			return []auction.Bid{
				bid(tb, "a", "10", 1, cpu(60), 60),
				bid(tb, "b", "6", 2, cpu(50), 60),
				bid(tb, "c", "4", 3, cpu(40), 60),
			}
		},
		want: outcome{
			Winners:    []string{"a pays 5.997600", "c pays 3.998400"},
			Rejections: []string{"b outbid"},
			Prices:     map[string]string{"cpu": "0.001666", "memory": "0.000166"},
			Volume:     bundle.Quantities{"cpu": 100, "memory": 0},
			Revenue:    "9.996000", Surplus: "4.004000",
		},
	}, {
		// a (ratio 12/6 = 2) wins everything; b (0.9/0.6 = 1.5) sets λ.
		name: "contention: prices rise to the highest losing ratio",
		bids: func(tb testing.TB) []auction.Bid {
			return []auction.Bid{
				bid(tb, "a", "12", 1, cpu(100), 60),
				bid(tb, "b", "0.9", 2, cpu(10), 60),
			}
		},
		want: outcome{
			Winners:    []string{"a pays 9.000000"},
			Rejections: []string{"b outbid"},
			Prices:     map[string]string{"cpu": "0.001500", "memory": "0.000150"},
			Volume:     bundle.Quantities{"cpu": 100, "memory": 0},
			Revenue:    "9.000000", Surplus: "3.000000",
		},
	}, {
		name: "outbid at the reserve leaves reserve prices",
		bids: func(tb testing.TB) []auction.Bid {
			return []auction.Bid{
				bid(tb, "a", "12", 1, cpu(100), 60),
				bid(tb, "b", "0.6", 2, cpu(10), 60),
			}
		},
		want: outcome{
			Winners:    []string{"a pays 6.000000"},
			Rejections: []string{"b outbid"},
			Prices:     map[string]string{"cpu": "0.001000", "memory": "0.000100"},
			Volume:     bundle.Quantities{"cpu": 100, "memory": 0},
			Revenue:    "6.000000", Surplus: "6.000000",
		},
	}, {
		name: "equal limits: lower Seq first",
		bids: func(tb testing.TB) []auction.Bid {
			return []auction.Bid{
				bid(tb, "a", "8", 2, cpu(100), 60),
				bid(tb, "b", "8", 1, cpu(100), 60),
			}
		},
		want: outcome{
			Winners:    []string{"b pays 7.998000"},
			Rejections: []string{"a outbid"},
			Prices:     map[string]string{"cpu": "0.001333", "memory": "0.000133"},
			Volume:     bundle.Quantities{"cpu": 100, "memory": 0},
			Revenue:    "7.998000", Surplus: "0.002000",
		},
	}, {
		name: "equal limits and Seq: lower ID first",
		bids: func(tb testing.TB) []auction.Bid {
			return []auction.Bid{
				bid(tb, "y", "8", 1, cpu(100), 60),
				bid(tb, "x", "8", 1, cpu(100), 60),
			}
		},
		want: outcome{
			Winners:    []string{"x pays 7.998000"},
			Rejections: []string{"y outbid"},
			Prices:     map[string]string{"cpu": "0.001333", "memory": "0.000133"},
			Volume:     bundle.Quantities{"cpu": 100, "memory": 0},
			Revenue:    "7.998000", Surplus: "0.002000",
		},
	}, {
		name: "future windows that do not overlap both win",
		bids: func(tb testing.TB) []auction.Bid {
			return []auction.Bid{
				bid(tb, "now", "9", 1, cpu(100), 60),
				startingAt(bid(tb, "later", "9", 2, cpu(100), 60), at(60)),
				startingAt(bid(tb, "between", "9", 3, cpu(1), 60), at(30)),
			}
		},
		want: outcome{
			Winners:    []string{"now pays 9.000000", "later pays 9.000000"},
			Rejections: []string{"between outbid"},
			Prices:     map[string]string{"cpu": "0.001500", "memory": "0.000150"},
			Volume:     bundle.Quantities{"cpu": 200, "memory": 0},
			Revenue:    "18.000000", Surplus: "0.000000",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRound(t, tt.bids(t)...)
			res := clear(t, r)
			if diff := cmp.Diff(tt.want, outcomeOf(res)); diff != "" {
				t.Errorf("Clear (-want +got):\n%s", diff)
			}
			if res.Round != 1 || res.Mechanism != "greedy" {
				t.Errorf("Round, Mechanism = %d, %q; want 1, greedy", res.Round, res.Mechanism)
			}
		})
	}
}

func TestGreedyRejectReasons(t *testing.T) {
	cpu := bundle.Quantities{"cpu": 10}
	withLimit := func(b auction.Bid, d *apd.Decimal) auction.Bid { b.Limit = d; return b }
	withWindow := func(b auction.Bid, d time.Duration) auction.Bid { b.Bundle.Window.Duration = d; return b }
	tests := []struct {
		name string
		bid  func(testing.TB) auction.Bid
		want events.RejectReason
	}{
		{"starts before the round", func(tb testing.TB) auction.Bid {
			return startingAt(bid(tb, "x", "5", 1, cpu, 60), at(-1))
		}, events.ReasonExpired},
		{"expired before invalid", func(tb testing.TB) auction.Bid {
			return startingAt(bid(tb, "x", "0", 1, bundle.Quantities{"gpu": 1}, 60), at(-1))
		}, events.ReasonExpired},
		{"unknown resource", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "5", 1, bundle.Quantities{"gpu": 1}, 60)
		}, events.ReasonInvalidBundle},
		{"zero quantity", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "5", 1, bundle.Quantities{"cpu": 0}, 60)
		}, events.ReasonInvalidBundle},
		{"negative quantity", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "5", 1, bundle.Quantities{"cpu": -1}, 60)
		}, events.ReasonInvalidBundle},
		{"no quantities", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "5", 1, nil, 60)
		}, events.ReasonInvalidBundle},
		{"fractional seconds", func(tb testing.TB) auction.Bid {
			return withWindow(bid(tb, "x", "5", 1, cpu, 60), 1500*time.Millisecond)
		}, events.ReasonInvalidBundle},
		{"zero duration", func(tb testing.TB) auction.Bid {
			return withWindow(bid(tb, "x", "5", 1, cpu, 60), 0)
		}, events.ReasonInvalidBundle},
		{"nil limit", func(tb testing.TB) auction.Bid {
			return withLimit(bid(tb, "x", "5", 1, cpu, 60), nil)
		}, events.ReasonInvalidBundle},
		{"zero limit", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "0", 1, cpu, 60)
		}, events.ReasonInvalidBundle},
		{"negative limit", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "-5", 1, cpu, 60)
		}, events.ReasonInvalidBundle},
		{"NaN limit", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "NaN", 1, cpu, 60)
		}, events.ReasonInvalidBundle},
		{"infinite limit", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "Infinity", 1, cpu, 60)
		}, events.ReasonInvalidBundle},
		{"limit too large", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "1E+34", 1, cpu, 60)
		}, events.ReasonInvalidBundle},
		{"limit with too many digits", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "1.00000000000000000000000000000000001", 1, cpu, 60)
		}, events.ReasonInvalidBundle},
		{"over capacity", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "5", 1, bundle.Quantities{"cpu": 101}, 60)
		}, events.ReasonExceedsCapacity},
		{"over capacity and unknown resource", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "5", 1, bundle.Quantities{"cpu": 101, "gpu": 1}, 60)
		}, events.ReasonInvalidBundle},
		{"over capacity and bad window", func(tb testing.TB) auction.Bid {
			return withWindow(bid(tb, "x", "5", 1, bundle.Quantities{"cpu": 101}, 60), 0)
		}, events.ReasonInvalidBundle},
		{"over capacity and zero limit", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "0", 1, bundle.Quantities{"cpu": 101}, 60)
		}, events.ReasonInvalidBundle},
		{"below reserve", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "0.599999", 1, cpu, 60) // R = 0.6
		}, events.ReasonBelowReserve},
		{"tiny limit is below reserve", func(tb testing.TB) auction.Bid {
			return bid(tb, "x", "1E-99999", 1, cpu, 60)
		}, events.ReasonBelowReserve},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.bid(t)
			r := testRound(t, b)
			res := clear(t, r)
			if len(res.Rejections) != 1 || len(res.Allocations) != 0 {
				t.Fatalf("got %d allocations, %d rejections; want one rejection", len(res.Allocations), len(res.Rejections))
			}
			rej := res.Rejections[0]
			if rej.Reason != tt.want || rej.Detail == "" {
				t.Errorf("reason %q (detail %q), want %q with a detail", rej.Reason, rej.Detail, tt.want)
			}
			if r.Calendar.Len() != 0 {
				t.Errorf("calendar has %d bookings after a rejection", r.Calendar.Len())
			}
		})
	}
}

func TestGreedyLimitAtReserveWins(t *testing.T) {
	r := testRound(t, bid(t, "x", "0.6", 1, bundle.Quantities{"cpu": 10}, 60))
	res := clear(t, r)
	want := []string{"x pays 0.600000"}
	if diff := cmp.Diff(want, outcomeOf(res).Winners); diff != "" {
		t.Errorf("winners (-want +got):\n%s", diff)
	}
}

func TestGreedyBooksOnTopOfCalendar(t *testing.T) {
	r := testRound(t,
		bid(t, "fits", "1", 2, bundle.Quantities{"cpu": 40}, 10),
		bid(t, "too-big", "9", 1, bundle.Quantities{"cpu": 41}, 10),
	)
	if err := r.Calendar.Book("earlier", bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 60, "memory": 500},
		Window:     bundle.Window{Start: at(-30), Duration: time.Minute},
	}); err != nil {
		t.Fatal(err)
	}
	res := clear(t, r)
	if diff := cmp.Diff(map[string]events.RejectReason{"too-big": events.ReasonOutbid}, reasons(res)); diff != "" {
		t.Errorf("rejections (-want +got):\n%s", diff)
	}
	wantUtil := map[string]string{"cpu": "1.0000", "memory": "0.5000"}
	gotUtil := map[string]string{}
	for name, u := range res.Utilisation {
		gotUtil[name] = text(u)
	}
	if diff := cmp.Diff(wantUtil, gotUtil); diff != "" {
		t.Errorf("utilisation (-want +got):\n%s", diff)
	}
	if r.Calendar.Len() != 2 {
		t.Errorf("calendar has %d bookings, want 2", r.Calendar.Len())
	}
}

func TestGreedyFixesWindowStart(t *testing.T) {
	r := testRound(t,
		bid(t, "asap", "5", 1, bundle.Quantities{"cpu": 1}, 60),
		startingAt(bid(t, "later", "5", 2, bundle.Quantities{"cpu": 1}, 60), at(600)),
	)
	res := clear(t, r)
	got := map[string]time.Time{}
	for _, a := range res.Allocations {
		got[a.Bid.ID] = a.Bundle.Window.Start
	}
	want := map[string]time.Time{"asap": t0, "later": at(600)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("window starts (-want +got):\n%s", diff)
	}
	if !r.Bids[0].Bundle.Window.Start.IsZero() {
		t.Errorf("Clear changed the round's bid: start %v", r.Bids[0].Bundle.Window.Start)
	}
}

func TestGreedyDeterministic(t *testing.T) {
	var bids []auction.Bid
	for i, limit := range []string{"3", "7.5", "7.5", "2", "11", "0.1", "6"} {
		q := bundle.Quantities{"cpu": int64(15 + 10*i), "memory": int64(100 * (i + 1))}
		bids = append(bids, bid(t, string(rune('a'+i)), limit, uint64(7-i), q, int64(30*(i%3+1))))
	}
	r := testRound(t, bids...)
	base := r.Calendar.Clone()
	r1, r2 := r, r
	r1.Calendar, r2.Calendar = base.Clone(), base.Clone()
	res1, res2 := clear(t, r1), clear(t, r2)
	if diff := cmp.Diff(res1, res2, decimalsByText); diff != "" {
		t.Errorf("two clearings of the same round differ (-first +second):\n%s", diff)
	}
	if len(res1.Allocations) == 0 || len(res1.Rejections) == 0 {
		t.Errorf("want winners and losers, got %d and %d", len(res1.Allocations), len(res1.Rejections))
	}
}

func TestGreedyResultOwnsItsMemory(t *testing.T) {
	r := testRound(t, bid(t, "x", "5", 1, bundle.Quantities{"cpu": 10}, 60))
	res := clear(t, r)
	r.Bids[0].Limit.SetInt64(1)
	r.Bids[0].Bundle.Quantities["cpu"] = 99
	a := res.Allocations[0]
	if text(a.Bid.Limit) != "5" || a.Bid.Bundle.Quantities["cpu"] != 10 || a.Bundle.Quantities["cpu"] != 10 {
		t.Errorf("result changed with the round's bid: limit %s, quantities %v and %v",
			text(a.Bid.Limit), a.Bid.Bundle.Quantities, a.Bundle.Quantities)
	}
}

func TestGreedyInvalidRound(t *testing.T) {
	tests := []struct {
		name   string
		modify func(testing.TB, *auction.Round)
	}{
		{"no calendar", func(_ testing.TB, r *auction.Round) { r.Calendar = nil }},
		{"zero instant", func(_ testing.TB, r *auction.Round) { r.At = time.Time{} }},
		{"negative scale", func(_ testing.TB, r *auction.Round) { r.Scale = -1 }},
		{"scale too large", func(_ testing.TB, r *auction.Round) { r.Scale = auction.MaxScale + 1 }},
		{"missing reserve", func(_ testing.TB, r *auction.Round) { delete(r.Reserve, "memory") }},
		{"nil reserve", func(_ testing.TB, r *auction.Round) { r.Reserve["memory"] = nil }},
		{"zero reserve", func(tb testing.TB, r *auction.Round) { r.Reserve["cpu"] = dec(tb, "0") }},
		{"negative reserve", func(tb testing.TB, r *auction.Round) { r.Reserve["cpu"] = dec(tb, "-0.001") }},
		{"NaN reserve", func(tb testing.TB, r *auction.Round) { r.Reserve["cpu"] = dec(tb, "NaN") }},
		{"reserve finer than scale", func(tb testing.TB, r *auction.Round) { r.Reserve["cpu"] = dec(tb, "0.0000001") }},
		{"reserve too large", func(tb testing.TB, r *auction.Round) { r.Reserve["cpu"] = dec(tb, "1E+40") }},
		{"reserve for unknown resource", func(tb testing.TB, r *auction.Round) { r.Reserve["gpu"] = dec(tb, "1") }},
		{"empty bid id", func(tb testing.TB, r *auction.Round) {
			r.Bids = append(r.Bids, bid(tb, "", "5", 9, bundle.Quantities{"cpu": 1}, 60))
		}},
		{"duplicate bid id", func(tb testing.TB, r *auction.Round) {
			r.Bids = append(r.Bids, bid(tb, "a", "5", 9, bundle.Quantities{"cpu": 1}, 60))
		}},
		{"bid id already booked", func(tb testing.TB, r *auction.Round) {
			if err := r.Calendar.Book("b", bundle.Bundle{
				Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Start: at(-10), Duration: time.Hour},
			}); err != nil {
				tb.Fatal(err)
			}
			r.Bids = append(r.Bids, bid(tb, "b", "5", 9, bundle.Quantities{"cpu": 1}, 60))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRound(t, bid(t, "a", "5", 1, bundle.Quantities{"cpu": 1}, 60))
			tt.modify(t, &r)
			var before int
			if r.Calendar != nil {
				before = r.Calendar.Len()
			}
			_, err := auction.Greedy{}.Clear(r)
			if !errors.Is(err, auction.ErrInvalidRound) {
				t.Fatalf("Clear: %v, want ErrInvalidRound", err)
			}
			if r.Calendar != nil && r.Calendar.Len() != before {
				t.Errorf("calendar went from %d to %d bookings on a rejected round", before, r.Calendar.Len())
			}
		})
	}
}

func TestRoundValidateAcceptsCoarseReserve(t *testing.T) {
	r := testRound(t)
	r.Reserve["cpu"] = dec(t, "2")
	r.Reserve["memory"] = dec(t, "0.10000000") // trailing zeros beyond the scale
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	res := clear(t, r)
	if got := text(res.Prices["cpu"]) + " " + text(res.Prices["memory"]); got != "2.000000 0.100000" {
		t.Errorf("prices %s, want 2.000000 0.100000", got)
	}
}

// TestGreedyConcurrentRounds clears rounds on separate calendars from
// several goroutines: Greedy and UtilisationRule share nothing mutable.
func TestGreedyConcurrentRounds(t *testing.T) {
	r := testRound(t,
		bid(t, "a", "10", 1, bundle.Quantities{"cpu": 60}, 60),
		bid(t, "b", "6", 2, bundle.Quantities{"cpu": 50}, 60),
		bid(t, "c", "4", 3, bundle.Quantities{"cpu": 40}, 60),
	)
	want := outcomeOf(clear(t, auction.Round{
		Number: r.Number, At: r.At, Bids: r.Bids, Calendar: r.Calendar.Clone(), Reserve: r.Reserve, Scale: r.Scale,
	}))
	results := make(chan outcome, 8)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			rr := r
			rr.Calendar = r.Calendar.Clone()
			res, err := auction.Greedy{}.Clear(rr)
			if err == nil {
				_, err = auction.UtilisationRule{}.Next(res.Prices["cpu"], res.Utilisation["cpu"], rr.Scale)
			}
			errs <- err
			results <- outcomeOf(res)
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, <-results); diff != "" {
			t.Errorf("concurrent clearing (-want +got):\n%s", diff)
		}
	}
}

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
