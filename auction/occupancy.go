package auction

import (
	"fmt"
	"slices"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

// occupancy is the capacity of one round, as integers: the round's time is
// cut into cells at every instant a candidate's window starts or ends, so
// that every window is a run of whole cells, and used holds, per cell and
// resource, the quantity booked. A cell starts with the most any booking
// already on the calendar holds at an instant of it; the round's own
// bookings are constant over a cell. A bundle therefore fits the calendar
// at every instant of its window exactly when it fits every cell of its
// run, and checking or booking it costs O(cells × resources) of integer
// arithmetic, with no allocation.
type occupancy struct {
	cuts     []instant // cell i is [cuts[i], cuts[i+1])
	capacity []int64   // per resource, in catalog order
	used     []int64   // cell-major: used[cell*len(capacity)+resource]
}

// need is a quantity of the resource at index res of the catalog.
type need struct {
	res int
	n   int64
}

// instant is a comparable, ordered form of a time.Time, free of location
// and monotonic reading.
type instant struct {
	sec  int64
	nsec int
}

func instantOf(t time.Time) instant { return instant{t.Unix(), t.Nanosecond()} }

func (a instant) compare(b instant) int {
	if a.sec != b.sec {
		if a.sec < b.sec {
			return -1
		}
		return 1
	}
	return a.nsec - b.nsec
}

func (a instant) time() time.Time { return time.Unix(a.sec, int64(a.nsec)) }

// newOccupancy cuts the round's time at the candidates' window bounds and
// loads what cal already holds; it sets each candidate's run of cells.
func newOccupancy(cal *bundle.Calendar, cs []candidate) *occupancy {
	cuts := make([]instant, 0, 2*len(cs))
	for i := range cs {
		cuts = append(cuts, instantOf(cs[i].bundle.Window.Start), instantOf(cs[i].bundle.Window.End()))
	}
	slices.SortFunc(cuts, instant.compare)
	cuts = slices.Compact(cuts)
	resources := cal.Catalog().Resources()
	o := &occupancy{cuts: cuts, capacity: make([]int64, len(resources))}
	for i, res := range resources {
		o.capacity[i] = res.Capacity
	}
	if len(cuts) > 1 {
		o.used = make([]int64, (len(cuts)-1)*len(resources))
	}
	for i := range cs {
		cs[i].lo = o.cell(instantOf(cs[i].bundle.Window.Start))
		cs[i].hi = o.cell(instantOf(cs[i].bundle.Window.End()))
	}
	if cal.Len() > 0 {
		o.load(cal, resources)
	}
	return o
}

// cell returns the index of the cut at t, which must be a cut.
func (o *occupancy) cell(t instant) int {
	i, _ := slices.BinarySearchFunc(o.cuts, t, instant.compare)
	return i
}

// load sets every cell to the peak that cal holds over it.
func (o *occupancy) load(cal *bundle.Calendar, resources []bundle.Resource) {
	for c := 0; c+1 < len(o.cuts); c++ {
		from := o.cuts[c].time()
		peak := cal.Peak(bundle.Window{Start: from, Duration: o.cuts[c+1].time().Sub(from)})
		row := o.row(c)
		for i, res := range resources {
			row[i] = peak[res.Name]
		}
	}
}

// row returns the quantities used in cell c, by resource.
func (o *occupancy) row(c int) []int64 {
	n := len(o.capacity)
	return o.used[c*n : (c+1)*n : (c+1)*n]
}

// peak returns the most of resource res used in cells [lo, hi).
func (o *occupancy) peak(res, lo, hi int) int64 {
	var p int64
	n := len(o.capacity)
	for i := lo*n + res; i < hi*n; i += n {
		p = max(p, o.used[i])
	}
	return p
}

// fits reports whether c fits the capacity left in every cell of its run.
func (o *occupancy) fits(c *candidate) bool {
	n := len(o.capacity)
	for _, q := range c.need {
		limit := o.capacity[q.res] - q.n
		for i := c.lo*n + q.res; i < c.hi*n; i += n {
			if o.used[i] > limit {
				return false
			}
		}
	}
	return true
}

// add adds sign × c's quantities to every cell of its run.
func (o *occupancy) add(c *candidate, sign int64) {
	n := len(o.capacity)
	for _, q := range c.need {
		for i := c.lo*n + q.res; i < c.hi*n; i += n {
			o.used[i] += sign * q.n
		}
	}
}

// shortfall explains why c does not fit: the first resource, in name
// order, short at the start of its window, else over the whole window.
func (o *occupancy) shortfall(c *candidate, names []string) error {
	for _, q := range c.need {
		if free := o.capacity[q.res] - o.peak(q.res, c.lo, c.lo+1); q.n > free {
			return fmt.Errorf("%w: %q needs %d, %d free at %s", bundle.ErrExceedsCapacity,
				names[q.res], q.n, free, c.bundle.Window.Start.UTC().Format(timeFormat))
		}
	}
	for _, q := range c.need {
		if free := o.capacity[q.res] - o.peak(q.res, c.lo, c.hi); q.n > free {
			return fmt.Errorf("%w: %q needs %d, %d free", bundle.ErrExceedsCapacity, names[q.res], q.n, free)
		}
	}
	return fmt.Errorf("%w: does not fit", bundle.ErrExceedsCapacity)
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
	n := len(o.capacity)
	for _, q := range c.need {
		b := blocking{first: -1}
		for cell := c.lo; cell < c.hi; cell++ {
			if over := o.used[cell*n+q.res] + q.n - o.capacity[q.res]; over > 0 {
				if b.first < 0 {
					b.first = cell
				}
				b.last, b.excess = cell, max(b.excess, over)
			}
		}
		if b.first >= 0 {
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
