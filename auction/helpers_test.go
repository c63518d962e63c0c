package auction_test

import (
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// t0 is the clearing instant of the tests' rounds.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// at returns the instant s seconds after t0.
func at(s int64) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// dec parses s as a decimal or fails the test.
func dec(tb testing.TB, s string) *apd.Decimal {
	tb.Helper()
	d, _, err := apd.NewFromString(s)
	if err != nil {
		tb.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

// text returns d's plain form, or "<nil>".
func text(d *apd.Decimal) string {
	if d == nil {
		return "<nil>"
	}
	return d.Text('f')
}

// testCatalog returns a catalog of cpu (capacity 100) and memory (1000), or
// fails the test.
func testCatalog(tb testing.TB) *bundle.Catalog {
	tb.Helper()
	c, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "memory", Unit: "MiB", Capacity: 1000, Enforcement: bundle.OSLevel},
	)
	if err != nil {
		tb.Fatalf("NewCatalog: %v", err)
	}
	return c
}

// testRound returns round 1 at t0 over an empty calendar of testCatalog,
// with reserve prices cpu 0.001 and memory 0.0001 at scale 6.
func testRound(tb testing.TB, bids ...auction.Bid) auction.Round {
	tb.Helper()
	return auction.Round{
		Number:   1,
		At:       t0,
		Bids:     bids,
		Calendar: bundle.NewCalendar(testCatalog(tb)),
		Reserve:  bundle.Prices{"cpu": dec(tb, "0.001"), "memory": dec(tb, "0.0001")},
		Scale:    6,
	}
}

// bid returns a bid for q over secs seconds from the clearing instant, with
// the given limit and arrival order.
func bid(tb testing.TB, id, limit string, seq uint64, q bundle.Quantities, secs int64) auction.Bid {
	tb.Helper()
	return auction.Bid{
		ID: id, Agent: "agent-" + id, Limit: dec(tb, limit), Seq: seq,
		Bundle: bundle.Bundle{Quantities: q, Window: bundle.Window{Duration: time.Duration(secs) * time.Second}},
	}
}

// startingAt returns b with its window starting at t.
func startingAt(b auction.Bid, t time.Time) auction.Bid {
	b.Bundle.Window.Start = t
	return b
}

// clear clears r with Greedy, fails the test on an error, and checks the
// result with auction.Verify.
func clear(tb testing.TB, r auction.Round) auction.Result {
	tb.Helper()
	res, err := auction.Greedy{}.Clear(r)
	if err != nil {
		tb.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	return res
}

// outcome is a result in plain strings, for table tests.
type outcome struct {
	Winners    []string // "id pays amount", in clearing order
	Rejections []string // "id reason", in bid order
	Prices     map[string]string
	Volume     bundle.Quantities
	Revenue    string
	Surplus    string
}

func outcomeOf(res auction.Result) outcome {
	o := outcome{Prices: map[string]string{}, Volume: res.Volume, Revenue: text(res.Revenue), Surplus: text(res.Surplus)}
	for _, a := range res.Allocations {
		o.Winners = append(o.Winners, a.Bid.ID+" pays "+text(a.Payment))
	}
	for _, r := range res.Rejections {
		o.Rejections = append(o.Rejections, r.Bid.ID+" "+string(r.Reason))
	}
	for name, p := range res.Prices {
		o.Prices[name] = text(p)
	}
	return o
}

// reasons returns each rejected bid's reason.
func reasons(res auction.Result) map[string]events.RejectReason {
	out := map[string]events.RejectReason{}
	for _, r := range res.Rejections {
		out[r.Bid.ID] = r.Reason
	}
	return out
}

// decimalsByText compares decimals by their plain text, so that equal
// values with different exponents differ: results must be identical.
var decimalsByText = cmp.Comparer(func(a, b *apd.Decimal) bool { return text(a) == text(b) })
