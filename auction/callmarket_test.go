package auction_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

func TestCallMarketClear(t *testing.T) {
	cpu := func(n int64) bundle.Quantities { return bundle.Quantities{"cpu": n} }
	// Per unit-second: a 7.2/3600 = 0.002, b 2.7/1800 = 0.0015, c 1.44/1200
	// = 0.0012, e 1/5000 = 0.0002. The operator sells 100 cpu at 0.001 and
	// 1000 memory at 0.0001.
	r := testRound(t,
		bid(t, "a", "7.2", 1, cpu(60), 60),
		bid(t, "b", "2.7", 2, cpu(30), 60),
		bid(t, "c", "1.44", 3, cpu(20), 60),
		bid(t, "d", "9", 4, bundle.Quantities{"cpu": 10, "memory": 10}, 60),
		bid(t, "e", "1", 5, bundle.Quantities{"memory": 500}, 10),
		bid(t, "f", "0.01", 6, cpu(10), 60),
	)
	res, err := auction.CallMarket{}.Clear(r)
	if err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// cpu: q = 100 lots (a 60, b 30, c 10 of 20); b_{q+1} = 1200 ticks
	// (c's next lot) and no s_{q+1}: [lo, hi] = [1200, 1200]. c, partly
	// filled, loses. a pays 0.0012 × 60 × 60, b 0.0012 × 30 × 60.
	// memory: e's 500 lots against 1000; s_{q+1} = 100 ticks: the reserve.
	want := outcome{
		Winners:    []string{"a pays 4.320000", "b pays 2.160000", "e pays 0.500000"},
		Rejections: []string{"c outbid", "d invalid_bundle", "f below_reserve"},
		Prices:     map[string]string{"cpu": "0.001200", "memory": "0.000100"},
		Volume:     bundle.Quantities{"cpu": 90, "memory": 500},
		Revenue:    "6.980000", Surplus: "3.920000",
	}
	if diff := cmp.Diff(want, outcomeOf(res)); diff != "" {
		t.Errorf("Clear (-want +got):\n%s", diff)
	}
	// Welfare: (7.2 − 3.6) + (2.7 − 1.8) + (1 − 0.5).
	if res.Welfare == nil || res.Welfare.Cmp(dec(t, "5")) != 0 || res.OptimalWelfare != nil {
		t.Errorf("Welfare = %s, OptimalWelfare = %v; want 5, nil", text(res.Welfare), res.OptimalWelfare)
	}
	if got := res.Utilisation["cpu"].Text('f'); got != "0.9000" {
		t.Errorf("cpu utilisation %s, want 0.9000", got)
	}
	if res.Mechanism != "call-kda" {
		t.Errorf("Mechanism = %q, want call-kda", res.Mechanism)
	}
}

func TestCallMarketNoCapacity(t *testing.T) {
	r := testRound(t, bid(t, "a", "10", 1, bundle.Quantities{"cpu": 10}, 60))
	if err := r.Calendar.Book("full", bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 100}, Window: bundle.Window{Start: t0, Duration: 3600e9},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := auction.CallMarket{Rule: auction.McAfee{}}.Clear(r)
	if err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got := reasons(res); got["a"] != events.ReasonOutbid || len(res.Allocations) != 0 {
		t.Errorf("rejections %v, %d allocations; want a outbid", got, len(res.Allocations))
	}
}

func TestCallMarketErrors(t *testing.T) {
	r := testRound(t, bid(t, "a", "10", 1, bundle.Quantities{"cpu": 10}, 60))
	r.Calendar = nil
	if _, err := (auction.CallMarket{}).Clear(r); err == nil {
		t.Error("Clear of a round without a calendar succeeded")
	}
	// A reserve of 10^12 ticks does not fit MaxTicks.
	r = testRound(t, bid(t, "a", "1e9", 1, bundle.Quantities{"cpu": 1}, 1))
	r.Reserve["cpu"] = dec(t, "1000000")
	if _, err := (auction.CallMarket{}).Clear(r); err == nil || r.Calendar.Len() != 0 {
		t.Errorf("Clear with a reserve beyond MaxTicks: %v, %d booked", err, r.Calendar.Len())
	}
	r = testRound(t, bid(t, "a", "10", 1, bundle.Quantities{"cpu": 10}, 60))
	if _, err := (auction.CallMarket{Rule: auction.SBBA{}}).Clear(r); err == nil || r.Calendar.Len() != 0 {
		t.Errorf("Clear with an SBBA without Rand: %v, %d booked", err, r.Calendar.Len())
	}
}

// singleResource returns b asking, most of the time, for only the first of
// its resources.
func singleResource(t *rapid.T, b auction.Bid) auction.Bid {
	names := b.Bundle.Quantities.Names()
	if len(names) > 1 && rapid.IntRange(0, 9).Draw(t, "keep bundle") > 0 {
		b.Bundle.Quantities = bundle.Quantities{names[0]: b.Bundle.Quantities[names[0]]}
	}
	return b
}

// clearCall clears a random round of m with a random rule, checks the
// result with Verify and what Verify does not check, and that clearing the
// same round again gives the same result.
func (m *market) clearCall(t *rapid.T) {
	bids := make([]auction.Bid, rapid.IntRange(0, 10).Draw(t, "bids"))
	for i := range bids {
		bids[i] = singleResource(t, m.drawBid(t, fmt.Sprintf("r%d-b%d", m.round+1, i)))
	}
	seed := rapid.Uint64().Draw(t, "seed")
	rule := func() auction.CallRule {
		return []auction.CallRule{
			auction.KDA{}, auction.KDA{K: auction.Fraction{Num: 1, Den: 3}}, auction.McAfee{},
			auction.SBBA{Rand: rand.New(rand.NewPCG(seed, m.round)).Int64N},
		}[rapid.IntRange(0, 3).Draw(t, "rule")]
	}
	mech := auction.CallMarket{Rule: rule()}
	r := auction.Round{Number: m.round + 1, At: m.now, Bids: bids, Calendar: m.cal.Clone(), Reserve: m.reserve, Scale: m.scale}
	res, err := mech.Clear(r)
	if err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatal(err)
	}
	m.checkCallMarket(t, r, res)
	again := r
	again.Calendar = m.cal.Clone()
	if sbba, ok := mech.Rule.(auction.SBBA); ok {
		sbba.Rand = rand.New(rand.NewPCG(seed, m.round)).Int64N
		mech.Rule = sbba
	}
	res2, err := mech.Clear(again)
	if err != nil {
		t.Fatalf("second Clear: %v", err)
	}
	if diff := cmp.Diff(res, res2, decimalsByText); diff != "" {
		t.Fatalf("clearing the same round twice differs (-first +second):\n%s", diff)
	}
	m.cal, m.round = r.Calendar, r.Number
	for _, name := range m.cat.Names() {
		next, err := auction.UtilisationRule{}.Next(m.reserve[name], res.Utilisation[name], m.scale)
		if err != nil {
			t.Fatalf("reserve of %q: %v", name, err)
		}
		m.reserve[name] = next
	}
}

// checkCallMarket checks that winners ask for one resource and pay at least
// its reserve cost, and that the welfare adds up.
func (m *market) checkCallMarket(t *rapid.T, r auction.Round, res auction.Result) {
	welfare := new(apd.Decimal)
	for _, a := range res.Allocations {
		if len(a.Bundle.Quantities) != 1 {
			t.Fatalf("bid %s wins a bundle of %d resources", a.Bid.ID, len(a.Bundle.Quantities))
		}
		cost, err := bundle.Cost(exactCtx, a.Bundle, r.Reserve)
		if err != nil {
			t.Fatal(err)
		}
		if a.Payment.Cmp(cost) < 0 {
			t.Fatalf("bid %s pays %s, below its reserve cost %s", a.Bid.ID, a.Payment.Text('f'), cost.Text('f'))
		}
		var gain apd.Decimal
		if _, err := exactCtx.Sub(&gain, a.Bid.Limit, cost); err != nil {
			t.Fatal(err)
		}
		if _, err := exactCtx.Add(welfare, welfare, &gain); err != nil {
			t.Fatal(err)
		}
	}
	if res.Welfare == nil || res.Welfare.Cmp(welfare) != 0 || res.OptimalWelfare != nil {
		t.Fatalf("welfare %v, optimal %v; want %s, nil", res.Welfare, res.OptimalWelfare, welfare.Text('f'))
	}
}

func TestCallMarketProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newMarket(t, auction.Greedy{})
		t.Repeat(map[string]func(*rapid.T){
			"clear":   m.clearCall,
			"advance": m.advance,
			"":        m.check,
		})
	})
}
