package auction_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"pgregory.net/rapid"
)

// TestCriticalValueTruthful checks, on random small rounds, that no
// single-minded bidder gains by misreporting its value under critical-value
// payments: for each bidder, its utility (value less payment if it wins,
// else 0) with its true value as limit is at least its utility with any of
// many other limits, the other bids unchanged. Values are on the round's
// scale, where the payment's rounding down gives nothing away.
func TestCriticalValueTruthful(t *testing.T) {
	for _, g := range []auction.Greedy{
		{Order: auction.ByDensity, Payment: auction.PayCriticalValue},
		{Order: auction.ByValue, Payment: auction.PayCriticalValue},
	} {
		t.Run(g.Name(), func(t *testing.T) {
			t.Parallel()
			rapid.Check(t, func(t *rapid.T) { checkTruthful(t, g) })
		})
	}
}

func checkTruthful(t *rapid.T, g auction.Greedy) {
	const scale = 2
	cat, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Capacity: rapid.Int64Range(1, 10).Draw(t, "cpu")},
		bundle.Resource{Name: "memory", Capacity: rapid.Int64Range(1, 10).Draw(t, "memory")},
	)
	if err != nil {
		t.Fatal(err)
	}
	base := auction.Round{
		Number: 1, At: t0, Calendar: bundle.NewCalendar(cat), Scale: scale,
		Reserve: bundle.Prices{"cpu": apd.New(rapid.Int64Range(1, 20).Draw(t, "cpu reserve"), -scale), "memory": apd.New(1, -scale)},
	}
	n := rapid.IntRange(1, 6).Draw(t, "bids")
	for i := range n {
		q := bundle.Quantities{"cpu": rapid.Int64Range(1, 10).Draw(t, "cpu q")}
		if rapid.Bool().Draw(t, "memory too") {
			q["memory"] = rapid.Int64Range(1, 10).Draw(t, "memory q")
		}
		for name, v := range q {
			r, _ := cat.Lookup(name)
			q[name] = min(v, r.Capacity)
		}
		w := bundle.Window{Start: t0.Add(time.Duration(rapid.Int64Range(0, 3).Draw(t, "start")) * time.Second),
			Duration: time.Duration(rapid.Int64Range(1, 4).Draw(t, "secs")) * time.Second}
		base.Bids = append(base.Bids, auction.Bid{
			ID: fmt.Sprintf("b%d", i), Agent: fmt.Sprintf("a%d", i), Seq: rapid.Uint64Range(0, 3).Draw(t, "seq"),
			Bundle: bundle.Bundle{Quantities: q, Window: w},
			Limit:  apd.New(rapid.Int64Range(1, 5000).Draw(t, "value"), -scale),
		})
	}
	truthful := outcomes(t, g, base)
	for i, b := range base.Bids {
		value := b.Limit
		want := utility(t, value, truthful[b.ID])
		for _, dev := range deviations(t, base, i, truthful) {
			r := base
			r.Bids = append([]auction.Bid(nil), base.Bids...)
			r.Bids[i].Limit = dev
			r.Calendar = base.Calendar.Clone()
			got := utility(t, value, outcomes(t, g, r)[b.ID])
			if got.Cmp(want) > 0 {
				t.Fatalf("bid %s of value %s gains %s reporting %s, over %s truthfully", b.ID, value.Text('f'), got.Text('f'), dev.Text('f'), want.Text('f'))
			}
		}
	}
}

// outcomes clears r with g and returns each winner's payment.
func outcomes(t *rapid.T, g auction.Greedy, r auction.Round) map[string]*apd.Decimal {
	r.Calendar = r.Calendar.Clone()
	res, err := g.Clear(r)
	if err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatal(err)
	}
	pays := map[string]*apd.Decimal{}
	for _, a := range res.Allocations {
		pays[a.Bid.ID] = a.Payment
	}
	return pays
}

// utility is value less pay, or 0 for a loser (nil pay).
func utility(t *rapid.T, value, pay *apd.Decimal) *apd.Decimal {
	if pay == nil {
		return new(apd.Decimal)
	}
	return subDec(t, value, pay)
}

// deviations returns limits for bid i to try: random ones, the extremes,
// and one tick either side of its payment, of each other bid's limit and
// of the values at which it would tie with each other bid by density.
func deviations(t *rapid.T, r auction.Round, i int, pays map[string]*apd.Decimal) []*apd.Decimal {
	tick := apd.New(1, -r.Scale)
	var out []*apd.Decimal
	around := func(d *apd.Decimal) {
		out = append(out, d, addDec(t, d, tick))
		if below := subDec(t, d, tick); below.Sign() > 0 {
			out = append(out, below)
		}
	}
	for range 4 {
		out = append(out, apd.New(rapid.Int64Range(1, 10000).Draw(t, "deviation"), -r.Scale))
	}
	out = append(out, tick, apd.New(1, 6))
	if p := pays[r.Bids[i].ID]; p != nil {
		around(p)
	}
	around(reserveCost(t, fixedBundle(r, r.Bids[i]), r.Reserve))
	for j, b := range r.Bids {
		if j != i {
			around(b.Limit)
		}
	}
	return out
}

func fixedBundle(r auction.Round, b auction.Bid) bundle.Bundle {
	fixed := b.Bundle
	fixed.Window = fixed.Window.At(r.At)
	return fixed
}
