package auction

import (
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

// occupancy caches, for the instants at which candidates start, the
// quantity booked on a calendar, and keeps it current as a round books its
// winners. A bid that does not fit at the first instant of its window
// cannot fit at all, so occupancy rejects it without sweeping the calendar;
// the calendar stays the authority for every bid that might fit.
type occupancy struct {
	cal      *bundle.Calendar
	capacity bundle.Quantities
	used     map[instant]bundle.Quantities
}

// instant is a comparable form of a time.Time, free of location and
// monotonic reading.
type instant struct {
	sec  int64
	nsec int
}

func instantOf(t time.Time) instant { return instant{t.Unix(), t.Nanosecond()} }

func newOccupancy(cal *bundle.Calendar) *occupancy {
	return &occupancy{cal: cal, capacity: cal.Catalog().Capacity(), used: make(map[instant]bundle.Quantities)}
}

// shortfall returns an error wrapping bundle.ErrExceedsCapacity if b, with
// a fixed start, exceeds the capacity left at the first instant of its
// window; nil means that b may fit.
func (o *occupancy) shortfall(b bundle.Bundle) error {
	key := instantOf(b.Window.Start)
	used, ok := o.used[key]
	if !ok {
		used = o.cal.UsedAt(b.Window.Start)
		o.used[key] = used
	}
	for _, name := range b.Quantities.Names() {
		if free := o.capacity[name] - used[name]; b.Quantities[name] > free {
			return fmt.Errorf("%w: %q needs %d, %d free at %s", bundle.ErrExceedsCapacity,
				name, b.Quantities[name], free, b.Window.Start.UTC().Format(timeFormat))
		}
	}
	return nil
}

// booked records b, just booked on the calendar, at the cached instants
// its window contains.
func (o *occupancy) booked(b bundle.Bundle) {
	for at, used := range o.used {
		if b.Window.Contains(time.Unix(at.sec, int64(at.nsec))) {
			for name, q := range b.Quantities {
				used[name] += q
			}
		}
	}
}
