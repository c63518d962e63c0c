package auction_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// exactRound draws a small round: 2 or 3 resources, up to maxBids bids
// (some malformed, as drawBid draws them) with windows starting when
// cleared or later, over a calendar that may already hold a booking. It
// returns the round and a clone of its calendar before clearing.
func exactRound(t *rapid.T, maxBids int) (auction.Round, *bundle.Calendar) {
	var rs []bundle.Resource
	for i := range rapid.IntRange(2, 3).Draw(t, "resources") {
		rs = append(rs, bundle.Resource{Name: fmt.Sprintf("r%d", i), Capacity: rapid.Int64Range(1, 20).Draw(t, "capacity")})
	}
	cat, err := bundle.NewCatalog(rs...)
	if err != nil {
		t.Fatal(err)
	}
	m := &market{cat: cat, cal: bundle.NewCalendar(cat), now: t0, reserve: bundle.Prices{}, scale: rapid.Int32Range(0, 4).Draw(t, "scale")}
	for _, name := range cat.Names() {
		m.reserve[name] = apd.New(rapid.Int64Range(1, 100).Draw(t, "reserve ticks"), -m.scale)
	}
	if rapid.Bool().Draw(t, "booked") {
		q := bundle.Quantities{"r0": rapid.Int64Range(1, rs[0].Capacity).Draw(t, "booked q")}
		w := bundle.Window{Start: t0.Add(time.Duration(rapid.Int64Range(-5, 60).Draw(t, "booked start")) * time.Second), Duration: 30 * time.Second}
		if err := m.cal.Book("old", bundle.Bundle{Quantities: q, Window: w}); err != nil {
			t.Fatal(err)
		}
	}
	n := rapid.IntRange(0, maxBids).Draw(t, "bids")
	bids := make([]auction.Bid, n)
	for i := range bids {
		bids[i] = m.drawBid(t, fmt.Sprintf("b%d", i))
	}
	if n > 1 && rapid.Bool().Draw(t, "equal limits") {
		bids[1].Limit = bids[0].Limit
	}
	r := auction.Round{Number: 1, At: t0, Bids: bids, Calendar: m.cal.Clone(), Reserve: m.reserve, Scale: m.scale}
	return r, m.cal
}

// clearExact clears a clone of r with e, checks the result with Verify
// (which checks that every allocation fits capacity) and checks the VCG
// bounds: every payment between its reserve cost and its limit.
func clearExact(t *rapid.T, e auction.Exact, r auction.Round) (auction.Round, auction.Result, auction.ExactStats) {
	r.Calendar = r.Calendar.Clone()
	res, stats, err := e.ClearStats(r)
	if err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Allocations {
		cost := reserveCost(t, a.Bundle, r.Reserve)
		if a.Payment.Cmp(cost) < 0 || a.Payment.Cmp(a.Bid.Limit) > 0 {
			t.Fatalf("bid %s pays %s, outside [reserve cost %s, limit %s]", a.Bid.ID, text(a.Payment), text(cost), text(a.Bid.Limit))
		}
	}
	if stats.Optimal != (res.OptimalWelfare != nil) {
		t.Fatalf("optimal %t but OptimalWelfare %s", stats.Optimal, text(res.OptimalWelfare))
	}
	return r, res, stats
}

// TestExactProperties checks Exact on small random rounds: its welfare is
// the brute-force optimum, at least Greedy's by value and by density; its
// payments lie between reserve cost and limit (Verify and clearExact);
// clearing twice, or with the bids shuffled, gives the same result.
func TestExactProperties(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		r, before := exactRound(t, 10)
		after, res, stats := clearExact(t, auction.Exact{}, r)
		if !stats.Proven {
			t.Fatalf("round of %d bids not proven optimal: %+v", len(r.Bids), stats)
		}
		checkWelfare(t, after, before, res) // Welfare adds up, and ≤ OptimalWelfare
		var contenders []auction.Bid
		for _, a := range res.Allocations {
			contenders = append(contenders, a.Bid)
		}
		for _, rej := range res.Rejections {
			if rej.Reason == events.ReasonOutbid {
				contenders = append(contenders, rej.Bid)
			}
		}
		if best := bruteForceWelfare(t, r, before, contenders); res.Welfare.Cmp(best) != 0 {
			t.Fatalf("welfare %s, brute force %s", text(res.Welfare), text(best))
		}
		checkVCGPayments(t, r, before, res, contenders)
		for _, g := range []auction.Greedy{{}, {Order: auction.ByDensity, Payment: auction.PayCriticalValue}} {
			gr := r
			gr.Calendar = r.Calendar.Clone()
			gres, err := g.Clear(gr)
			if err != nil {
				t.Fatal(err)
			}
			if gres.Welfare.Cmp(res.Welfare) > 0 {
				t.Fatalf("%s welfare %s above exact %s", g.Name(), text(gres.Welfare), text(res.Welfare))
			}
		}
		_, again, _ := clearExact(t, auction.Exact{}, r)
		if diff := cmp.Diff(res, again, decimalsByText); diff != "" {
			t.Fatalf("clearing the same round twice differs (-first +second):\n%s", diff)
		}
		shuffled := r
		shuffled.Bids = rapid.Permutation(r.Bids).Draw(t, "bid order")
		_, res3, _ := clearExact(t, auction.Exact{}, shuffled)
		if diff := cmp.Diff(outcomeByBid(res), outcomeByBid(res3)); diff != "" {
			t.Fatalf("the order of the bids changes the outcome (-given +shuffled):\n%s", diff)
		}
	})
}

// checkVCGPayments checks that every winner pays its VCG payment, found by
// brute force over the contenders: its reserve cost R plus OPT(−w) − (W −
// v_w), at most its limit, rounded down to the round's scale.
func checkVCGPayments(t *rapid.T, r auction.Round, before *bundle.Calendar, res auction.Result, contenders []auction.Bid) {
	ulp := apd.New(1, -int32(r.Scale))
	for _, a := range res.Allocations {
		others := slices.DeleteFunc(slices.Clone(contenders), func(b auction.Bid) bool { return b.ID == a.Bid.ID })
		fixed := a.Bid.Bundle
		fixed.Window = fixed.Window.At(r.At)
		cost := reserveCost(t, fixed, r.Reserve)
		rest := subDec(t, res.Welfare, subDec(t, a.Bid.Limit, cost)) // W − v_w
		want := addDec(t, cost, subDec(t, bruteForceWelfare(t, r, before, others), rest))
		if want.Cmp(a.Bid.Limit) > 0 {
			want = a.Bid.Limit
		}
		if a.Payment.Cmp(want) > 0 || addDec(t, a.Payment, ulp).Cmp(want) <= 0 {
			t.Fatalf("%s pays %s, its VCG payment is %s (rounded down to %d places)", a.Bid.ID, text(a.Payment), text(want), r.Scale)
		}
	}
}

// TestExactBudget checks Exact with a tiny random node budget on rounds of
// up to 24 bids: never below Greedy's welfare, payments still within
// [reserve cost, limit], and OptimalWelfare only when proven.
func TestExactBudget(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		r, _ := exactRound(t, 24)
		e := auction.Exact{MaxNodes: rapid.IntRange(1, 50).Draw(t, "max nodes")}
		_, res, _ := clearExact(t, e, r)
		for _, g := range []auction.Greedy{{}, {Order: auction.ByDensity}} {
			gr := r
			gr.Calendar = r.Calendar.Clone()
			gres, err := g.Clear(gr)
			if err != nil {
				t.Fatal(err)
			}
			if gres.Welfare.Cmp(res.Welfare) > 0 {
				t.Fatalf("%s welfare %s above exact %s", g.Name(), text(gres.Welfare), text(res.Welfare))
			}
		}
	})
}

// TestExactTruthful checks, on random small rounds of values on the
// round's scale, that no single-minded bidder gains by misreporting its
// value under Exact's VCG payments: its utility (value less payment if it
// wins, else 0) is highest with its true value as limit, over the
// deviations TestCriticalValueTruthful tries.
func TestExactTruthful(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		const scale = 2
		cat, err := bundle.NewCatalog(
			bundle.Resource{Name: "cpu", Capacity: rapid.Int64Range(1, 10).Draw(t, "cpu")},
			bundle.Resource{Name: "memory", Capacity: rapid.Int64Range(1, 10).Draw(t, "memory")},
			bundle.Resource{Name: "tokens", Capacity: rapid.Int64Range(1, 10).Draw(t, "tokens")},
		)
		if err != nil {
			t.Fatal(err)
		}
		base := auction.Round{
			Number: 1, At: t0, Calendar: bundle.NewCalendar(cat), Scale: scale,
			Reserve: bundle.Prices{
				"cpu":    apd.New(rapid.Int64Range(1, 20).Draw(t, "cpu reserve"), -scale),
				"memory": apd.New(1, -scale), "tokens": apd.New(2, -scale),
			},
		}
		for i := range rapid.IntRange(1, 6).Draw(t, "bids") {
			q := bundle.Quantities{}
			for _, r := range cat.Resources() {
				if r.Name == "cpu" || rapid.Bool().Draw(t, "wants "+r.Name) {
					q[r.Name] = rapid.Int64Range(1, r.Capacity).Draw(t, "q")
				}
			}
			w := bundle.Window{Start: t0.Add(time.Duration(rapid.Int64Range(0, 3).Draw(t, "start")) * time.Second),
				Duration: time.Duration(rapid.Int64Range(1, 4).Draw(t, "secs")) * time.Second}
			base.Bids = append(base.Bids, auction.Bid{
				ID: fmt.Sprintf("b%d", i), Agent: fmt.Sprintf("a%d", i), Seq: rapid.Uint64Range(0, 3).Draw(t, "seq"),
				Bundle: bundle.Bundle{Quantities: q, Window: w},
				Limit:  apd.New(rapid.Int64Range(1, 5000).Draw(t, "value"), -scale),
			})
		}
		truthful := exactOutcomes(t, base)
		i := rapid.IntRange(0, len(base.Bids)-1).Draw(t, "bidder")
		value := base.Bids[i].Limit
		want := utility(t, value, truthful[base.Bids[i].ID])
		for _, dev := range deviations(t, base, i, truthful) {
			r := base
			r.Bids = append([]auction.Bid(nil), base.Bids...)
			r.Bids[i].Limit = dev
			got := utility(t, value, exactOutcomes(t, r)[base.Bids[i].ID])
			if got.Cmp(want) > 0 {
				t.Fatalf("bid %s of value %s gains %s reporting %s, over %s truthfully", base.Bids[i].ID, value.Text('f'), got.Text('f'), dev.Text('f'), want.Text('f'))
			}
		}
	})
}

// exactOutcomes clears r with Exact and returns each winner's payment.
func exactOutcomes(t *rapid.T, r auction.Round) map[string]*apd.Decimal {
	_, res, stats := clearExact(t, auction.Exact{}, r)
	if !stats.Proven {
		t.Fatalf("not proven: %+v", stats)
	}
	pays := map[string]*apd.Decimal{}
	for _, a := range res.Allocations {
		pays[a.Bid.ID] = a.Payment
	}
	return pays
}

func TestExactVCG(t *testing.T) {
	// cpu capacity 100. a (60 cpu) and b (60 cpu) conflict; c (40 cpu)
	// fits with either. Values (limit − reserve cost 0.06 per 60 cpu for
	// 1 s, 0.04 for c): a 9.94, b 7.94, c 4.96. a and c win.
	r := testRound(t,
		bid(t, "a", "10", 0, bundle.Quantities{"cpu": 60}, 1),
		bid(t, "b", "8", 1, bundle.Quantities{"cpu": 60}, 1),
		bid(t, "c", "5", 2, bundle.Quantities{"cpu": 40}, 1),
	)
	res, err := auction.Exact{}.Clear(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatal(err)
	}
	// a displaces b: pays 0.06 + (7.94 + 4.96) − 4.96 = 8. c displaces
	// nothing: pays its reserve cost 0.04. The prices are 125 × the
	// reserve: the least of b's Limit/R (8/0.06), the highest outbid, and
	// c's (5/0.04), the lowest winning.
	want := outcome{
		Winners:    []string{"a pays 8.000000", "c pays 0.040000"},
		Rejections: []string{"b outbid"},
		Prices:     map[string]string{"cpu": "0.125000", "memory": "0.012500"},
		Volume:     bundle.Quantities{"cpu": 100, "memory": 0},
		Revenue:    "8.040000",
		Surplus:    "6.960000",
	}
	if diff := cmp.Diff(want, outcomeOf(res)); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if text(res.OptimalWelfare) != text(res.Welfare) {
		t.Errorf("optimal welfare %s, welfare %s", text(res.OptimalWelfare), text(res.Welfare))
	}
}

func TestExactValidate(t *testing.T) {
	for _, n := range []int{-1, auction.MaxExactNodes + 1} {
		if _, err := (auction.Exact{MaxNodes: n}).Clear(testRound(t)); !errors.Is(err, auction.ErrInvalidMechanism) {
			t.Errorf("MaxNodes %d: got %v, want ErrInvalidMechanism", n, err)
		}
	}
	if _, err := (auction.Exact{}).Clear(auction.Round{}); !errors.Is(err, auction.ErrInvalidRound) {
		t.Errorf("empty round: got %v, want ErrInvalidRound", err)
	}
}

// TestExactFallback checks that a round whose values do not fit 64-bit
// units is cleared by Greedy, under Exact's name, and reported as such.
func TestExactFallback(t *testing.T) {
	r := testRound(t,
		bid(t, "a", "1000000000000000000000000", 0, bundle.Quantities{"cpu": 60}, 1),
		bid(t, "b", "1000000000000000000000001", 1, bundle.Quantities{"cpu": 60}, 1),
	)
	res, stats, err := auction.Exact{}.ClearStats(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatal(err)
	}
	if !stats.Fallback || stats.Proven || res.Mechanism != "exact/vcg" || len(res.Allocations) != 1 || res.Allocations[0].Bid.ID != "b" {
		t.Errorf("stats %+v, mechanism %q, allocations %d", stats, res.Mechanism, len(res.Allocations))
	}
}
