package bundle

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Calendar books bundles against a catalog's capacity over time. Admission
// checks every instant of a bundle's window against every overlapping
// booking, so capacity is a calendar, not a counter.
type Calendar struct {
	catalog  *Catalog
	bookings map[string]Bundle
}

// NewCalendar returns an empty calendar for c's resources.
func NewCalendar(c *Catalog) *Calendar {
	return &Calendar{catalog: c, bookings: make(map[string]Bundle)}
}

// Catalog returns the calendar's catalog.
func (c *Calendar) Catalog() *Catalog { return c.catalog }

// Len returns the number of bookings.
func (c *Calendar) Len() int { return len(c.bookings) }

// Has reports whether a booking id is on the calendar.
func (c *Calendar) Has(id string) bool {
	_, ok := c.bookings[id]
	return ok
}

// Clone returns an independent copy of c.
func (c *Calendar) Clone() *Calendar {
	return &Calendar{catalog: c.catalog, bookings: maps.Clone(c.bookings)}
}

// Free returns, per resource, the capacity left at the busiest instant of w.
func (c *Calendar) Free(w Window) Quantities {
	free := c.catalog.Capacity()
	for name, peak := range c.peak(w) {
		free[name] -= peak
	}
	return free
}

// Check reports whether b, with a fixed start, fits the capacity left at
// every instant of its window. Errors wrap ErrExceedsCapacity or the
// validation errors of [Bundle.Validate].
func (c *Calendar) Check(b Bundle) error {
	if err := b.Validate(c.catalog); err != nil {
		return err
	}
	free := c.Free(b.Window)
	for _, name := range b.Quantities.Names() {
		if q := b.Quantities[name]; q > free[name] {
			return fmt.Errorf("%w: %q needs %d, %d free", ErrExceedsCapacity, name, q, free[name])
		}
	}
	return nil
}

// Book adds b under id if it fits.
func (c *Calendar) Book(id string, b Bundle) error {
	if _, dup := c.bookings[id]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicateBooking, id)
	}
	if err := c.Check(b); err != nil {
		return err
	}
	b.Quantities = b.Quantities.Clone()
	c.bookings[id] = b
	return nil
}

// Cancel removes the booking id, returning its capacity for its whole window.
func (c *Calendar) Cancel(id string) error {
	if _, ok := c.bookings[id]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownBooking, id)
	}
	delete(c.bookings, id)
	return nil
}

// Truncate ends the booking id at end, returning the capacity after it. A
// booking truncated at or before its start is removed.
func (c *Calendar) Truncate(id string, end time.Time) error {
	b, ok := c.bookings[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownBooking, id)
	}
	if !end.After(b.Window.Start) {
		delete(c.bookings, id)
		return nil
	}
	if end.Before(b.Window.End()) {
		b.Window.Duration = end.Sub(b.Window.Start)
		c.bookings[id] = b
	}
	return nil
}

// Prune removes the bookings that ended at or before t.
func (c *Calendar) Prune(t time.Time) {
	for id, b := range c.bookings {
		if !b.Window.End().After(t) {
			delete(c.bookings, id)
		}
	}
}

// UsedAt returns the quantity booked per resource at instant t.
func (c *Calendar) UsedAt(t time.Time) Quantities {
	used := make(Quantities)
	for _, b := range c.bookings {
		if b.Window.Contains(t) {
			for name, q := range b.Quantities {
				used[name] += q
			}
		}
	}
	return used
}

// Peak returns the largest quantity booked per resource at any instant of w.
func (c *Calendar) Peak(w Window) Quantities { return c.peak(w) }

type calendarStep struct {
	at    time.Time
	delta int64
}

// peak sweeps the bookings overlapping w and returns each resource's
// largest booked quantity at any instant of w.
func (c *Calendar) peak(w Window) Quantities {
	steps := make(map[string][]calendarStep)
	for _, b := range c.bookings {
		if !b.Window.Overlaps(w) {
			continue
		}
		start := b.Window.Start
		if start.Before(w.Start) {
			start = w.Start
		}
		for name, q := range b.Quantities {
			steps[name] = append(steps[name], calendarStep{start, q}, calendarStep{b.Window.End(), -q})
		}
	}
	peak := make(Quantities, len(steps))
	for name, s := range steps {
		// Windows are half-open: at equal instants, ends come before starts.
		slices.SortFunc(s, func(a, b calendarStep) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return cmp.Compare(a.delta, b.delta)
		})
		var run int64
		for _, st := range s {
			run += st.delta
			peak[name] = max(peak[name], run)
		}
	}
	return peak
}
