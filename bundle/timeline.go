package bundle

import (
	"math"
	"slices"
	"time"

	"github.com/scarcitylabs/scarcity/internal/instants"
)

// instant is an ordered, comparable form of a time.Time: its wall clock
// reading, free of location and monotonic reading (internal/instants).
type instant = instants.Instant

func instantOf(t time.Time) instant { return instants.Of(t) }

// step is a change point of a timeline: from at until the next step, the
// quantity booked is level.
type step struct {
	at    instant
	level int64
}

// defaultChunk is the most steps a chunk of a timeline holds unless its
// limit says otherwise.
const defaultChunk = 512

// timeline is the quantity of one resource booked over time, as a step
// function: steps in increasing order of instant, the level being 0 before
// the first. No step has the level of the one before it (0 for the first),
// so there are at most two steps per booking.
//
// The steps are held in order in chunks, none empty, of at most limit steps
// (defaultChunk if limit is 0): inserting or deleting a step moves the steps
// of one chunk, not all of them. The zero timeline is empty.
type timeline struct {
	chunks [][]step
	limit  int
}

// pos is the position of a step in a timeline: step i of chunk c. The
// position after the last step is {len(chunks), 0}.
type pos struct{ c, i int }

// firstFrom returns the index of the first of the ordered steps at or after
// t, len(steps) if none.
func firstFrom(steps []step, t instant) int {
	lo, hi := 0, len(steps)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if steps[m].at.Compare(t) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// search returns the position of the first step at or after t, and whether
// it is at t.
func (tl *timeline) search(t instant) (pos, bool) {
	lo, hi := 0, len(tl.chunks) // the first chunk ending at or after t
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ch := tl.chunks[m]; ch[len(ch)-1].at.Compare(t) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(tl.chunks) {
		return pos{lo, 0}, false
	}
	ch := tl.chunks[lo]
	i := firstFrom(ch, t)
	return pos{lo, i}, ch[i].at == t
}

// step returns the step at p, which must not be the end.
func (tl *timeline) step(p pos) *step { return &tl.chunks[p.c][p.i] }

// end reports whether p is after the last step.
func (tl *timeline) end(p pos) bool { return p.c == len(tl.chunks) }

// next returns the position after p.
func (tl *timeline) next(p pos) pos {
	if p.i+1 < len(tl.chunks[p.c]) {
		return pos{p.c, p.i + 1}
	}
	return pos{p.c + 1, 0}
}

// levelBefore returns the level in force just before the step at p.
func (tl *timeline) levelBefore(p pos) int64 {
	switch {
	case p.i > 0:
		return tl.chunks[p.c][p.i-1].level
	case p.c > 0:
		prev := tl.chunks[p.c-1]
		return prev[len(prev)-1].level
	}
	return 0
}

// levelAt returns the level at instant t.
func (tl *timeline) levelAt(t instant) int64 {
	p, found := tl.search(t)
	if found {
		return tl.step(p).level
	}
	return tl.levelBefore(p)
}

// peak returns the largest level at any instant of [from, to), 0 if the
// interval is empty.
func (tl *timeline) peak(from, to instant) int64 {
	if from.Compare(to) >= 0 {
		return 0
	}
	p, found := tl.search(from)
	var peak int64
	if !found {
		peak = tl.levelBefore(p)
	}
	i := p.i
	for _, ch := range tl.chunks[p.c:] {
		for _, s := range ch[i:] {
			if s.at.Compare(to) >= 0 {
				return peak
			}
			peak = max(peak, s.level)
		}
		i = 0
	}
	return peak
}

// add adds n to the level over [from, to), from before to, and returns the
// lowest and highest levels it leaves there.
func (tl *timeline) add(from, to instant, n int64) (low, high int64) {
	tl.split(from)
	tl.split(to)
	p, _ := tl.search(from)
	low, high = math.MaxInt64, math.MinInt64
	for ; tl.step(p).at != to; p = tl.next(p) {
		s := tl.step(p)
		s.level += n
		low, high = min(low, s.level), max(high, s.level)
	}
	tl.merge(to)
	tl.merge(from)
	return low, high
}

// split makes sure a step starts at t, without changing any level.
func (tl *timeline) split(t instant) {
	if p, found := tl.search(t); !found {
		tl.insert(p, step{at: t, level: tl.levelBefore(p)})
	}
}

// merge removes the step at t, if any, when it does not change the level.
func (tl *timeline) merge(t instant) {
	if p, found := tl.search(t); found && tl.step(p).level == tl.levelBefore(p) {
		tl.delete(p)
	}
}

// insert puts s at position p, splitting a chunk that grows too long in two.
func (tl *timeline) insert(p pos, s step) {
	if tl.end(p) {
		if p.c == 0 {
			tl.chunks = append(tl.chunks, []step{s})
			return
		}
		p = pos{p.c - 1, len(tl.chunks[p.c-1])}
	}
	ch := slices.Insert(tl.chunks[p.c], p.i, s)
	if len(ch) <= tl.maxChunk() {
		tl.chunks[p.c] = ch
		return
	}
	half := len(ch) / 2
	tl.chunks[p.c] = ch[:half:half] // full: growing it cannot overwrite the next
	tl.chunks = slices.Insert(tl.chunks, p.c+1, ch[half:])
}

// delete removes the step at p, and its chunk if it empties.
func (tl *timeline) delete(p pos) {
	ch := slices.Delete(tl.chunks[p.c], p.i, p.i+1)
	if len(ch) == 0 {
		tl.chunks = slices.Delete(tl.chunks, p.c, p.c+1)
		return
	}
	tl.chunks[p.c] = ch
}

// maxChunk returns the most steps a chunk may hold.
func (tl *timeline) maxChunk() int {
	if tl.limit > 0 {
		return tl.limit
	}
	return defaultChunk
}

// chunk cuts steps into full chunks of at most maxChunk steps.
func (tl *timeline) chunk(steps []step) [][]step {
	var chunks [][]step
	for len(steps) > 0 {
		n := min(len(steps), tl.maxChunk())
		chunks = append(chunks, steps[:n:n])
		steps = steps[n:]
	}
	return chunks
}

// clone returns an independent copy of tl, its steps in one allocation.
func (tl *timeline) clone() timeline {
	var n int
	for _, ch := range tl.chunks {
		n += len(ch)
	}
	steps := make([]step, 0, n)
	for _, ch := range tl.chunks {
		steps = append(steps, ch...)
	}
	return timeline{chunks: tl.chunk(steps), limit: tl.limit}
}

// replaceBefore replaces the steps before t with those of bookings that
// start before t and run past it, given as steps at their starts whose
// levels are their quantities.
func (tl *timeline) replaceBefore(t instant, starts []step) {
	tl.split(t) // keeps the level at t, however it was reached
	p, _ := tl.search(t)
	tl.chunks[p.c] = tl.chunks[p.c][p.i:]
	tl.chunks = slices.Delete(tl.chunks, 0, p.c)
	tl.chunks = slices.Insert(tl.chunks, 0, tl.chunk(rising(starts))...)
	tl.merge(t)
}

// rising returns the step function that rises by each of starts' levels at
// its instant.
func rising(starts []step) []step {
	slices.SortFunc(starts, func(a, b step) int { return a.at.Compare(b.at) })
	steps := make([]step, 0, len(starts))
	var level int64
	for _, s := range starts {
		level += s.level
		if n := len(steps); n > 0 && steps[n-1].at == s.at {
			steps[n-1].level = level
			continue
		}
		steps = append(steps, step{at: s.at, level: level})
	}
	return steps
}
