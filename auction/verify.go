package auction

import (
	"fmt"
	"maps"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

// Verify checks res, the result of clearing r, against the contract every
// Mechanism honours; r.Calendar is the calendar after clearing. It checks
// that every bid is allocated or rejected exactly once, rejections in bid
// order; that each allocation is its bid's bundle with the start fixed no
// earlier than r.At, is booked, and pays a non-negative amount on r.Scale
// no greater than the limit; that no resource is booked beyond its capacity
// at any instant of a winner's window; that every resource has a price on
// r.Scale at least its reserve; and that volume, utilisation, revenue and
// surplus add up, surplus never negative. Errors wrap ErrInvalidResult.
func Verify(r Round, res Result) error {
	if r.Calendar == nil {
		return fmt.Errorf("%w: round has no calendar", ErrInvalidResult)
	}
	if res.Round != r.Number {
		return fmt.Errorf("%w: result of round %d for round %d", ErrInvalidResult, res.Round, r.Number)
	}
	steps := []func(Round, Result) error{verifyAccounting, verifyAllocations, verifyPrices, verifyTotals}
	for _, step := range steps {
		if err := step(r, res); err != nil {
			return fmt.Errorf("%w: round %d: %w", ErrInvalidResult, r.Number, err)
		}
	}
	return nil
}

// verifyAccounting checks that every bid is settled exactly once and that
// rejections come in bid order.
func verifyAccounting(r Round, res Result) error {
	index := make(map[string]int, len(r.Bids))
	for i, b := range r.Bids {
		index[b.ID] = i
	}
	seen := make(map[string]bool, len(r.Bids))
	mark := func(id string) error {
		if _, ok := index[id]; !ok || seen[id] {
			return fmt.Errorf("bid %q unknown or settled twice", id)
		}
		seen[id] = true
		return nil
	}
	for _, a := range res.Allocations {
		if err := mark(a.Bid.ID); err != nil {
			return err
		}
	}
	last := -1
	for _, rej := range res.Rejections {
		if err := mark(rej.Bid.ID); err != nil {
			return err
		}
		if rej.Reason == "" {
			return fmt.Errorf("bid %q rejected without a reason", rej.Bid.ID)
		}
		if index[rej.Bid.ID] < last {
			return fmt.Errorf("rejection of bid %q out of bid order", rej.Bid.ID)
		}
		last = index[rej.Bid.ID]
	}
	if len(seen) != len(r.Bids) {
		return fmt.Errorf("%d of %d bids settled", len(seen), len(r.Bids))
	}
	return nil
}

// verifyAllocations checks each allocation against its bid and the
// calendar.
func verifyAllocations(r Round, res Result) error {
	bids := make(map[string]Bid, len(r.Bids))
	for _, b := range r.Bids {
		bids[b.ID] = b
	}
	capacity := r.Calendar.Catalog().Capacity()
	for _, a := range res.Allocations {
		b := bids[a.Bid.ID]
		if err := verifyBundle(r, b, a.Bundle); err != nil {
			return fmt.Errorf("bid %q: %w", b.ID, err)
		}
		if err := verifyPayment(r, b, a.Bundle, a.Payment); err != nil {
			return fmt.Errorf("bid %q: %w", b.ID, err)
		}
		peak := r.Calendar.Peak(a.Bundle.Window)
		for name, q := range a.Bundle.Quantities {
			if peak[name] < q {
				return fmt.Errorf("bid %q: %q not booked: peak %d for %d", b.ID, name, peak[name], q)
			}
		}
		for name, n := range peak {
			if n > capacity[name] {
				return fmt.Errorf("%q booked %d over capacity %d in the window of bid %q", name, n, capacity[name], b.ID)
			}
		}
	}
	return nil
}

// verifyBundle checks that got is b's bundle with its start fixed.
func verifyBundle(r Round, b Bid, got bundle.Bundle) error {
	want := b.Bundle.Window.At(r.At)
	switch {
	case !maps.Equal(got.Quantities, b.Bundle.Quantities):
		return fmt.Errorf("allocated %v for a bid of %v", got.Quantities, b.Bundle.Quantities)
	case got.Window.Duration != want.Duration || !got.Window.Start.Equal(want.Start):
		return fmt.Errorf("allocated window %v+%v for a bid of %v+%v", got.Window.Start, got.Window.Duration, want.Start, want.Duration)
	case got.Window.Start.Before(r.At):
		return fmt.Errorf("allocated window starts %v, before the round", got.Window.Start)
	}
	return nil
}

// verifyPayment checks that pay is an amount on r.Scale between the reserve
// cost of the bundle won and b's limit.
func verifyPayment(r Round, b Bid, won bundle.Bundle, pay *apd.Decimal) error {
	switch {
	case pay == nil || pay.Form != apd.Finite || pay.Sign() < 0:
		return fmt.Errorf("payment %v is not an amount", pay)
	case !onScale(pay, r.Scale):
		return fmt.Errorf("payment %s is finer than %d places", pay.Text('f'), r.Scale)
	case b.Limit == nil || pay.Cmp(b.Limit) > 0:
		return fmt.Errorf("payment %s exceeds the limit %v", pay.Text('f'), b.Limit)
	}
	cost, err := bundle.Cost(exact.Context, won, r.Reserve)
	if err != nil {
		return fmt.Errorf("reserve cost: %w", err)
	}
	if pay.Cmp(cost) < 0 {
		return fmt.Errorf("payment %s is below the bundle's reserve cost %s", pay.Text('f'), cost.Text('f'))
	}
	return nil
}

// verifyPrices checks that every resource has a price on r.Scale at least
// its reserve.
func verifyPrices(r Round, res Result) error {
	for _, name := range r.Calendar.Catalog().Names() {
		p, reserve := res.Prices[name], r.Reserve[name]
		switch {
		case p == nil || p.Form != apd.Finite:
			return fmt.Errorf("no price for %q", name)
		case !onScale(p, r.Scale):
			return fmt.Errorf("price %s of %q is finer than %d places", p.Text('f'), name, r.Scale)
		case reserve != nil && p.Cmp(reserve) < 0:
			return fmt.Errorf("price %s of %q is below its reserve %s", p.Text('f'), name, reserve.Text('f'))
		}
	}
	return nil
}

// verifyTotals checks volume, utilisation, revenue and surplus. It runs
// after verifyAllocations has checked every payment and limit.
func verifyTotals(r Round, res Result) error {
	limits := make(map[string]*apd.Decimal, len(r.Bids))
	for _, b := range r.Bids {
		limits[b.ID] = b.Limit
	}
	volume := make(bundle.Quantities)
	revenue, surplus := new(apd.Decimal), new(apd.Decimal)
	for _, a := range res.Allocations {
		for name, q := range a.Bundle.Quantities {
			volume[name] += q
		}
		var s apd.Decimal
		if err := chain(
			op(exact.Context.Add, revenue, revenue, a.Payment),
			op(exact.Context.Sub, &s, limits[a.Bid.ID], a.Payment),
			op(exact.Context.Add, surplus, surplus, &s),
		); err != nil {
			return err
		}
	}
	util, err := utilisation(r)
	if err != nil {
		return err
	}
	for _, name := range r.Calendar.Catalog().Names() {
		if res.Volume[name] != volume[name] {
			return fmt.Errorf("volume of %q is %d, allocations add up to %d", name, res.Volume[name], volume[name])
		}
		if u := res.Utilisation[name]; u == nil || u.Cmp(util[name]) != 0 {
			return fmt.Errorf("utilisation of %q is %v, the calendar says %s", name, u, util[name].Text('f'))
		}
	}
	switch {
	case res.Revenue == nil || res.Revenue.Cmp(revenue) != 0:
		return fmt.Errorf("revenue %v, payments add up to %s", res.Revenue, revenue.Text('f'))
	case res.Surplus == nil || res.Surplus.Cmp(surplus) != 0:
		return fmt.Errorf("surplus %v, limits less payments add up to %s", res.Surplus, surplus.Text('f'))
	case surplus.Sign() < 0:
		return fmt.Errorf("negative surplus %s", surplus.Text('f'))
	}
	return nil
}
