package auction_test

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// TestGreedyMatchesReference clears random small rounds, over calendars
// with bookings already on them, with every Greedy configuration and with
// refClear, a direct transcription of Greedy's documentation on exact
// rationals and a bundle.Calendar, and asserts identical results.
func TestGreedyMatchesReference(t *testing.T) {
	for _, g := range configs {
		t.Run(g.Name(), func(t *testing.T) {
			t.Parallel()
			rapid.Check(t, func(t *rapid.T) {
				r := drawReferenceRound(t)
				ref := r
				ref.Calendar = r.Calendar.Clone()
				want := refClear(t, g, ref, r.Calendar.Clone())
				got, err := g.Clear(r)
				if err != nil {
					t.Fatalf("Clear: %v", err)
				}
				compareWithReference(t, want, got)
				compareCalendars(t, r, ref.Calendar, r.Calendar)
			})
		})
	}
}

// compareWithReference fails t unless got is want. OptimalWelfare is
// compared by value only: of several optimal sets of equal welfare, the
// reference and Greedy may report different ones, whose sums differ in
// their exponents.
func compareWithReference(t *rapid.T, want, got auction.Result) {
	if (want.OptimalWelfare == nil) != (got.OptimalWelfare == nil) ||
		want.OptimalWelfare != nil && want.OptimalWelfare.Cmp(got.OptimalWelfare) != 0 {
		t.Fatalf("optimal welfare %s, reference %s", text(got.OptimalWelfare), text(want.OptimalWelfare))
	}
	want.OptimalWelfare, got.OptimalWelfare = nil, nil
	if diff := gocmp.Diff(want, got, decimalsByText); diff != "" {
		t.Fatalf("Clear differs from the reference (-reference +Clear):\n%s", diff)
	}
}

// compareCalendars fails t unless want and got hold the same bids of r and
// the same quantities at every half second around r.At.
func compareCalendars(t *rapid.T, r auction.Round, want, got *bundle.Calendar) {
	if want.Len() != got.Len() {
		t.Fatalf("%d bookings, reference %d", got.Len(), want.Len())
	}
	for _, b := range r.Bids {
		if want.Has(b.ID) != got.Has(b.ID) {
			t.Fatalf("bid %s booked: %t, by the reference: %t", b.ID, got.Has(b.ID), want.Has(b.ID))
		}
	}
	for at := r.At.Add(-15 * time.Second); at.Before(r.At.Add(45 * time.Second)); at = at.Add(time.Second / 2) {
		if diff := gocmp.Diff(want.UsedAt(at), got.UsedAt(at)); diff != "" {
			t.Fatalf("booked at %v (-reference +Clear):\n%s", at, diff)
		}
	}
}

// drawReferenceRound draws a round of up to 36 bids, some invalid, over
// one to three resources, or nine to eleven, whose capacities are now
// small, now large and coprime (so that densities overflow 64 bits), on a
// calendar holding a few bookings, at reserve prices now on the scale, now
// whole numbers, with limits now near the reserve cost, now huge or with
// many decimal places.
func drawReferenceRound(t *rapid.T) auction.Round {
	var rs []bundle.Resource
	resources := rapid.IntRange(1, 3).Draw(t, "resources")
	if rapid.IntRange(0, 5).Draw(t, "large catalog") == 0 {
		resources = rapid.IntRange(9, 11).Draw(t, "resources") // beyond the small catalogs looked up by name
	}
	for i := range resources {
		capacity := rapid.Int64Range(1, 20).Draw(t, "capacity")
		if rapid.IntRange(0, 5).Draw(t, "large capacity") == 0 {
			capacity = rapid.Int64Range(1, 1<<40).Draw(t, "capacity")
		}
		rs = append(rs, bundle.Resource{Name: fmt.Sprintf("r%d", i), Capacity: capacity})
	}
	cat, err := bundle.NewCatalog(rs...)
	if err != nil {
		t.Fatal(err)
	}
	scale := rapid.Int32Range(0, 6).Draw(t, "scale")
	r := auction.Round{
		Number: rapid.Uint64Range(1, 9).Draw(t, "round"), At: t0.Add(time.Minute),
		Calendar: bundle.NewCalendar(cat), Reserve: bundle.Prices{}, Scale: scale,
	}
	for _, name := range cat.Names() {
		exp := -scale
		if rapid.IntRange(0, 3).Draw(t, "whole price") == 0 {
			exp = 0
		}
		r.Reserve[name] = apd.New(rapid.Int64Range(1, 1000).Draw(t, "reserve ticks"), exp)
	}
	for i := range rapid.IntRange(0, 4).Draw(t, "booked") {
		b := drawReferenceBundle(t, cat, r.At.Add(-10*time.Second))
		_ = r.Calendar.Book(fmt.Sprintf("old%d", i), b)
	}
	n := rapid.IntRange(0, 12).Draw(t, "bids")
	if rapid.IntRange(0, 4).Draw(t, "many bids") == 0 {
		n = rapid.IntRange(17, 36).Draw(t, "bids") // too many for the optimal welfare: runs of many cells
	}
	for i := range n {
		b := drawReferenceBundle(t, cat, r.At)
		if rapid.IntRange(0, 2).Draw(t, "as soon as cleared") > 0 {
			b.Window.Start = time.Time{}
		}
		r.Bids = append(r.Bids, auction.Bid{
			ID: fmt.Sprintf("b%d", i), Agent: "agent", Seq: rapid.Uint64Range(0, 3).Draw(t, "seq"),
			Bundle: b, Limit: drawReferenceLimit(t, b, r),
		})
	}
	if n > 1 && rapid.Bool().Draw(t, "equal limits") {
		r.Bids[1].Limit = r.Bids[0].Limit
	}
	return r
}

// drawReferenceBundle draws a bundle, now and then invalid, starting
// around from, at a quarter of a second.
func drawReferenceBundle(t *rapid.T, cat *bundle.Catalog, from time.Time) bundle.Bundle {
	q := bundle.Quantities{}
	for _, res := range cat.Resources() {
		if rapid.IntRange(0, 2).Draw(t, "wants "+res.Name) > 0 {
			q[res.Name] = rapid.Int64Range(1, res.Capacity).Draw(t, "quantity")
			if res.Capacity > 20 && rapid.Bool().Draw(t, "small quantity") {
				q[res.Name] = min(res.Capacity, rapid.Int64Range(1, 20).Draw(t, "quantity"))
			}
		}
	}
	switch rapid.IntRange(0, 29).Draw(t, "quantity flaw") {
	case 0:
		q["gpu"] = 1
	case 1:
		q["r0"] = 0
	case 2:
		res, _ := cat.Lookup("r0")
		q["r0"] = res.Capacity + 1
	}
	w := bundle.Window{
		Start:    from.Add(time.Duration(rapid.Int64Range(-4, 32).Draw(t, "start")) * time.Second / 4),
		Duration: time.Duration(rapid.Int64Range(1, 10).Draw(t, "seconds")) * time.Second,
	}
	if rapid.IntRange(0, 29).Draw(t, "window flaw") == 0 {
		w.Duration += 500 * time.Millisecond
	}
	return bundle.Bundle{Quantities: q, Window: w}
}

// drawReferenceLimit draws a limit for b: mostly its reserve cost times
// 0.5 to 4, sometimes missing, negative, huge or finely divided.
func drawReferenceLimit(t *rapid.T, b bundle.Bundle, r auction.Round) *apd.Decimal {
	switch rapid.IntRange(0, 19).Draw(t, "limit kind") {
	case 0:
		return nil
	case 1:
		return apd.New(-rapid.Int64Range(0, 100).Draw(t, "negative"), 0)
	case 2:
		return apd.New(rapid.Int64Range(1, 1_000_000).Draw(t, "arbitrary"), -rapid.Int32Range(0, 12).Draw(t, "places"))
	case 3:
		return apd.New(rapid.Int64Range(1, 1000).Draw(t, "huge"), rapid.Int32Range(15, 30).Draw(t, "exponent"))
	}
	fixed := b
	fixed.Window = fixed.Window.At(r.At)
	cost, err := bundle.Cost(exactCtx, fixed, r.Reserve)
	if err != nil || cost.IsZero() {
		return apd.New(rapid.Int64Range(1, 100).Draw(t, "limit"), 0)
	}
	limit := new(apd.Decimal)
	if _, err := exactCtx.Mul(limit, cost, apd.New(rapid.Int64Range(50, 400).Draw(t, "limit %"), -2)); err != nil {
		t.Fatal(err)
	}
	return limit
}

// refTimeFormat prints instants in rejection details.
const refTimeFormat = "2006-01-02T15:04:05.999999999Z07:00"

// refBid is a bid that passed screening.
type refBid struct {
	bid     auction.Bid
	fixed   bundle.Bundle
	reserve *apd.Decimal
	size    *big.Rat // seconds × Σ quantity / capacity
	won     bool
}

// refClear clears r with g as Greedy's documentation says, booking the
// winners on r.Calendar; before is a copy of r.Calendar before clearing.
func refClear(t *rapid.T, g auction.Greedy, r auction.Round, before *bundle.Calendar) auction.Result {
	rejections := make([]*auction.Rejection, len(r.Bids))
	var cs []*refBid
	for i, b := range r.Bids {
		c, rej := refScreen(t, r, b)
		if rej != nil {
			rejections[i] = rej
			continue
		}
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b *refBid) int { return refCompare(g.Order, a, b) })
	cuts := refCuts(cs)
	var winners, outbid []*refBid
	for _, c := range cs {
		if r.Calendar.Check(c.fixed) != nil {
			i := slices.IndexFunc(r.Bids, func(b auction.Bid) bool { return b.ID == c.bid.ID })
			rejections[i] = &auction.Rejection{Bid: refCloneBid(c.bid), Reason: events.ReasonOutbid, Detail: refShortfall(r, c, cuts)}
			outbid = append(outbid, c)
			continue
		}
		if err := r.Calendar.Book(c.bid.ID, c.fixed); err != nil {
			t.Fatal(err)
		}
		c.won = true
		winners = append(winners, c)
	}
	res := auction.Result{Round: r.Number, Mechanism: g.Name(), Prices: refPrices(r, winners, outbid)}
	for _, w := range winners {
		bid := refCloneBid(w.bid)
		b := w.fixed
		b.Quantities = bid.Bundle.Quantities
		res.Allocations = append(res.Allocations, auction.Allocation{Bid: bid, Bundle: b, Payment: refPayment(t, g, r, before, cs, w, res.Prices)})
	}
	if res.Allocations == nil {
		res.Allocations = []auction.Allocation{}
	}
	for _, rej := range rejections {
		if rej != nil {
			res.Rejections = append(res.Rejections, *rej)
		}
	}
	refTotals(t, r, &res, winners)
	if len(cs) <= auction.MaxOptimalWelfareBids {
		res.OptimalWelfare = refOptimalWelfare(t, before, cs)
	}
	return res
}

// refScreen screens b as step 1 of the algorithm says.
func refScreen(t *rapid.T, r auction.Round, b auction.Bid) (*refBid, *auction.Rejection) {
	fixed := b.Bundle
	fixed.Window = fixed.Window.At(r.At)
	reject := func(reason events.RejectReason, detail string) (*refBid, *auction.Rejection) {
		return nil, &auction.Rejection{Bid: refCloneBid(b), Reason: reason, Detail: detail}
	}
	if fixed.Window.Start.Before(r.At) {
		return reject(events.ReasonExpired, fmt.Sprintf("window starts at %s, before the clearing instant %s",
			fixed.Window.Start.UTC().Format(refTimeFormat), r.At.UTC().Format(refTimeFormat)))
	}
	cat := r.Calendar.Catalog()
	err := fixed.Validate(cat)
	var tooBig error
	if errors.Is(err, bundle.ErrExceedsCapacity) {
		capped := fixed
		capped.Quantities = maps.Clone(fixed.Quantities)
		for name, q := range capped.Quantities {
			if res, ok := cat.Lookup(name); ok {
				capped.Quantities[name] = min(q, res.Capacity)
			}
		}
		tooBig, err = err, capped.Validate(cat)
	}
	if err != nil {
		return reject(events.ReasonInvalidBundle, err.Error())
	}
	if msg := refLimitFault(b.Limit); msg != "" {
		return reject(events.ReasonInvalidBundle, "limit: "+msg)
	}
	if tooBig != nil {
		return reject(events.ReasonExceedsCapacity, tooBig.Error())
	}
	cost := reserveCost(t, fixed, r.Reserve)
	if b.Limit.Cmp(cost) < 0 {
		return reject(events.ReasonBelowReserve, fmt.Sprintf("limit %s is below the reserve cost %s", b.Limit.Text('f'), cost.Text('f')))
	}
	size := new(big.Rat)
	for name, q := range fixed.Quantities {
		res, _ := cat.Lookup(name)
		size.Add(size, big.NewRat(q, res.Capacity))
	}
	size.Mul(size, big.NewRat(fixed.Window.Seconds(), 1))
	return &refBid{bid: b, fixed: fixed, reserve: cost, size: size}, nil
}

// refLimitFault returns why l is not a finite positive decimal of at most
// MaxDigits digits below 10^MaxDigits, or "".
func refLimitFault(l *apd.Decimal) string {
	switch {
	case l == nil:
		return "missing"
	case l.Form != apd.Finite:
		return l.String() + " is not finite"
	case l.Sign() <= 0:
		return l.Text('f') + " is not positive"
	}
	var red apd.Decimal
	red.Reduce(l)
	if red.NumDigits() > auction.MaxDigits || int64(red.Exponent)+red.NumDigits()-1 >= auction.MaxDigits {
		return fmt.Sprintf("%s has more than %d digits", l.Text('f'), auction.MaxDigits)
	}
	return ""
}

// refCompare orders a before b when it ranks higher by o, then by Seq,
// then by ID.
func refCompare(o auction.Priority, a, b *refBid) int {
	x, y := ratOf(a.bid.Limit), ratOf(b.bid.Limit)
	if o == auction.ByDensity {
		x.Quo(x.Mul(x, x), a.size)
		y.Quo(y.Mul(y, y), b.size)
	}
	if c := y.Cmp(x); c != 0 {
		return c
	}
	if c := cmp.Compare(a.bid.Seq, b.bid.Seq); c != 0 {
		return c
	}
	return strings.Compare(a.bid.ID, b.bid.ID)
}

// refCuts returns every instant a candidate's window starts or ends, in
// order.
func refCuts(cs []*refBid) []time.Time {
	var cuts []time.Time
	for _, c := range cs {
		cuts = append(cuts, c.fixed.Window.Start, c.fixed.Window.End())
	}
	slices.SortFunc(cuts, time.Time.Compare)
	return slices.CompactFunc(cuts, time.Time.Equal)
}

// refShortfall explains why c does not fit: the first of its resources,
// in name order, short over the first stretch of its window in which no
// candidate's window starts or ends, else over the whole window.
func refShortfall(r auction.Round, c *refBid, cuts []time.Time) string {
	names := c.fixed.Quantities.Names()
	start := c.fixed.Window.Start
	next := cuts[slices.IndexFunc(cuts, start.Equal)+1]
	first := r.Calendar.Free(bundle.Window{Start: start, Duration: next.Sub(start)})
	for _, name := range names {
		if q := c.fixed.Quantities[name]; q > first[name] {
			return fmt.Sprintf("%v: %q needs %d, %d free at %s", bundle.ErrExceedsCapacity, name, q, first[name], start.UTC().Format(refTimeFormat))
		}
	}
	whole := r.Calendar.Free(c.fixed.Window)
	for _, name := range names {
		if q := c.fixed.Quantities[name]; q > whole[name] {
			return fmt.Sprintf("%v: %q needs %d, %d free", bundle.ErrExceedsCapacity, name, q, whole[name])
		}
	}
	return fmt.Sprintf("%v: does not fit", bundle.ErrExceedsCapacity)
}

// refPrices returns λ × Reserve_x rounded down to r.Scale places for every
// resource, λ = max(1, min(lowest Limit/R of the winners, highest Limit/R
// of the outbid)), or 1 if no bid was outbid.
func refPrices(r auction.Round, winners, outbid []*refBid) bundle.Prices {
	lambda := big.NewRat(1, 1)
	if len(outbid) > 0 {
		ratio := func(c *refBid) *big.Rat { return new(big.Rat).Quo(ratOf(c.bid.Limit), ratOf(c.reserve)) }
		m := ratio(outbid[0])
		for _, c := range outbid[1:] {
			if x := ratio(c); x.Cmp(m) > 0 {
				m = x
			}
		}
		for _, c := range winners {
			if x := ratio(c); x.Cmp(m) < 0 {
				m = x
			}
		}
		if m.Cmp(lambda) > 0 {
			lambda = m
		}
	}
	prices := bundle.Prices{}
	for _, name := range r.Calendar.Catalog().Names() {
		prices[name] = floorAt(new(big.Rat).Mul(lambda, ratOf(r.Reserve[name])), r.Scale)
	}
	return prices
}

// refPayment returns what winner w pays under g's rule; cs are the
// candidates in clearing order.
func refPayment(t *rapid.T, g auction.Greedy, r auction.Round, before *bundle.Calendar, cs []*refBid, w *refBid, prices bundle.Prices) *apd.Decimal {
	switch g.Payment {
	case auction.PayUniformPrice:
		return reserveCost(t, w.fixed, prices)
	case auction.PayAsBid:
		return floorAt(ratOf(w.bid.Limit), r.Scale)
	}
	floor := floorAt(ratOf(w.reserve), r.Scale)
	j := refBlocker(t, before, cs, w)
	if j == nil {
		return floor
	}
	crit := floorAt(ratOf(j.bid.Limit), r.Scale)
	if g.Order == auction.ByDensity {
		// ⌊limit_j × √(size_w / size_j)⌋ at the scale: the integer square
		// root of ⌊limit_j² × size_w / size_j × 10^(2 scale)⌋.
		x := ratOf(j.bid.Limit)
		x.Mul(x, x).Mul(x, w.size).Quo(x, j.size)
		x.Mul(x, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(2*int64(r.Scale)), nil)))
		v := new(big.Int).Quo(x.Num(), x.Denom())
		crit = apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(v.Sqrt(v)), -r.Scale)
	}
	if crit.Cmp(floor) < 0 {
		return floor
	}
	return crit
}

// refBlocker returns the first outbid candidate after w, in clearing order,
// that would have fitted had w not been booked, or nil.
func refBlocker(t *rapid.T, before *bundle.Calendar, cs []*refBid, w *refBid) *refBid {
	after := false
	for i, j := range cs {
		if j == w {
			after = true
		}
		if !after || j.won {
			continue
		}
		cal := before.Clone()
		for _, c := range cs[:i] {
			if c.won && c != w {
				if err := cal.Book(c.bid.ID, c.fixed); err != nil {
					t.Fatal(err)
				}
			}
		}
		if cal.Check(j.fixed) == nil {
			return j
		}
	}
	return nil
}

// refTotals fills the volume, utilisation, revenue, surplus and welfare of
// res, r.Calendar holding the winners.
func refTotals(t *rapid.T, r auction.Round, res *auction.Result, winners []*refBid) {
	res.Volume = bundle.Quantities{}
	res.Utilisation = map[string]*apd.Decimal{}
	used := r.Calendar.UsedAt(r.At)
	for _, rs := range r.Calendar.Catalog().Resources() {
		res.Volume[rs.Name] = 0
		res.Utilisation[rs.Name] = floorAt(big.NewRat(used[rs.Name], rs.Capacity), auction.UtilisationPlaces)
	}
	res.Revenue, res.Surplus, res.Welfare = new(apd.Decimal), new(apd.Decimal), new(apd.Decimal)
	for i, w := range winners {
		pay := res.Allocations[i].Payment
		res.Revenue = addDec(t, res.Revenue, pay)
		res.Surplus = addDec(t, res.Surplus, subDec(t, w.bid.Limit, pay))
		res.Welfare = addDec(t, res.Welfare, subDec(t, w.bid.Limit, w.reserve))
		for name, q := range w.fixed.Quantities {
			res.Volume[name] += q
		}
	}
}

// refOptimalWelfare returns the best Σ (limit − R) over the subsets of cs
// that can all be booked on a clone of before.
func refOptimalWelfare(t *rapid.T, before *bundle.Calendar, cs []*refBid) *apd.Decimal {
	best := new(apd.Decimal)
	for set := range 1 << len(cs) {
		cal, sum := before.Clone(), new(apd.Decimal)
		for i, c := range cs {
			if set&(1<<i) == 0 {
				continue
			}
			if cal.Book(c.bid.ID, c.fixed) != nil {
				sum = nil
				break
			}
			sum = addDec(t, sum, subDec(t, c.bid.Limit, c.reserve))
		}
		if sum != nil && sum.Cmp(best) > 0 {
			best = sum
		}
	}
	return best
}

// refCloneBid returns a deep copy of b.
func refCloneBid(b auction.Bid) auction.Bid {
	b.Bundle.Quantities = maps.Clone(b.Bundle.Quantities)
	if b.Limit != nil {
		b.Limit = new(apd.Decimal).Set(b.Limit)
	}
	return b
}

// ratOf returns the finite d as a rational.
func ratOf(d *apd.Decimal) *big.Rat {
	x := new(big.Rat).SetInt(d.Coeff.MathBigInt())
	if d.Negative {
		x.Neg(x)
	}
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(d.Exponent, -d.Exponent))), nil))
	if d.Exponent >= 0 {
		return x.Mul(x, p)
	}
	return x.Quo(x, p)
}

// floorAt returns the non-negative x rounded down to places decimal
// places, with exponent -places.
func floorAt(x *big.Rat, places int32) *apd.Decimal {
	y := new(big.Rat).Mul(x, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)))
	v := new(big.Int).Quo(y.Num(), y.Denom())
	return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(v), -places)
}
