package auction_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// exactCtx computes the tests' reference costs; any rounding is an error.
var exactCtx = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(0)
	c.Traps |= apd.Inexact | apd.Rounded
	return c
}()

// market runs Greedy over many rounds on one calendar, as a market would:
// time advances, bookings are pruned, reserve prices follow the default
// UtilisationRule.
type market struct {
	cat     *bundle.Catalog
	cal     *bundle.Calendar
	now     time.Time
	reserve bundle.Prices
	scale   int32
	round   uint64
	g       auction.Greedy
}

func newMarket(t *rapid.T, g auction.Greedy) *market {
	var rs []bundle.Resource
	for i := range rapid.IntRange(1, 4).Draw(t, "resources") {
		rs = append(rs, bundle.Resource{Name: fmt.Sprintf("r%d", i), Capacity: rapid.Int64Range(1, 50).Draw(t, "capacity")})
	}
	cat, err := bundle.NewCatalog(rs...)
	if err != nil {
		t.Fatal(err)
	}
	m := &market{cat: cat, cal: bundle.NewCalendar(cat), now: t0, reserve: bundle.Prices{}, scale: rapid.Int32Range(0, 6).Draw(t, "scale"), g: g}
	for _, name := range cat.Names() {
		m.reserve[name] = apd.New(rapid.Int64Range(1, 1000).Draw(t, "reserve ticks"), -m.scale)
	}
	return m
}

// drawBid draws a bid, valid or not, with a limit around its reserve cost.
func (m *market) drawBid(t *rapid.T, id string) auction.Bid {
	q := bundle.Quantities{}
	for _, r := range m.cat.Resources() {
		if rapid.IntRange(0, 2).Draw(t, "wants "+r.Name) > 0 {
			q[r.Name] = rapid.Int64Range(1, r.Capacity).Draw(t, "quantity")
		}
	}
	switch rapid.IntRange(0, 19).Draw(t, "quantity flaw") {
	case 0:
		q["gpu"] = 1
	case 1:
		q["r0"] = 0
	case 2:
		r, _ := m.cat.Lookup("r0")
		q["r0"] = r.Capacity + 1
	}
	w := bundle.Window{Duration: time.Duration(rapid.Int64Range(1, 90).Draw(t, "seconds")) * time.Second}
	if rapid.IntRange(0, 19).Draw(t, "window flaw") == 0 {
		w.Duration = 1500 * time.Millisecond
	}
	if rapid.Bool().Draw(t, "fixed start") {
		w.Start = m.now.Add(time.Duration(rapid.Int64Range(-3, 120).Draw(t, "start offset")) * time.Second)
	}
	b := auction.Bid{ID: id, Agent: "agent", Seq: rapid.Uint64Range(0, 5).Draw(t, "seq"), Bundle: bundle.Bundle{Quantities: q, Window: w}}
	b.Limit = m.drawLimit(t, b.Bundle)
	return b
}

// drawLimit returns, mostly, the bundle's reserve cost times 0.5 to 4;
// sometimes no limit, a negative one, or an arbitrary one.
func (m *market) drawLimit(t *rapid.T, b bundle.Bundle) *apd.Decimal {
	switch rapid.IntRange(0, 19).Draw(t, "limit kind") {
	case 0:
		return nil
	case 1:
		return apd.New(-rapid.Int64Range(0, 100).Draw(t, "negative"), 0)
	case 2:
		return apd.New(rapid.Int64Range(1, 1_000_000).Draw(t, "arbitrary"), -rapid.Int32Range(0, 8).Draw(t, "arbitrary places"))
	}
	cost, err := bundle.Cost(exactCtx, b, m.reserve)
	if err != nil || cost.IsZero() {
		return apd.New(rapid.Int64Range(1, 100).Draw(t, "limit"), 0)
	}
	limit := new(apd.Decimal)
	if _, err := exactCtx.Mul(limit, cost, apd.New(rapid.Int64Range(50, 400).Draw(t, "limit %"), -2)); err != nil {
		t.Fatal(err)
	}
	return limit
}

// clear clears a random round and checks its result.
func (m *market) clear(t *rapid.T) {
	n := rapid.IntRange(0, 10).Draw(t, "bids")
	bids := make([]auction.Bid, n)
	for i := range bids {
		bids[i] = m.drawBid(t, fmt.Sprintf("r%d-b%d", m.round+1, i))
	}
	if n > 1 && rapid.Bool().Draw(t, "equal limits") {
		bids[1].Limit = bids[0].Limit
	}
	r := auction.Round{Number: m.round + 1, At: m.now, Bids: bids, Calendar: m.cal.Clone(), Reserve: m.reserve, Scale: m.scale}
	again := r
	again.Calendar = m.cal.Clone()
	shuffled := r
	shuffled.Bids = rapid.Permutation(bids).Draw(t, "bid order")
	shuffled.Calendar = m.cal.Clone()
	before := m.cal.Clone()
	res, err := m.g.Clear(r)
	if err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if err := auction.Verify(r, res); err != nil {
		t.Fatal(err)
	}
	m.checkGreedy(t, r, res)
	checkWelfare(t, r, before, res)
	res3, err := m.g.Clear(shuffled)
	if err != nil {
		t.Fatalf("shuffled Clear: %v", err)
	}
	if diff := cmp.Diff(outcomeByBid(res), outcomeByBid(res3)); diff != "" {
		t.Fatalf("the order of the bids changes the outcome (-given +shuffled):\n%s", diff)
	}
	res2, err := m.g.Clear(again)
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

// checkGreedy checks what Verify does not: payments cover reserve costs,
// clearing order, and each rejection's reason.
func (m *market) checkGreedy(t *rapid.T, r auction.Round, res auction.Result) {
	for i, a := range res.Allocations {
		cost, err := bundle.Cost(exactCtx, a.Bundle, r.Reserve)
		if err != nil {
			t.Fatal(err)
		}
		if a.Payment.Cmp(cost) < 0 || a.Bid.Limit.Cmp(cost) < 0 {
			t.Fatalf("bid %s pays %s, limit %s, below its reserve cost %s", a.Bid.ID, a.Payment.Text('f'), a.Bid.Limit.Text('f'), cost.Text('f'))
		}
		if m.g.Order == auction.ByValue && i > 0 && res.Allocations[i-1].Bid.Limit.Cmp(a.Bid.Limit) < 0 {
			t.Fatalf("allocation %d (limit %s) after a lower limit %s", i, a.Bid.Limit.Text('f'), res.Allocations[i-1].Bid.Limit.Text('f'))
		}
	}
	outbid := false
	for _, rej := range res.Rejections {
		fixed := rej.Bid.Bundle
		fixed.Window = fixed.Window.At(r.At)
		switch rej.Reason {
		case events.ReasonOutbid:
			outbid = true
			// Bookings only accumulate: a bid that did not fit then does not fit now.
			if err := r.Calendar.Check(fixed); !errors.Is(err, bundle.ErrExceedsCapacity) {
				t.Fatalf("bid %s outbid but Check says %v", rej.Bid.ID, err)
			}
		case events.ReasonBelowReserve:
			cost, err := bundle.Cost(exactCtx, fixed, r.Reserve)
			if err != nil || rej.Bid.Limit.Cmp(cost) >= 0 {
				t.Fatalf("bid %s below reserve with limit %s, cost %v (%v)", rej.Bid.ID, rej.Bid.Limit.Text('f'), cost, err)
			}
		case events.ReasonExpired:
			if !fixed.Window.Start.Before(r.At) {
				t.Fatalf("bid %s expired but starts %v at %v", rej.Bid.ID, fixed.Window.Start, r.At)
			}
		case events.ReasonExceedsCapacity:
			if err := fixed.Validate(r.Calendar.Catalog()); !errors.Is(err, bundle.ErrExceedsCapacity) {
				t.Fatalf("bid %s exceeds capacity but Validate says %v", rej.Bid.ID, err)
			}
		case events.ReasonInvalidBundle:
		default:
			t.Fatalf("bid %s rejected for %q", rej.Bid.ID, rej.Reason)
		}
	}
	if !outbid && m.g.Payment == auction.PayUniformPrice {
		for name, p := range res.Prices {
			if p.Cmp(r.Reserve[name]) != 0 {
				t.Fatalf("no contention but %q clears at %s over its reserve %s", name, p.Text('f'), r.Reserve[name].Text('f'))
			}
		}
	}
}

// advance moves time forward and sometimes prunes ended bookings.
func (m *market) advance(t *rapid.T) {
	m.now = m.now.Add(time.Duration(rapid.Int64Range(1, 90).Draw(t, "advance")) * time.Second)
	if rapid.Bool().Draw(t, "prune") {
		m.cal.Prune(m.now)
	}
}

// check is the invariant: no resource is booked beyond capacity at any
// instant, and the reserve prices make a valid round.
func (m *market) check(t *rapid.T) {
	all := bundle.Window{Start: t0.Add(-time.Hour), Duration: 1000 * time.Hour}
	capacity := m.cat.Capacity()
	for name, peak := range m.cal.Peak(all) {
		if peak > capacity[name] {
			t.Fatalf("%q booked %d over capacity %d", name, peak, capacity[name])
		}
	}
	r := auction.Round{Number: m.round + 1, At: m.now, Calendar: m.cal, Reserve: m.reserve, Scale: m.scale}
	if err := r.Validate(); err != nil {
		t.Fatalf("reserve prices no longer valid: %v", err)
	}
}

func TestGreedyProperties(t *testing.T) {
	for _, g := range configs {
		t.Run(g.Name(), func(t *testing.T) {
			t.Parallel()
			rapid.Check(t, func(t *rapid.T) {
				m := newMarket(t, g)
				t.Repeat(map[string]func(*rapid.T){
					"clear":   m.clear,
					"advance": m.advance,
					"":        m.check,
				})
			})
		})
	}
}

// outcomeByBid returns each bid's outcome: what it pays, or why it lost.
func outcomeByBid(res auction.Result) map[string]string {
	out := map[string]string{}
	for _, a := range res.Allocations {
		out[a.Bid.ID] = "pays " + text(a.Payment)
	}
	for _, r := range res.Rejections {
		out[r.Bid.ID] = string(r.Reason)
	}
	return out
}

// checkWelfare checks Welfare against the allocations and OptimalWelfare
// against a brute force over every subset of the bids that could win (the
// winners and the outbid), booked on a clone of before, the calendar the
// round started from.
func checkWelfare(t fataler, r auction.Round, before *bundle.Calendar, res auction.Result) {
	t.Helper()
	welfare := new(apd.Decimal)
	for _, a := range res.Allocations {
		welfare = addDec(t, welfare, subDec(t, a.Bid.Limit, reserveCost(t, a.Bundle, r.Reserve)))
	}
	if res.Welfare == nil || res.Welfare.Cmp(welfare) != 0 {
		t.Fatalf("welfare %s, allocations add up to %s", text(res.Welfare), text(welfare))
	}
	var contenders []auction.Bid
	for _, a := range res.Allocations {
		contenders = append(contenders, a.Bid)
	}
	for _, rej := range res.Rejections {
		if rej.Reason == events.ReasonOutbid {
			contenders = append(contenders, rej.Bid)
		}
	}
	if len(contenders) > auction.MaxOptimalWelfareBids {
		if res.OptimalWelfare != nil {
			t.Fatalf("optimal welfare %s for %d contenders", text(res.OptimalWelfare), len(contenders))
		}
		return
	}
	if res.OptimalWelfare == nil {
		t.Fatalf("no optimal welfare for %d contenders", len(contenders))
	}
	if len(contenders) <= bruteForceBids {
		if best := bruteForceWelfare(t, r, before, contenders); res.OptimalWelfare.Cmp(best) != 0 {
			t.Fatalf("optimal welfare %s, brute force %s", text(res.OptimalWelfare), text(best))
		}
	}
	if res.OptimalWelfare.Cmp(res.Welfare) < 0 {
		t.Fatalf("optimal welfare %s below welfare %s", text(res.OptimalWelfare), text(res.Welfare))
	}
}

// bruteForceBids bounds the rounds checked by brute force, which books
// every subset on its own calendar clone.
const bruteForceBids = 7

// bruteForceWelfare returns the best Σ (limit − reserve cost) over the
// subsets of bids that can all be booked on a clone of cal.
func bruteForceWelfare(t fataler, r auction.Round, cal *bundle.Calendar, bids []auction.Bid) *apd.Decimal {
	t.Helper()
	best := new(apd.Decimal)
	for set := range 1 << len(bids) {
		c := cal.Clone()
		sum, ok := new(apd.Decimal), true
		for i, b := range bids {
			if set&(1<<i) == 0 {
				continue
			}
			fixed := b.Bundle
			fixed.Window = fixed.Window.At(r.At)
			if c.Book(b.ID, fixed) != nil {
				ok = false
				break
			}
			sum = addDec(t, sum, subDec(t, b.Limit, reserveCost(t, fixed, r.Reserve)))
		}
		if ok && sum.Cmp(best) > 0 {
			best = sum
		}
	}
	return best
}

func reserveCost(t fataler, b bundle.Bundle, reserve bundle.Prices) *apd.Decimal {
	t.Helper()
	c, err := bundle.Cost(exactCtx, b, reserve)
	if err != nil {
		t.Fatalf("cost: %v", err)
	}
	return c
}

func addDec(t fataler, x, y *apd.Decimal) *apd.Decimal {
	t.Helper()
	d := new(apd.Decimal)
	if _, err := exactCtx.Add(d, x, y); err != nil {
		t.Fatalf("add: %v", err)
	}
	return d
}

func subDec(t fataler, x, y *apd.Decimal) *apd.Decimal {
	t.Helper()
	d := new(apd.Decimal)
	if _, err := exactCtx.Sub(d, x, y); err != nil {
		t.Fatalf("sub: %v", err)
	}
	return d
}
