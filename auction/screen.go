package auction

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// candidate is a bid that passed screening: its bundle with the window
// start fixed (sharing the bid's quantities, which nothing modifies), its
// cost at the reserve prices, and the figures clearing needs of it,
// computed once.
type candidate struct {
	index   int // position in Round.Bids
	bid     Bid
	bundle  bundle.Bundle
	reserve *apd.Decimal
	need    []need // the quantities by resource index, in name order
	lo, hi  int    // the run of occupancy cells its window covers
	rank    rank   // its key in the clearing order
	pos     int    // its position in the clearing order
	won     bool
	blocks  []blockingOf // for an outbid candidate, where it was over capacity

	reserveUnits uint64 // reserve in a round-wide unit, for ratio comparisons
}

// screenAll screens r's bids: it returns the rejection of each bid that
// fails screening, by bid index, and the candidates, in bid order.
func screenAll(r Round) ([]*Rejection, []candidate) {
	names := r.Calendar.Catalog().Names()
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
	}
	rejections := make([]*Rejection, len(r.Bids))
	cs := make([]candidate, 0, len(r.Bids))
	var needs []need
	ticks := newTickPrices(names, r.Reserve)
	var scratch candidate
	reserveCost := func(b bundle.Bundle) (*apd.Decimal, error) {
		scratch.bundle, scratch.need = b, needsOf(scratch.need[:0], b.Quantities, index)
		return costOf(ticks, &scratch, r.Reserve)
	}
	for i, b := range r.Bids {
		c, rej := screen(r, i, b, reserveCost)
		if rej != nil {
			rejections[i] = rej
			continue
		}
		cs = append(cs, c)
		needs = needsOf(needs, c.bundle.Quantities, index)
	}
	// Slice the needs only now: appending may have moved them.
	at := 0
	for i := range cs {
		n := len(cs[i].bundle.Quantities)
		cs[i].need = needs[at : at+n : at+n]
		at += n
	}
	return rejections, cs
}

// needsOf returns q by resource index, in name order, appended to dst.
func needsOf(dst []need, q bundle.Quantities, index map[string]int) []need {
	start := len(dst)
	for name, n := range q {
		dst = append(dst, need{res: index[name], n: n})
	}
	slices.SortFunc(dst[start:], func(a, b need) int { return a.res - b.res })
	return dst
}

// screen fixes the start of b's window and checks b against r, in this
// order: expired (starts before r.At), invalid bundle (Bundle.Validate fails
// other than for capacity, or the limit is missing, not positive or beyond
// MaxDigits), exceeds capacity (a quantity above its resource's capacity,
// which can never fit), below reserve (limit under the bundle's cost at the
// reserve prices). It returns the candidate, or the rejection.
func screen(r Round, index int, b Bid, reserveCost func(bundle.Bundle) (*apd.Decimal, error)) (candidate, *Rejection) {
	fixed := b.Bundle
	fixed.Window = fixed.Window.At(r.At)
	reject := func(reason events.RejectReason, format string, args ...any) (candidate, *Rejection) {
		return candidate{}, &Rejection{Bid: b.clone(), Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
	if fixed.Window.Start.Before(r.At) {
		return reject(events.ReasonExpired, "window starts at %s, before the clearing instant %s",
			fixed.Window.Start.UTC().Format(timeFormat), r.At.UTC().Format(timeFormat))
	}
	cat := r.Calendar.Catalog()
	tooBig, err := validateShape(fixed, cat)
	if err != nil {
		return reject(events.ReasonInvalidBundle, "%v", err)
	}
	if err := checkBounded(b.Limit); err != nil {
		return reject(events.ReasonInvalidBundle, "limit: %v", err)
	}
	if tooBig != nil {
		return reject(events.ReasonExceedsCapacity, "%v", tooBig)
	}
	cost, err := reserveCost(fixed)
	if err != nil {
		return reject(events.ReasonInvalidBundle, "reserve cost: %v", err)
	}
	if b.Limit.Cmp(cost) < 0 {
		return reject(events.ReasonBelowReserve, "limit %s is below the reserve cost %s", b.Limit.Text('f'), cost.Text('f'))
	}
	return candidate{index: index, bid: b, bundle: fixed, reserve: cost}, nil
}

// timeFormat prints instants in rejection details.
const timeFormat = "2006-01-02T15:04:05.999999999Z07:00"

// validateShape validates b against c. An error means b is malformed; a
// non-nil tooBig, with a nil error, means b is well formed but asks for more
// of a resource than its capacity.
func validateShape(b bundle.Bundle, c *bundle.Catalog) (tooBig, err error) {
	err = b.Validate(c)
	if !errors.Is(err, bundle.ErrExceedsCapacity) {
		return nil, err
	}
	// Validate stops at the first problem: look for another one with every
	// quantity capped at its capacity.
	capped := b
	capped.Quantities = maps.Clone(b.Quantities)
	for name, q := range capped.Quantities {
		if res, ok := c.Lookup(name); ok {
			capped.Quantities[name] = min(q, res.Capacity)
		}
	}
	if other := capped.Validate(c); other != nil {
		return nil, other
	}
	return err, nil
}
