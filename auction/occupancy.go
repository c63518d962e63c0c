package auction

import (
	"strconv"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/internal/instants"
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

// blockCells is the number of cells of a block of a line.
const blockCells = 32

// line is the quantity of one resource booked in each cell of an
// occupancy, cut into blocks of blockCells cells that each keep the most
// any of their cells holds, so that a long run of cells is read a block at
// a time: the quantity in cell i is used[i] + lazy[i/blockCells], and top
// holds, per block, the most of used over its cells.
type line struct {
	used []int64 // per cell, less its block's lazy
	top  []int64 // per block
	lazy []int64 // per block, added to each of its cells
}

// newLine returns a line of cells empty cells.
func newLine(cells int) line {
	blocks := (cells + blockCells - 1) / blockCells
	return line{used: make([]int64, cells), top: make([]int64, blocks), lazy: make([]int64, blocks)}
}

// set sets the quantity in cell i, the line having no lazy additions yet.
func (l *line) set(i int, n int64) {
	l.used[i] = n
	b := i / blockCells
	l.top[b] = max(l.top[b], n)
}

// segment returns the cells [lo, end) of [lo, hi) in lo's block, the
// block, and whether they are the whole block.
func (l *line) segment(lo, hi int) (end, b int, whole bool) {
	b = lo / blockCells
	first, last := b*blockCells, min((b+1)*blockCells, len(l.used))
	end = min(hi, last)
	return end, b, lo == first && end == last
}

// peak returns the most booked in any cell of [lo, hi), 0 if none.
func (l *line) peak(lo, hi int) int64 {
	var p int64
	for lo < hi {
		end, b, whole := l.segment(lo, hi)
		if whole {
			p = max(p, l.top[b]+l.lazy[b])
		} else {
			for _, u := range l.used[lo:end] {
				p = max(p, u+l.lazy[b])
			}
		}
		lo = end
	}
	return p
}

// within reports whether every cell of [lo, hi) holds at most limit.
func (l *line) within(lo, hi int, limit int64) bool {
	for lo < hi {
		end, b, whole := l.segment(lo, hi)
		if whole {
			if l.top[b]+l.lazy[b] > limit {
				return false
			}
		} else {
			for _, u := range l.used[lo:end] {
				if u > limit-l.lazy[b] {
					return false
				}
			}
		}
		lo = end
	}
	return true
}

// add adds n to every cell of [lo, hi).
func (l *line) add(lo, hi int, n int64) {
	for lo < hi {
		end, b, whole := l.segment(lo, hi)
		if whole {
			l.lazy[b] += n
		} else {
			for i := lo; i < end; i++ {
				l.used[i] += n
			}
			l.retop(b)
		}
		lo = end
	}
}

// retop recomputes the top of block b.
func (l *line) retop(b int) {
	var t int64
	for _, u := range l.used[b*blockCells : min((b+1)*blockCells, len(l.used))] {
		t = max(t, u)
	}
	l.top[b] = t
}

// firstOver returns the first cell of [lo, hi) holding more than limit,
// or -1.
func (l *line) firstOver(lo, hi int, limit int64) int {
	for lo < hi {
		end, b, whole := l.segment(lo, hi)
		if !whole || l.top[b]+l.lazy[b] > limit {
			for i := lo; i < end; i++ {
				if l.used[i]+l.lazy[b] > limit {
					return i
				}
			}
		}
		lo = end
	}
	return -1
}

// lastOver returns the last cell of [lo, hi) holding more than limit, or
// -1.
func (l *line) lastOver(lo, hi int, limit int64) int {
	for lo < hi {
		b := (hi - 1) / blockCells
		start := max(lo, b*blockCells)
		whole := start == b*blockCells && hi == min((b+1)*blockCells, len(l.used))
		if !whole || l.top[b]+l.lazy[b] > limit {
			for i := hi - 1; i >= start; i-- {
				if l.used[i]+l.lazy[b] > limit {
					return i
				}
			}
		}
		hi = start
	}
	return -1
}

// explainer words why candidates do not fit an occupancy, as
// bundle.ErrExceedsCapacity wrapped with fmt would, quoting each resource
// name and formatting each cell's start only once.
type explainer struct {
	o      *occupancy
	quoted []string // by resource index
	starts []string // by cell, "" until formatted
	texts  map[string]string
	buf    []byte
}

// newExplainer returns an explainer for o, whose resources are called
// names.
func newExplainer(o *occupancy, names []string) *explainer {
	e := &explainer{o: o, quoted: make([]string, len(names)), starts: make([]string, o.cells), texts: make(map[string]string)}
	for i, name := range names {
		e.quoted[i] = strconv.Quote(name)
	}
	return e
}

// shortfall explains why c does not fit: the first resource, in name
// order, short at the start of its window, else over the whole window.
func (e *explainer) shortfall(c *candidate) string {
	o := e.o
	e.buf = append(append(e.buf[:0], bundle.ErrExceedsCapacity.Error()...), ": "...)
	for _, q := range c.need {
		if free := o.capacity[q.res] - o.peak(q.res, c.lo, c.lo+1); q.n > free {
			e.needs(q, free)
			e.buf = append(append(e.buf, " at "...), e.start(c.lo)...)
			return e.text()
		}
	}
	for _, q := range c.need {
		if free := o.capacity[q.res] - o.peak(q.res, c.lo, c.hi); q.n > free {
			e.needs(q, free)
			return e.text()
		}
	}
	e.buf = append(e.buf, "does not fit"...)
	return e.text()
}

// text returns the explanation written, the same string for the same
// text: outbid bids share most explanations.
func (e *explainer) text() string {
	if s, ok := e.texts[string(e.buf)]; ok {
		return s
	}
	s := string(e.buf)
	e.texts[s] = s
	return s
}

// needs appends `"name" needs n, free free` for q.
func (e *explainer) needs(q need, free int64) {
	e.buf = append(append(e.buf, e.quoted[q.res]...), " needs "...)
	e.buf = append(strconv.AppendInt(e.buf, q.n, 10), ", "...)
	e.buf = append(strconv.AppendInt(e.buf, free, 10), " free"...)
}

// start returns the start of cell c, formatted.
func (e *explainer) start(c int) string {
	if e.starts[c] == "" {
		e.starts[c] = e.o.cuts[c].Time().UTC().Format(timeFormat)
	}
	return e.starts[c]
}
