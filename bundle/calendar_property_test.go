package bundle_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/bundle"
)

// calendarModel is the reference the calendar is checked against: the
// bookings as plain half-open intervals of milliseconds after t0, and
// brute-force answers that add up every booking at every instant they look
// at, instead of keeping a timeline.
type calendarModel struct {
	capacity bundle.Quantities
	bookings map[string]modelBooking
}

type modelBooking struct {
	q          bundle.Quantities
	start, end int64 // milliseconds after t0, half-open
}

// ms returns the instant ms milliseconds after t0.
func ms(n int64) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// msOf returns the milliseconds from t0 to t, a whole number of them.
func msOf(t time.Time) int64 { return int64(t.Sub(t0) / time.Millisecond) }

// usedAt is the quantity of name booked at millisecond s.
func (m *calendarModel) usedAt(name string, s int64) int64 {
	var n int64
	for _, b := range m.bookings {
		if b.start <= s && s < b.end {
			n += b.q[name]
		}
	}
	return n
}

// peak is the largest quantity of name booked at any millisecond of
// [from, to). Usage only changes where a booking starts or ends, so it looks
// at from and at every such instant inside the interval.
func (m *calendarModel) peak(name string, from, to int64) int64 {
	if from >= to {
		return 0
	}
	p := m.usedAt(name, from)
	for _, b := range m.bookings {
		for _, s := range []int64{b.start, b.end} {
			if from < s && s < to {
				p = max(p, m.usedAt(name, s))
			}
		}
	}
	return p
}

// valid reports whether b is a well-formed bundle for the catalog.
func (m *calendarModel) valid(b bundle.Bundle) bool {
	if len(b.Quantities) == 0 || b.Window.Duration <= 0 || b.Window.Duration%time.Second != 0 {
		return false
	}
	for name, n := range b.Quantities {
		if limit, ok := m.capacity[name]; !ok || n <= 0 || n > limit {
			return false
		}
	}
	return true
}

// fits reports whether b fits at every instant of its window.
func (m *calendarModel) fits(b bundle.Bundle) bool {
	from, to := msOf(b.Window.Start), msOf(b.Window.End())
	for name, n := range b.Quantities {
		if m.peak(name, from, to)+n > m.capacity[name] {
			return false
		}
	}
	return true
}

// clone returns an independent copy of m.
func (m *calendarModel) clone() *calendarModel {
	return &calendarModel{capacity: m.capacity, bookings: maps.Clone(m.bookings)}
}

// horizon bounds the seconds the generated windows touch.
const horizon = 40

type calendarMachine struct {
	cal   *bundle.Calendar
	model *calendarModel
	next  int
	dense bool // small bookings packed into a few seconds
}

func newCalendarMachine(t *rapid.T, dense bool) *calendarMachine {
	// Small capacities make collisions frequent. Resources nobody asks for
	// make a large catalog, which BookAll walks differently.
	rs := []bundle.Resource{{Name: "cpu", Capacity: 10}, {Name: "memory", Capacity: 6}}
	if rapid.Bool().Draw(t, "large catalog") {
		for i := range 7 {
			rs = append(rs, bundle.Resource{Name: fmt.Sprintf("idle%d", i), Capacity: 1})
		}
	}
	small, err := bundle.NewCatalog(rs...)
	if err != nil {
		t.Fatal(err)
	}
	cal := bundle.NewCalendar(small)
	// Tiny chunks make the timelines split and drop chunks all the time.
	bundle.SetChunkLimit(cal, rapid.SampledFrom([]int{0, 1, 2, 3}).Draw(t, "chunk limit"))
	return &calendarMachine{
		cal:   cal,
		model: &calendarModel{capacity: small.Capacity(), bookings: make(map[string]modelBooking)},
		dense: dense,
	}
}

func (m *calendarMachine) ids() []string { return slices.Sorted(maps.Keys(m.model.bookings)) }

// drawInstant draws a millisecond in [lo, hi] seconds, now and then off the
// whole second.
func drawInstant(t *rapid.T, lo, hi int64, label string) int64 {
	s := rapid.Int64Range(lo, hi).Draw(t, label) * 1000
	if rapid.IntRange(0, 5).Draw(t, label+" off the second") == 0 {
		s += rapid.Int64Range(1, 999).Draw(t, label+" milliseconds")
	}
	return s
}

// drawNear draws a millisecond in [lo, hi] seconds or, half the time, one
// within two seconds of where a booking starts or ends: bookings interact
// most at each other's edges.
func (m *calendarMachine) drawNear(t *rapid.T, lo, hi int64, label string) int64 {
	existing := m.ids()
	if len(existing) == 0 || rapid.Bool().Draw(t, label+" anywhere") {
		return drawInstant(t, lo, hi, label)
	}
	b := m.model.bookings[rapid.SampledFrom(existing).Draw(t, label+" near")]
	edge := rapid.SampledFrom([]int64{b.start, b.end}).Draw(t, label+" edge")
	return max(0, edge+drawInstant(t, -2, 2, label+" from the edge"))
}

func (m *calendarMachine) drawBundle(t *rapid.T) bundle.Bundle {
	names, quantity, lastStart, seconds := []string{"cpu", "memory", "gpu"}, rapid.Int64Range(-1, 11), int64(horizon-10), int64(10)
	if m.dense {
		names, quantity, lastStart, seconds = names[:2], rapid.Int64Range(1, 3), 8, 4
	}
	q := make(bundle.Quantities)
	for _, name := range rapid.SliceOfNDistinct(rapid.SampledFrom(names), 0, len(names), rapid.ID).Draw(t, "resources") {
		if name == "gpu" && !rapid.Bool().Draw(t, "unknown resource") {
			continue
		}
		q[name] = quantity.Draw(t, "quantity "+name)
	}
	start := m.drawNear(t, 0, lastStart, "start")
	d := time.Duration(rapid.Int64Range(1, seconds).Draw(t, "seconds")) * time.Second
	if rapid.IntRange(0, 20).Draw(t, "fraction") == 0 {
		d += 500 * time.Millisecond
	}
	return bundle.Bundle{Quantities: q, Window: bundle.Window{Start: ms(start), Duration: d}}
}

// Book books a bundle, or a few when the calendar is dense.
func (m *calendarMachine) Book(t *rapid.T) {
	n := 1
	if m.dense {
		n = rapid.IntRange(1, 4).Draw(t, "bundles")
	}
	for range n {
		m.book(t)
	}
}

func (m *calendarMachine) book(t *rapid.T) {
	b := m.drawBundle(t)
	id := fmt.Sprintf("b%d", m.next)
	if existing := m.ids(); len(existing) > 0 && rapid.IntRange(0, 9).Draw(t, "reuse id") == 0 {
		id = rapid.SampledFrom(existing).Draw(t, "id")
	}
	want := m.model.valid(b) && m.model.fits(b)
	_, dup := m.model.bookings[id]
	err := m.cal.Book(id, b)
	switch {
	case dup:
		if !errors.Is(err, bundle.ErrDuplicateBooking) {
			t.Fatalf("Book of taken id %q = %v, want ErrDuplicateBooking", id, err)
		}
		return
	case want && err != nil:
		t.Fatalf("Book(%v) = %v, but it fits", b, err)
	case !want && err == nil:
		t.Fatalf("Book(%v) succeeded, but it does not fit or is invalid", b)
	case err != nil:
		return
	}
	m.next++
	m.model.bookings[id] = modelBooking{q: b.Quantities.Clone(), start: msOf(b.Window.Start), end: msOf(b.Window.End())}
}

// BookAll books a few bundles at once, now and then under an id taken or
// repeated: all of them if Book would book each in turn, else none.
func (m *calendarMachine) BookAll(t *rapid.T) {
	n := rapid.IntRange(0, 5).Draw(t, "bundles")
	ids, bs := make([]string, n), make([]bundle.Bundle, n)
	want, ok := m.model.clone(), true
	for i := range n {
		bs[i], ids[i] = m.drawBundle(t), fmt.Sprintf("b%d", m.next+i)
		if taken := append(m.ids(), ids[:i]...); len(taken) > 0 && rapid.IntRange(0, 9).Draw(t, "reuse id") == 0 {
			ids[i] = rapid.SampledFrom(taken).Draw(t, "id")
		}
		_, dup := want.bookings[ids[i]]
		if dup || !want.valid(bs[i]) || !want.fits(bs[i]) {
			ok = false
			continue
		}
		want.bookings[ids[i]] = modelBooking{q: bs[i].Quantities.Clone(), start: msOf(bs[i].Window.Start), end: msOf(bs[i].Window.End())}
	}
	err := m.cal.BookAll(ids, bs)
	switch {
	case ok && err != nil:
		t.Fatalf("BookAll(%v, %v) = %v, but Book would book each", ids, bs, err)
	case !ok && err == nil:
		t.Fatalf("BookAll(%v, %v) succeeded, but Book would not book each", ids, bs)
	case !ok && !errors.Is(err, bundle.ErrDuplicateBooking) && !errors.Is(err, bundle.ErrExceedsCapacity) &&
		!errors.Is(err, bundle.ErrInvalidQuantity) && !errors.Is(err, bundle.ErrUnknownResource) &&
		!errors.Is(err, bundle.ErrEmptyBundle) && !errors.Is(err, bundle.ErrInvalidWindow):
		t.Fatalf("BookAll(%v, %v) = %v, not an error of Book", ids, bs, err)
	case ok:
		m.model, m.next = want, m.next+n
	}
}

func (m *calendarMachine) Check(t *rapid.T) {
	b := m.drawBundle(t)
	want := m.model.valid(b) && m.model.fits(b)
	if err := m.cal.Check(b); (err == nil) != want {
		t.Fatalf("Check(%v) = %v, brute force says fits=%v", b, err, want)
	}
}

func (m *calendarMachine) Cancel(t *rapid.T) {
	id := "missing"
	if existing := m.ids(); len(existing) > 0 && rapid.Bool().Draw(t, "known") {
		id = rapid.SampledFrom(existing).Draw(t, "id")
	}
	_, known := m.model.bookings[id]
	err := m.cal.Cancel(id)
	if known != (err == nil) {
		t.Fatalf("Cancel(%q) = %v, known=%v", id, err, known)
	}
	if !known && !errors.Is(err, bundle.ErrUnknownBooking) {
		t.Fatalf("Cancel(%q) = %v, want ErrUnknownBooking", id, err)
	}
	delete(m.model.bookings, id)
}

// Truncate ends a booking at an instant around its window, now and then off
// the whole second, which leaves a sub-second remainder.
func (m *calendarMachine) Truncate(t *rapid.T) {
	existing := m.ids()
	if len(existing) == 0 {
		t.Skip("no bookings")
	}
	id := rapid.SampledFrom(existing).Draw(t, "id")
	b := m.model.bookings[id]
	end := drawInstant(t, b.start/1000-2, b.end/1000+2, "end")
	if err := m.cal.Truncate(id, ms(end)); err != nil {
		t.Fatalf("Truncate(%q, %dms): %v", id, end, err)
	}
	switch {
	case end <= b.start:
		delete(m.model.bookings, id)
	case end < b.end:
		b.end = end
		m.model.bookings[id] = b
	}
}

func (m *calendarMachine) Prune(t *rapid.T) {
	s := m.drawNear(t, 0, horizon, "prune at")
	m.cal.Prune(ms(s))
	for id, b := range m.model.bookings {
		if b.end <= s {
			delete(m.model.bookings, id)
		}
	}
}

// Clone goes on with a clone of the calendar, or with the calendar itself,
// after scribbling over the other one: either must be independent of the
// other.
func (m *calendarMachine) Clone(t *rapid.T) {
	d := m.cal.Clone()
	keep, scribble := d, m.cal
	if rapid.Bool().Draw(t, "keep the original") {
		keep, scribble = m.cal, d
	}
	m.scribble(t, scribble)
	m.cal = keep
}

// scribble changes every booking of c and fills it with new ones.
func (m *calendarMachine) scribble(t *rapid.T, c *bundle.Calendar) {
	for i, id := range m.ids() {
		var err error
		switch i % 3 {
		case 0:
			err = c.Cancel(id)
		case 1:
			err = c.Truncate(id, ms(m.model.bookings[id].start+1))
		default:
			c.Prune(ms(m.model.bookings[id].end))
		}
		if err != nil && !errors.Is(err, bundle.ErrUnknownBooking) { // pruned already
			t.Fatalf("scribble on %q: %v", id, err)
		}
	}
	for s := int64(0); s < horizon; s += 5 {
		_ = c.Book(fmt.Sprintf("scribble%d", s), bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: win(s, 5)})
	}
}

// Peak compares Peak, Free and UsedAt over a random window, possibly empty,
// with the brute force.
func (m *calendarMachine) Peak(t *rapid.T) {
	from := m.drawNear(t, 0, horizon, "from")
	to := from + rapid.Int64Range(-1500, horizon*1000).Draw(t, "milliseconds")
	w := bundle.Window{Start: ms(from), Duration: time.Duration(to-from) * time.Millisecond}
	peak, free, used := m.cal.Peak(w), m.cal.Free(w), m.cal.UsedAt(ms(from))
	for name, limit := range m.model.capacity {
		want := m.model.peak(name, from, to)
		if peak[name] != want || free[name] != limit-want {
			t.Fatalf("%s over [%d, %d)ms: Peak %d, Free %d, brute force peak %d", name, from, to, peak[name], free[name], want)
		}
		if want := m.model.usedAt(name, from); used[name] != want {
			t.Fatalf("%s UsedAt(%dms) = %d, brute force %d", name, from, used[name], want)
		}
	}
	for name, n := range peak {
		if n <= 0 {
			t.Fatalf("Peak lists %s at %d", name, n)
		}
	}
}

// checkInvariants checks the calendar's own invariants, compares it with the
// model at every instant a booking starts or ends, just before each of these
// and at every second, and checks capacity is never exceeded there.
func (m *calendarMachine) checkInvariants(t *rapid.T) {
	if m.cal.Len() != len(m.model.bookings) {
		t.Fatalf("Len = %d, model has %d", m.cal.Len(), len(m.model.bookings))
	}
	for id := range m.model.bookings {
		if !m.cal.Has(id) {
			t.Fatalf("Has(%q) = false", id)
		}
	}
	if m.cal.Has("missing") {
		t.Fatal(`Has("missing") = true`)
	}
	if err := bundle.CheckTimelines(m.cal); err != nil {
		t.Fatal(err)
	}
	var instants []int64
	for s := int64(0); s <= horizon; s++ {
		instants = append(instants, s*1000)
	}
	for _, b := range m.model.bookings {
		instants = append(instants, b.start-1, b.start, b.end-1, b.end)
	}
	for _, s := range instants {
		m.checkUsedAt(t, s)
	}
	w := bundle.Window{Start: t0, Duration: horizon * time.Second}
	peak := m.cal.Peak(w)
	for name := range m.model.capacity {
		if want := m.model.peak(name, 0, horizon*1000); peak[name] != want {
			t.Fatalf("Peak %s = %d, brute force %d", name, peak[name], want)
		}
	}
}

// checkUsedAt compares UsedAt at millisecond s with the model.
func (m *calendarMachine) checkUsedAt(t *rapid.T, s int64) {
	used := m.cal.UsedAt(ms(s))
	for name, limit := range m.model.capacity {
		if used[name] > limit {
			t.Fatalf("%s used %d at %dms, capacity %d", name, used[name], s, limit)
		}
		if want := m.model.usedAt(name, s); used[name] != want {
			t.Fatalf("%s UsedAt(%dms) = %d, model says %d", name, s, used[name], want)
		}
	}
}

func TestCalendarProperties(t *testing.T) {
	rapid.Check(t, calendarProperties(false))
}

// TestCalendarPropertiesDense packs small bookings into a few seconds, so
// that Truncate, Prune and Clone meet many bookings sharing instants.
func TestCalendarPropertiesDense(t *testing.T) {
	rapid.Check(t, calendarProperties(true))
}

// calendarProperties runs random operations on a calendar and its model,
// comparing them after each.
func calendarProperties(dense bool) func(*rapid.T) {
	return func(t *rapid.T) {
		m := newCalendarMachine(t, dense)
		t.Repeat(map[string]func(*rapid.T){
			"Book":     m.Book,
			"BookAll":  m.BookAll,
			"Check":    m.Check,
			"Cancel":   m.Cancel,
			"Truncate": m.Truncate,
			"Prune":    m.Prune,
			"Clone":    m.Clone,
			"Peak":     m.Peak,
			"":         m.checkInvariants,
		})
	}
}
