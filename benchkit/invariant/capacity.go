package invariant

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/events"
)

// CheckCapacity returns nil or an error joining a *Violation named
// "capacity_respected" for every bundle_scheduled that books a resource
// beyond its capacity: at some instant of its window, from the instant it
// is scheduled, its quantity plus the quantities of the bundles already
// booked then exceeds the capacity in o.Capacities. A booked bundle holds
// its quantities over its window [start, start+duration), and until its
// bundle_released if that comes first (an expiry ends it with its window).
// A bundle that books a resource with no capacity in o is a violation, as
// is a window that is not positive. With nil o.Capacities nothing is
// checked.
func CheckCapacity(evs []events.Event, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	return join(inOrder(capacity(evs, o)))
}

// span is the time a booked bundle holds its quantities, in Unix
// nanoseconds: [start, end).
type span struct {
	start, end int64
	eventID    string // its bundle_scheduled
	bundleID   string
}

// booking is a span's quantity of one resource.
type booking struct {
	s   *span
	qty int64
}

type bundleKey struct {
	correlation string
	bundleID    string
}

// calendar is the replayed bookings of one check.
type calendar struct {
	r       *recorder
	caps    map[string]int64
	spans   map[bundleKey]*span
	booked  map[resourceKey][]booking
	scratch []edge
}

func capacity(evs []events.Event, o Options) []finding {
	if o.Capacities == nil {
		return nil
	}
	c := &calendar{
		r: newRecorder(CapacityRespected), caps: o.Capacities,
		spans: make(map[bundleKey]*span), booked: make(map[resourceKey][]booking),
	}
	for i, e := range evs {
		if e.Source != events.SourceScheduler {
			continue
		}
		switch p := stream.Payload(e.Data).(type) {
		case events.BundleScheduled:
			c.r.at(i, e)
			c.schedule(e, p)
		case events.BundleReleased:
			c.end(e, p.BundleID)
		case events.BundleExpired:
			c.end(e, p.BundleID)
		}
	}
	return c.r.found
}

// end ends a bundle's span at e's time, if it is still held then.
func (c *calendar) end(e events.Event, bundleID string) {
	if s := c.spans[bundleKey{e.Correlation, bundleID}]; s != nil {
		s.end = min(s.end, e.Time.UnixNano())
	}
}

func (c *calendar) schedule(e events.Event, p events.BundleScheduled) {
	start := p.Window.Start
	if start.IsZero() {
		start = e.Time
	}
	if p.Window.DurationSeconds <= 0 {
		c.r.flag("bundle %q has a window of %d seconds", p.BundleID, p.Window.DurationSeconds)
		return
	}
	s := &span{start: start.UnixNano(), eventID: e.ID, bundleID: p.BundleID}
	s.end = s.start + p.Window.DurationSeconds*1e9
	c.spans[bundleKey{e.Correlation, p.BundleID}] = s
	now := e.Time.UnixNano()
	for _, res := range sortedResources(p.Quantities) {
		q := p.Quantities[res]
		if q <= 0 {
			continue
		}
		capacity, ok := c.caps[res]
		if !ok {
			c.r.flag("bundle %q books %d of %q, a resource with no capacity", p.BundleID, q, res)
			continue
		}
		key := resourceKey{e.Correlation, res}
		list := c.prune(key, now)
		c.admit(list, s, max(s.start, now), q, capacity, res)
		c.booked[key] = append(list, booking{s, q})
	}
}

// resourceKey names a resource within one run.
type resourceKey struct {
	correlation string
	resource    string
}

// prune drops the bookings of key that have ended by now, and returns the
// rest.
func (c *calendar) prune(key resourceKey, now int64) []booking {
	list := c.booked[key]
	return slices.DeleteFunc(list, func(b booking) bool { return b.s.end <= now })
}

// admit flags a booking of q over [from, s.end) that, with list, exceeds
// the capacity at some instant.
func (c *calendar) admit(list []booking, s *span, from, q, capacity int64, res string) {
	if from >= s.end {
		return
	}
	total := q
	for _, b := range list {
		if b.s.start < s.end && b.s.end > from {
			total += b.qty
		}
	}
	if total <= capacity {
		return // even all overlapping at once fit
	}
	peak, at := c.peak(list, from, s.end)
	if peak+q <= capacity {
		return
	}
	var names []string
	for _, b := range list {
		if b.s.start <= at && at < b.s.end {
			names = append(names, b.s.bundleID+" ("+b.s.eventID+")")
		}
	}
	c.r.flag("bundle %q books %d %s where %d are already booked, %d above the capacity %d, at %s by %s",
		s.bundleID, q, res, peak, peak+q-capacity, capacity, time.Unix(0, at).UTC().Format(time.RFC3339Nano),
		strings.Join(names, ", "))
}

// edge is where a booking starts (+qty) or ends (−qty).
type edge struct {
	at    int64
	delta int64
}

// peak returns the largest quantity booked by list at an instant of
// [from, to), and the first instant it is reached.
func (c *calendar) peak(list []booking, from, to int64) (int64, int64) {
	edges := c.scratch[:0]
	for _, b := range list {
		lo, hi := max(b.s.start, from), min(b.s.end, to)
		if lo < hi {
			edges = append(edges, edge{lo, b.qty}, edge{hi, -b.qty})
		}
	}
	slices.SortFunc(edges, func(a, b edge) int {
		// Ends before starts at the same instant: [start, end) spans.
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.delta, b.delta))
	})
	var level, peak, at int64 = 0, 0, from
	for _, e := range edges {
		level += e.delta
		if level > peak {
			peak, at = level, e.at
		}
	}
	c.scratch = edges
	return peak, at
}

// sortedResources returns the resources of q in name order.
func sortedResources(q events.Quantities) []string {
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
