package auction

import (
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

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
