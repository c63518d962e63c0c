package auction

import (
	"fmt"
	"maps"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

// Bid is an agent's all-or-nothing offer for a bundle.
type Bid struct {
	// ID identifies the bid; a winning bid's bundle is booked under it.
	ID string
	// Agent is the bidding agent.
	Agent string
	// Bundle is what the agent wants. A zero Window.Start means "as soon as
	// cleared": the round fixes it to its clearing instant.
	Bundle bundle.Bundle
	// Limit is the most the agent will pay for the whole bundle (the
	// bid_placed event's total_cost).
	Limit *apd.Decimal
	// Seq is the arrival order; it breaks ties between equal limits, then
	// ID does.
	Seq uint64
}

// clone returns a deep copy of b, so that a result never shares memory with
// the round it came from.
func (b Bid) clone() Bid {
	b.Bundle = cloneBundle(b.Bundle)
	if b.Limit != nil {
		b.Limit = new(apd.Decimal).Set(b.Limit)
	}
	return b
}

func cloneBundle(b bundle.Bundle) bundle.Bundle {
	b.Quantities = maps.Clone(b.Quantities)
	return b
}

// cloner makes deep copies of bids, as Bid.clone does, taking their
// limits from one allocation.
type cloner struct {
	limits []apd.Decimal
}

// newCloner returns a cloner of n bids.
func newCloner(n int) *cloner { return &cloner{limits: make([]apd.Decimal, n)} }

// clone returns a deep copy of b.
func (c *cloner) clone(b Bid) Bid {
	c.cloneInto(&b, &b)
	return b
}

// cloneInto sets *dst to a deep copy of *b.
func (c *cloner) cloneInto(dst, b *Bid) {
	limit := b.Limit
	*dst = *b
	dst.Bundle.Quantities = maps.Clone(b.Bundle.Quantities)
	if limit != nil {
		dst.Limit = c.limits[0].Set(limit)
		c.limits = c.limits[1:]
	}
}

// Round is one clearing of the call market.
type Round struct {
	// Number is the round's number, reported in its result.
	Number uint64
	// At is the clearing instant: bids without a start begin then, and
	// bids starting before it have expired.
	At time.Time
	// Bids are the round's bids, in the order rejections are reported.
	Bids []Bid
	// Calendar holds the capacity already booked. Clearing books the
	// winners into it, so the caller passes a clone.
	Calendar *bundle.Calendar
	// Reserve is the reserve price of every resource of the calendar's
	// catalog, in credits per unit per second: positive, with at most
	// Scale decimal places.
	Reserve bundle.Prices
	// Scale is the number of decimal places of prices and payments (the
	// ledger's scale), 0 to MaxScale.
	Scale int32
}

// Validate reports whether r is well formed: a calendar, a clearing
// instant, a scale in [0, MaxScale], a valid reserve price for every
// resource of the catalog and for no other, and bid ids that are non-empty,
// unique, and not already booked on the calendar. Errors wrap
// ErrInvalidRound.
func (r Round) Validate() error {
	switch {
	case r.Calendar == nil:
		return fmt.Errorf("%w: no calendar", ErrInvalidRound)
	case r.At.IsZero():
		return fmt.Errorf("%w: zero clearing instant", ErrInvalidRound)
	case r.Scale < 0 || r.Scale > MaxScale:
		return fmt.Errorf("%w: scale %d not in [0, %d]", ErrInvalidRound, r.Scale, MaxScale)
	}
	if err := r.validateReserve(); err != nil {
		return err
	}
	return r.validateBidIDs()
}

func (r Round) validateReserve() error {
	cat := r.Calendar.Catalog()
	for name := range r.Reserve {
		if _, ok := cat.Lookup(name); !ok {
			return fmt.Errorf("%w: reserve for unknown resource %q", ErrInvalidRound, name)
		}
	}
	for _, name := range cat.Names() {
		p := r.Reserve[name]
		if err := checkBounded(p); err != nil {
			return fmt.Errorf("%w: reserve for %q: %v", ErrInvalidRound, name, err)
		}
		if !onScale(p, r.Scale) {
			return fmt.Errorf("%w: reserve for %q: %s is finer than %d places", ErrInvalidRound, name, p.Text('f'), r.Scale)
		}
	}
	return nil
}

func (r Round) validateBidIDs() error {
	seen := make(map[string]struct{}, len(r.Bids))
	for _, b := range r.Bids {
		if b.ID == "" {
			return fmt.Errorf("%w: bid with empty id", ErrInvalidRound)
		}
		if _, dup := seen[b.ID]; dup {
			return fmt.Errorf("%w: duplicate bid id %q", ErrInvalidRound, b.ID)
		}
		seen[b.ID] = struct{}{}
		if r.Calendar.Has(b.ID) {
			return fmt.Errorf("%w: bid id %q is already booked on the calendar", ErrInvalidRound, b.ID)
		}
	}
	return nil
}

// Mechanism clears rounds of the call market.
//
// Clear must be pure and deterministic: the same round, on an equal
// calendar, gives the same result. It books the winners into r.Calendar and
// changes nothing else; it returns an error only for a malformed round
// (wrapping ErrInvalidRound), never for a bid, which it rejects instead. Its
// result must pass [Verify].
type Mechanism interface {
	Name() string
	Clear(r Round) (Result, error)
}
