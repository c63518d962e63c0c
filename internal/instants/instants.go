// Package instants holds the compact instants of the calendar arithmetic
// that bundle and auction share: a point in time that is comparable and
// hashable, and a set that numbers distinct instants in order.
package instants

import (
	"cmp"
	"slices"
	"time"
)

// Instant is a point in time as whole seconds and nanoseconds since the
// Unix epoch: comparable with ==, usable as a map key, and half the size
// of a time.Time.
type Instant struct {
	Sec  int64
	Nsec int32
}

// Of returns the instant of t.
func Of(t time.Time) Instant { return Instant{t.Unix(), int32(t.Nanosecond())} }

// Time returns a as a time in UTC.
func (a Instant) Time() time.Time { return time.Unix(a.Sec, int64(a.Nsec)).UTC() }

// Compare returns -1, 0 or +1 as a is before, at or after b.
func (a Instant) Compare(b Instant) int {
	if a.Sec != b.Sec {
		return cmp.Compare(a.Sec, b.Sec)
	}
	return cmp.Compare(a.Nsec, b.Nsec)
}

// Set numbers distinct instants in order. Windows share most of their
// bounds, so a small cache in front of its map answers most adds and
// lookups, and it sorts only the distinct instants. The zero Set is empty.
type Set struct {
	numbers map[Instant]int
	cache   [64]cached
}

// cached is an entry of a Set's cache.
type cached struct {
	t      Instant
	number int
	ok     bool
}

// slot returns the cache entry for t.
func (s *Set) slot(t Instant) *cached {
	h := (uint64(t.Sec)*0x9E3779B97F4A7C15 ^ uint64(t.Nsec)) * 0x9E3779B97F4A7C15
	return &s.cache[h>>(64-6)]
}

// Add adds t.
func (s *Set) Add(t Instant) {
	if c := s.slot(t); !c.ok || c.t != t {
		if s.numbers == nil {
			s.numbers = make(map[Instant]int)
		}
		s.numbers[t] = 0
		*c = cached{t: t, ok: true}
	}
}

// Sorted returns the instants added, in order, and numbers them so.
func (s *Set) Sorted() []Instant {
	cuts := make([]Instant, 0, len(s.numbers))
	for t := range s.numbers {
		cuts = append(cuts, t)
	}
	slices.SortFunc(cuts, Instant.Compare)
	for i, t := range cuts {
		s.numbers[t] = i
	}
	s.cache = [64]cached{}
	return cuts
}

// Number returns the position of t, which must have been added, among the
// instants Sorted returned.
func (s *Set) Number(t Instant) int {
	c := s.slot(t)
	if !c.ok || c.t != t {
		*c = cached{t: t, number: s.numbers[t], ok: true}
	}
	return c.number
}
