package auction

import (
	"strconv"

	"github.com/scarcitylabs/scarcity/bundle"
)

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
