package auction

import (
	"github.com/scarcitylabs/scarcity/internal/instants"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

// occupancy is the capacity of one round, as integers: the round's time is
// cut into cells at every instant a candidate's window starts or ends, so
// that every window is a run of whole cells, and a line per resource holds
// the quantity booked in each cell. A cell starts with the most any
// booking already on the calendar holds at an instant of it; the round's
// own bookings are constant over a cell. A bundle therefore fits the
// calendar at every instant of its window exactly when it fits every cell
// of its run, and checking or booking it costs, per resource, integer
// arithmetic over the blocks and the few cells at the ends of its run,
// with no allocation.
type occupancy struct {
	cuts     []instant // cell i is [cuts[i], cuts[i+1])
	capacity []int64   // per resource, in catalog order
	cells    int       // the number of cells
	lines    []line    // per resource
}

// need is a quantity of the resource at index res of the catalog.
type need struct {
	res int
	n   int64
}

// instant is a comparable, ordered form of a time.Time (internal/instants).
type instant = instants.Instant

func instantOf(t time.Time) instant { return instants.Of(t) }

// newOccupancy cuts the round's time at the candidates' window bounds and
// loads what cal already holds; it sets each candidate's run of cells.
func newOccupancy(cal *bundle.Calendar, cs []candidate) *occupancy {
	var set instants.Set
	for i := range cs {
		w := cs[i].bundle.Window
		set.Add(instantOf(w.Start))
		set.Add(instantOf(w.End()))
	}
	cuts := set.Sorted()
	resources := cal.Catalog().Resources()
	o := &occupancy{cuts: cuts, capacity: make([]int64, len(resources)), cells: max(len(cuts)-1, 0), lines: make([]line, len(resources))}
	for i, res := range resources {
		o.capacity[i] = res.Capacity
		o.lines[i] = newLine(o.cells)
	}
	for i := range cs {
		w := cs[i].bundle.Window
		cs[i].lo, cs[i].hi = set.Number(instantOf(w.Start)), set.Number(instantOf(w.End()))
	}
	if cal.Len() > 0 {
		o.load(cal, resources)
	}
	return o
}

// load sets every cell to the peak that cal holds over it.
func (o *occupancy) load(cal *bundle.Calendar, resources []bundle.Resource) {
	for c := 0; c < o.cells; c++ {
		from := o.cuts[c].Time()
		peak := cal.Peak(bundle.Window{Start: from, Duration: o.cuts[c+1].Time().Sub(from)})
		for i, res := range resources {
			o.lines[i].set(c, peak[res.Name])
		}
	}
}

// peak returns the most of resource res used in cells [lo, hi).
func (o *occupancy) peak(res, lo, hi int) int64 { return o.lines[res].peak(lo, hi) }

// fits reports whether c fits the capacity left in every cell of its run.
func (o *occupancy) fits(c *candidate) bool {
	for _, q := range c.need {
		if !o.lines[q.res].within(c.lo, c.hi, o.capacity[q.res]-q.n) {
			return false
		}
	}
	return true
}

// add adds sign × c's quantities to every cell of its run.
func (o *occupancy) add(c *candidate, sign int64) {
	for _, q := range c.need {
		o.lines[q.res].add(c.lo, c.hi, sign*q.n)
	}
}

// blocking records, for a candidate that did not fit, how far it was over
// capacity: per resource, the largest excess over its run and the first
// and last cells where it was over. A winner w whose removal would let the
// candidate fit must cover every such cell and free at least the excess.
type blocking struct {
	excess      int64
	first, last int
}

// blockings returns c's excess per resource over the cells of its run, at
// the current occupancy; resources where c fits have no entry.
func (o *occupancy) blockings(c *candidate, dst []blockingOf) []blockingOf {
	for _, q := range c.need {
		l, limit := &o.lines[q.res], o.capacity[q.res]-q.n
		if first := l.firstOver(c.lo, c.hi, limit); first >= 0 {
			b := blocking{excess: l.peak(c.lo, c.hi) - limit, first: first, last: l.lastOver(c.lo, c.hi, limit)}
			dst = append(dst, blockingOf{res: q.res, blocking: b})
		}
	}
	return dst
}

// blockingOf is a blocking on the resource at index res.
type blockingOf struct {
	res int
	blocking
}
