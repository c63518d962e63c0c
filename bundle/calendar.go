package bundle

import (
	"fmt"
	"maps"
	"time"

	"github.com/scarcitylabs/scarcity/internal/assert"
)

// Calendar books bundles against a catalog's capacity over time. Admission
// checks every instant of a bundle's window against every overlapping
// booking, so capacity is a calendar, not a counter.
//
// For each resource the calendar keeps a timeline: the quantity booked, as
// a step function of time. A Check or a Peak reads the steps inside its
// window, found by binary search, so its cost depends on how many bookings
// start or end in the window and only logarithmically on how many there
// are; a Book, Cancel or Truncate also changes only those steps. Instants
// are compared by wall clock: monotonic clock readings are ignored.
type Calendar struct {
	catalog  *Catalog
	bookings map[string]booking
	lines    []timeline // per resource, in catalog order
}

// booking is a bundle on a calendar.
type booking struct {
	window Window // stripped of its monotonic reading
	held   []held // never modified, so clones share it
}

// held is a quantity of the resource at index res of the catalog.
type held struct {
	res int
	n   int64
}

// NewCalendar returns an empty calendar for c's resources.
func NewCalendar(c *Catalog) *Calendar {
	cal := &Calendar{catalog: c, bookings: make(map[string]booking)}
	cal.lines = make([]timeline, len(cal.resources()))
	return cal
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
	lines := make([]timeline, len(c.lines))
	for i := range c.lines {
		lines[i] = c.lines[i].clone()
	}
	return &Calendar{catalog: c.catalog, bookings: maps.Clone(c.bookings), lines: lines}
}

// Free returns, per resource, the capacity left at the busiest instant of w.
// An empty window has no busy instant: everything is free.
func (c *Calendar) Free(w Window) Quantities {
	from, to := span(w)
	rs := c.resources()
	free := make(Quantities, len(rs))
	for i, r := range rs {
		free[r.Name] = r.Capacity - c.lines[i].peak(from, to)
	}
	return free
}

// Check reports whether b, with a fixed start, fits the capacity left at
// every instant of its window. Errors wrap ErrExceedsCapacity or the
// validation errors of [Bundle.Validate]; of several resources that do not
// fit, the error names the first in name order.
func (c *Calendar) Check(b Bundle) error {
	if err := b.Validate(c.catalog); err != nil {
		return err
	}
	from, to := span(b.Window)
	var short string
	var need, free int64
	for name, q := range b.Quantities {
		r, i := c.resource(name)
		if left := r.Capacity - c.lines[i].peak(from, to); q > left && (short == "" || name < short) {
			short, need, free = name, q, left
		}
	}
	if short != "" {
		return fmt.Errorf("%w: %q needs %d, %d free", ErrExceedsCapacity, short, need, free)
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
	bk := booking{window: b.Window}
	bk.window.Start = bk.window.Start.Round(0)
	bk.held, _ = heldOf(c.catalog, b.Quantities, make([]held, 0, len(b.Quantities))) // valid: Check says so
	c.bookings[id] = bk
	c.add(bk.held, bk.window.Start, bk.window.End(), 1)
	return nil
}

// Cancel removes the booking id, returning its capacity for its whole window.
func (c *Calendar) Cancel(id string) error {
	b, ok := c.bookings[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownBooking, id)
	}
	c.remove(id, b)
	return nil
}

// Truncate ends the booking id at end, returning the capacity after it. A
// booking truncated at or before its start is removed. The booking then ends
// exactly at end, so its window may be left with a sub-second remainder
// (see [Window.Seconds]): capacity is returned from end on, not from the
// next whole second.
func (c *Calendar) Truncate(id string, end time.Time) error {
	b, ok := c.bookings[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownBooking, id)
	}
	end = end.Round(0)
	switch {
	case !end.After(b.window.Start):
		c.remove(id, b)
	case end.Before(b.window.End()):
		c.add(b.held, end, b.window.End(), -1)
		b.window.Duration = end.Sub(b.window.Start)
		c.bookings[id] = b
	}
	return nil
}

// Prune removes the bookings that ended at or before t. The timelines
// forget their steps before t but for those of the bookings still running
// at t.
func (c *Calendar) Prune(t time.Time) {
	t = t.Round(0)
	touched := make([]bool, len(c.lines))
	var pruned bool
	for id, b := range c.bookings {
		if !b.window.End().After(t) {
			delete(c.bookings, id)
			c.mark(touched, b.held)
			pruned = true
		}
	}
	if pruned {
		c.rebuildBefore(t, touched)
	}
}

// UsedAt returns the quantity booked per resource at instant t.
func (c *Calendar) UsedAt(t time.Time) Quantities {
	at := instantOf(t)
	used := make(Quantities)
	for i, r := range c.resources() {
		if n := c.lines[i].levelAt(at); n > 0 {
			used[r.Name] = n
		}
	}
	return used
}

// Peak returns the largest quantity booked per resource at any instant of
// w, for the resources booked at some instant of w.
func (c *Calendar) Peak(w Window) Quantities {
	from, to := span(w)
	peak := make(Quantities)
	for i, r := range c.resources() {
		if n := c.lines[i].peak(from, to); n > 0 {
			peak[r.Name] = n
		}
	}
	return peak
}

// resources returns the catalog's resources, none if there is no catalog.
func (c *Calendar) resources() []Resource {
	if c.catalog == nil {
		return nil
	}
	return c.catalog.resources
}

// resource returns the resource called name, which must be in the catalog,
// and its index.
func (c *Calendar) resource(name string) (Resource, int) {
	i := c.catalog.index[name]
	return c.catalog.resources[i], i
}

// add adds sign × q to the timelines over [start, end). Every level it
// leaves must lie between 0 and the resource's capacity: Book checks that a
// booking fits before it adds it, and only what was added is taken away, so
// a level outside them is a bug that would sell capacity twice or return
// capacity never booked.
func (c *Calendar) add(q []held, start, end time.Time, sign int64) {
	from, to := instantOf(start), instantOf(end)
	for _, h := range q {
		low, high := c.lines[h.res].add(from, to, sign*h.n)
		assert.That(low >= 0 && high <= c.catalog.resources[h.res].Capacity,
			"bundle: a calendar booked a resource beyond its capacity or released more than was booked")
	}
}

// remove deletes the booking b under id and returns its capacity.
func (c *Calendar) remove(id string, b booking) {
	delete(c.bookings, id)
	c.add(b.held, b.window.Start, b.window.End(), -1)
}

// mark sets touched for the resources of q.
func (c *Calendar) mark(touched []bool, q []held) {
	for _, h := range q {
		touched[h.res] = true
	}
}

// rebuildBefore rebuilds, for the touched resources, the steps before t from
// the bookings still running at t: the only ones left that start before t.
func (c *Calendar) rebuildBefore(t time.Time, touched []bool) {
	starts := make([][]step, len(c.lines))
	for _, b := range c.bookings {
		if !b.window.Start.Before(t) {
			continue
		}
		at := instantOf(b.window.Start)
		for _, h := range b.held {
			if touched[h.res] {
				starts[h.res] = append(starts[h.res], step{at: at, level: h.n})
			}
		}
	}
	at := instantOf(t)
	for i := range c.lines {
		if touched[i] {
			c.lines[i].replaceBefore(at, starts[i])
		}
	}
}

// span returns the bounds of w as instants.
func span(w Window) (from, to instant) {
	return instantOf(w.Start), instantOf(w.End())
}
