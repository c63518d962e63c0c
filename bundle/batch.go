package bundle

import (
	"fmt"
	"github.com/scarcitylabs/scarcity/internal/instants"
	"maps"
	"slices"
	"time"
)

// BookAll books every bundle of bs under the id at the same index, with the
// outcome of as many calls to Book, if they all succeed; otherwise it books
// none of them. A bundle is rejected as Book would reject it: its id is
// already booked (or repeated in ids), it is invalid, or it does not fit,
// here together with the others of bs, the capacity left at some instant of
// its window. Errors wrap ErrDuplicateBooking, ErrExceedsCapacity or the
// validation errors of [Bundle.Validate].
//
// Where Book reads and changes the steps of every timeline inside the
// bundle's window, BookAll passes once over the part of each timeline that
// the windows of bs span, whatever their number: it is the way to book the
// winners of a round.
func (c *Calendar) BookAll(ids []string, bs []Bundle) error {
	if len(ids) != len(bs) {
		return fmt.Errorf("bundle: BookAll of %d ids and %d bundles", len(ids), len(bs))
	}
	b, err := c.newBatch(ids, bs)
	if err != nil || len(bs) == 0 {
		return err
	}
	changes, err := c.overlay(b)
	if err != nil {
		return err
	}
	if err := c.keep(ids, bs, b.held); err != nil {
		return err
	}
	for _, ch := range changes {
		c.lines[ch.res].replace(ch.from, ch.to, ch.steps)
	}
	return nil
}

// batch is the quantity a set of bundles books, per resource, as a step
// function over the instants their windows start or end.
type batch struct {
	cuts  []instant // distinct, in order: every start and end
	level [][]int64 // per resource, nil if none: the quantity over [cuts[k], cuts[k+1])
	held  [][]held  // per bundle, its quantities
}

// newBatch returns the batch of bs, to be booked under ids, or the error
// of the first bundle that Book would refuse on its own: its id is taken,
// or it is invalid.
func (c *Calendar) newBatch(ids []string, bs []Bundle) (batch, error) {
	var set instants.Set
	for _, bd := range bs {
		from, to := span(bd.Window)
		set.Add(from)
		set.Add(to)
	}
	b := batch{cuts: set.Sorted(), level: make([][]int64, len(c.lines)), held: make([][]held, len(bs))}
	n := 0
	for _, bd := range bs {
		n += len(bd.Quantities)
	}
	slab := make([]held, 0, n)
	for i, bd := range bs {
		if _, dup := c.bookings[ids[i]]; dup {
			return batch{}, fmt.Errorf("%w: %q", ErrDuplicateBooking, ids[i])
		}
		from := len(slab)
		var ok bool
		if slab, ok = b.add(c.catalog, bd, slab, &set); !ok || bd.Window.Validate() != nil {
			return batch{}, fmt.Errorf("bundle: booking %q: %w", ids[i], bd.Validate(c.catalog))
		}
		b.held[i] = slab[from:len(slab):len(slab)]
	}
	for _, l := range b.level {
		for k := 1; k < len(l); k++ {
			l[k] += l[k-1]
		}
	}
	return b, nil
}

// add adds bd's quantities, as steps up at the start of its window and
// down at its end, numbered by set, if they are valid for cat, appends
// them to slab, and reports whether they are valid.
func (b *batch) add(cat *Catalog, bd Bundle, slab []held, set *instants.Set) ([]held, bool) {
	if len(bd.Quantities) == 0 {
		return slab, false
	}
	from := len(slab)
	slab, ok := heldOf(cat, bd.Quantities, slab)
	if !ok {
		return slab, false
	}
	start, end := span(bd.Window)
	lo, hi := set.Number(start), set.Number(end)
	for _, h := range slab[from:] {
		if b.level[h.res] == nil {
			b.level[h.res] = make([]int64, len(b.cuts))
		}
		b.level[h.res][lo] += h.n
		b.level[h.res][hi] -= h.n
	}
	return slab, true
}

// smallCatalog is the most resources for which heldOf looks each of them
// up in a bundle rather than walking the bundle's map.
const smallCatalog = 8

// heldOf appends q's quantities to slab, if they are valid for cat, and
// reports whether they are.
func heldOf(cat *Catalog, q Quantities, slab []held) ([]held, bool) {
	if len(cat.resources) <= smallCatalog {
		found := 0
		for i, r := range cat.resources {
			if n, ok := q[r.Name]; ok {
				if n <= 0 || n > r.Capacity {
					return slab, false
				}
				slab = append(slab, held{res: i, n: n})
				found++
			}
		}
		return slab, found == len(q)
	}
	for name, n := range q {
		i, ok := cat.index[name]
		if !ok || n <= 0 || n > cat.resources[i].Capacity {
			return slab, false
		}
		slab = append(slab, held{res: i, n: n})
	}
	return slab, true
}

// change is what a batch does to one resource's timeline: steps replace
// those in [from, to).
type change struct {
	res      int
	from, to pos
	steps    []step
}

// overlay returns the changes that add b to c's timelines, or an error if
// the sum exceeds a resource's capacity at an instant b books it.
func (c *Calendar) overlay(b batch) ([]change, error) {
	var changes []change
	for i, l := range b.level {
		if l == nil {
			continue
		}
		r := c.catalog.resources[i]
		ch, at, ok := c.lines[i].overlay(b.cuts, l, r.Capacity)
		if !ok {
			return nil, fmt.Errorf("%w: %q booked %d of %d at %s", ErrExceedsCapacity, r.Name, at.level, r.Capacity, at.at.Time().Format(time.RFC3339Nano))
		}
		ch.res = i
		changes = append(changes, ch)
	}
	return changes, nil
}

// keep records the bookings of bs under ids, with their quantities held,
// none of them on c yet: it fails, keeping none, if ids repeats one.
func (c *Calendar) keep(ids []string, bs []Bundle, held [][]held) error {
	if len(ids) > len(c.bookings) {
		grown := make(map[string]booking, len(c.bookings)+len(ids))
		maps.Copy(grown, c.bookings)
		c.bookings = grown
	}
	for i, b := range bs {
		n := len(c.bookings)
		c.bookings[ids[i]] = booking{window: Window{Start: b.Window.Start.Round(0), Duration: b.Window.Duration}, held: held[i]}
		if len(c.bookings) == n { // ids[i] came earlier in ids: drop them all
			for _, id := range ids[:i] {
				delete(c.bookings, id)
			}
			return fmt.Errorf("%w: %q", ErrDuplicateBooking, ids[i])
		}
	}
	return nil
}

// overlay returns the steps of tl from cuts[0] to the last cut, with
// add[k] added over [cuts[k], cuts[k+1]), and the positions of the steps
// they replace. If the sum exceeds capacity where add is positive, ok is
// false and over is the first such instant and its level.
func (tl *timeline) overlay(cuts []instant, add []int64, capacity int64) (ch change, over step, ok bool) {
	ch.from, _ = tl.search(cuts[0])
	p, last := ch.from, tl.levelBefore(ch.from)
	old := last
	emit := func(at instant, a int64) bool {
		level := old + a
		if a > 0 && level > capacity {
			over = step{at: at, level: level}
			return false
		}
		if level != last {
			ch.steps = append(ch.steps, step{at: at, level: level})
			last = level
		}
		return true
	}
	for k, t := range cuts {
		for ; !tl.end(p) && tl.step(p).at.Compare(t) < 0; p = tl.next(p) {
			old = tl.step(p).level
			if !emit(tl.step(p).at, add[k-1]) {
				return ch, over, false
			}
		}
		if !tl.end(p) && tl.step(p).at == t {
			old = tl.step(p).level
			p = tl.next(p)
		}
		if !emit(t, add[k]) {
			return ch, over, false
		}
	}
	ch.to = p
	return ch, over, true
}

// replace replaces the steps in [from, to) with steps, which must keep the
// timeline in order and each change its level.
func (tl *timeline) replace(from, to pos, steps []step) {
	first, last := from.c, to.c // the chunks rebuilt
	var head, tail []step
	if !tl.end(from) {
		head = tl.chunks[from.c][:from.i]
	}
	if to.i > 0 {
		tail = tl.chunks[to.c][to.i:]
		last = to.c + 1
	}
	merged := make([]step, 0, len(head)+len(steps)+len(tail))
	merged = append(append(append(merged, head...), steps...), tail...)
	tl.chunks = slices.Replace(tl.chunks, first, last, tl.chunk(merged)...)
}
