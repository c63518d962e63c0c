package main

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// maxTickets caps the tickets of one bid so that the tickets of a whole
// round fit an unsigned 64-bit integer.
const maxTickets = 1 << 40

// proportionalShare is a proportional-share lottery: every bid that covers
// the reserve cost of its bundle holds tickets in proportion to its limit,
// bids are drawn one at a time with probability proportional to their
// tickets among those not drawn yet, and a drawn bid is admitted whole if
// its bundle fits in the capacity left. Winners pay their bid.
//
// It is written against the public auction API only: it books its winners
// on the round's calendar, decides payments and prices, and lets
// auction.Summarize fill in the totals.
type proportionalShare struct {
	// Seed seeds the lottery; the draw of round n depends only on Seed, n
	// and the round's bids, so clearing is deterministic.
	Seed uint64
}

// Name implements auction.Mechanism.
func (proportionalShare) Name() string { return "proportional_share" }

// Clear implements auction.Mechanism.
func (p proportionalShare) Clear(r auction.Round) (auction.Result, error) {
	if err := r.Validate(); err != nil {
		return auction.Result{}, err
	}
	exact := apd.BaseContext.WithPrecision(auction.MaxDigits)
	exact.Traps |= apd.Inexact | apd.Rounded
	lost := map[string]events.RejectReason{}
	var eligible []auction.Bid
	costs := map[string]*apd.Decimal{}
	for _, b := range r.Bids {
		cost, err := bundle.Cost(exact, bundle.Bundle{Quantities: b.Bundle.Quantities, Window: b.Bundle.Window.At(r.At)}, r.Reserve)
		if err != nil || cost.Cmp(b.Limit) > 0 {
			lost[b.ID] = events.ReasonBelowReserve
			continue
		}
		costs[b.ID] = cost
		eligible = append(eligible, b)
	}
	res := auction.Result{Round: r.Number, Mechanism: p.Name()}
	for _, b := range p.draw(r, eligible) {
		won := bundle.Bundle{Quantities: b.Bundle.Quantities, Window: b.Bundle.Window.At(r.At)}
		if r.Calendar.Book(b.ID, won) != nil {
			lost[b.ID] = events.ReasonExceedsCapacity
			continue
		}
		res.Allocations = append(res.Allocations, auction.Allocation{Bid: b, Bundle: won, Payment: payment(b.Limit, r.Scale)})
	}
	for _, b := range r.Bids { // rejections go in bid order
		if reason, ok := lost[b.ID]; ok {
			res.Rejections = append(res.Rejections, auction.Rejection{Bid: b, Reason: reason})
		}
	}
	res.Prices = prices(r, res.Allocations, costs)
	return res, auction.Summarize(r, &res)
}

// draw returns bids in lottery order: each next bid is drawn with
// probability tickets/total among the bids not drawn yet. It is quadratic
// in the number of bids, which is fine for rounds of a few thousand.
func (p proportionalShare) draw(r auction.Round, bids []auction.Bid) []auction.Bid {
	rng := rand.New(rand.NewPCG(p.Seed, r.Number))
	left := slices.Clone(bids)
	tickets := make([]uint64, len(left))
	var total uint64
	for i, b := range left {
		tickets[i] = ticketsOf(b.Limit, r.Scale)
		total += tickets[i]
	}
	order := make([]auction.Bid, 0, len(left))
	for len(left) > 0 {
		i := pick(tickets, rng.Uint64N(total))
		order = append(order, left[i])
		total -= tickets[i]
		left = slices.Delete(left, i, i+1)
		tickets = slices.Delete(tickets, i, i+1)
	}
	return order
}

// pick returns the index of the ticket that x, in [0, sum of tickets),
// falls on.
func pick(tickets []uint64, x uint64) int {
	for i, t := range tickets {
		if x < t {
			return i
		}
		x -= t
	}
	return len(tickets) - 1
}

// ticketsOf returns a limit's tickets: the limit in units of the round's
// smallest amount, 10^-scale credits, at least 1 and at most maxTickets.
func ticketsOf(limit *apd.Decimal, scale int32) uint64 {
	var units apd.Decimal
	ctx := apd.BaseContext.WithPrecision(auction.MaxDigits)
	ctx.Rounding = apd.RoundDown
	if _, err := ctx.Quantize(&units, limit, 0-scale); err != nil {
		return 1
	}
	units.Exponent += scale
	n, err := units.Int64()
	switch {
	case err != nil || n > maxTickets:
		return maxTickets
	case n < 1:
		return 1
	}
	return uint64(n)
}

// payment is what a winner pays: its limit, rounded down to the round's
// scale (a limit is normally on the scale already).
func payment(limit *apd.Decimal, scale int32) *apd.Decimal {
	ctx := apd.BaseContext.WithPrecision(auction.MaxDigits)
	ctx.Rounding = apd.RoundDown
	var pay apd.Decimal
	_, _ = ctx.Quantize(&pay, limit, 0-scale)
	return &pay
}

// prices returns each resource's clearing price: its reserve price times
// the average markup its winners paid (payment over the bundle's reserve
// cost), weighted by the unit-seconds each won, rounded down to the
// round's scale and never below the reserve. An untraded resource clears
// at its reserve.
func prices(r auction.Round, wins []auction.Allocation, costs map[string]*apd.Decimal) bundle.Prices {
	ctx := apd.BaseContext.WithPrecision(auction.MaxDigits)
	out := bundle.Prices{}
	for _, name := range r.Calendar.Catalog().Names() {
		reserve := r.Reserve[name]
		weighted, unitSeconds := new(apd.Decimal), new(apd.Decimal)
		for _, a := range wins {
			q := a.Bundle.Quantities[name]
			if q == 0 {
				continue
			}
			var us, markup, term apd.Decimal
			us.SetInt64(q * int64(a.Bundle.Window.Duration/time.Second))
			_, _ = ctx.Quo(&markup, a.Payment, costs[a.Bid.ID])
			_, _ = ctx.Mul(&term, &markup, &us)
			_, _ = ctx.Add(weighted, weighted, &term)
			_, _ = ctx.Add(unitSeconds, unitSeconds, &us)
		}
		out[name] = priceAt(ctx, reserve, weighted, unitSeconds, r.Scale)
	}
	return out
}

// priceAt returns reserve × weighted / unitSeconds on scale, rounded down,
// and at least reserve.
func priceAt(ctx *apd.Context, reserve, weighted, unitSeconds *apd.Decimal, scale int32) *apd.Decimal {
	price := new(apd.Decimal).Set(reserve)
	if unitSeconds.Sign() == 0 {
		return price
	}
	var p apd.Decimal
	_, _ = ctx.Quo(&p, weighted, unitSeconds)
	_, _ = ctx.Mul(&p, &p, reserve)
	down := *ctx
	down.Rounding = apd.RoundDown
	_, _ = down.Quantize(&p, &p, 0-scale)
	if p.Cmp(reserve) > 0 {
		price.Set(&p)
	}
	return price
}
