package auction

import (
	"errors"
	"fmt"
	"maps"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// candidate is a bid that passed screening: its bundle with the window
// start fixed, and its cost at the reserve prices.
type candidate struct {
	index   int // position in Round.Bids
	bid     Bid
	bundle  bundle.Bundle
	reserve *apd.Decimal
}

// screen fixes the start of b's window and checks b against r, in this
// order: expired (starts before r.At), invalid bundle (Bundle.Validate fails
// other than for capacity, or the limit is missing, not positive or beyond
// MaxDigits), exceeds capacity (a quantity above its resource's capacity,
// which can never fit), below reserve (limit under the bundle's cost at the
// reserve prices). It returns the candidate, or the rejection.
func screen(r Round, index int, b Bid) (candidate, *Rejection) {
	fixed := cloneBundle(b.Bundle)
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
	cost, err := bundle.Cost(exact, fixed, r.Reserve)
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
