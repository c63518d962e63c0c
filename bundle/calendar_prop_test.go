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
// bookings as plain whole-second intervals, and brute-force answers that look
// at every second instead of sweeping.
type calendarModel struct {
	capacity bundle.Quantities
	bookings map[string]modelBooking
}

type modelBooking struct {
	q          bundle.Quantities
	start, end int64 // seconds after t0, half-open
}

// usedAt is the quantity of name booked at second s.
func (m *calendarModel) usedAt(name string, s int64) int64 {
	var n int64
	for _, b := range m.bookings {
		if b.start <= s && s < b.end {
			n += b.q[name]
		}
	}
	return n
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

// fits reports whether b fits at every second of its window.
func (m *calendarModel) fits(b bundle.Bundle) bool {
	start := int64(b.Window.Start.Sub(t0) / time.Second)
	for s := start; s < start+b.Window.Seconds(); s++ {
		for name, n := range b.Quantities {
			if m.usedAt(name, s)+n > m.capacity[name] {
				return false
			}
		}
	}
	return true
}

// horizon bounds the seconds the generated windows touch.
const horizon = 40

type calendarMachine struct {
	cal   *bundle.Calendar
	model *calendarModel
	next  int
}

func newCalendarMachine(t *rapid.T) *calendarMachine {
	// Small capacities make collisions frequent.
	small, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Capacity: 10},
		bundle.Resource{Name: "memory", Capacity: 6},
	)
	if err != nil {
		t.Fatal(err)
	}
	return &calendarMachine{
		cal:   bundle.NewCalendar(small),
		model: &calendarModel{capacity: small.Capacity(), bookings: make(map[string]modelBooking)},
	}
}

func (m *calendarMachine) ids() []string { return slices.Sorted(maps.Keys(m.model.bookings)) }

func (m *calendarMachine) drawBundle(t *rapid.T) bundle.Bundle {
	q := make(bundle.Quantities)
	for _, name := range rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"cpu", "memory", "gpu"}), 0, 3, rapid.ID).Draw(t, "resources") {
		if name == "gpu" && !rapid.Bool().Draw(t, "unknown resource") {
			continue
		}
		q[name] = rapid.Int64Range(-1, 11).Draw(t, "quantity "+name)
	}
	start := rapid.Int64Range(0, horizon-10).Draw(t, "start")
	d := time.Duration(rapid.Int64Range(1, 10).Draw(t, "seconds")) * time.Second
	if rapid.IntRange(0, 20).Draw(t, "fraction") == 0 {
		d += 500 * time.Millisecond
	}
	return bundle.Bundle{Quantities: q, Window: bundle.Window{Start: at(start), Duration: d}}
}

func (m *calendarMachine) Book(t *rapid.T) {
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
	start := int64(b.Window.Start.Sub(t0) / time.Second)
	m.model.bookings[id] = modelBooking{q: b.Quantities.Clone(), start: start, end: start + b.Window.Seconds()}
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

func (m *calendarMachine) Truncate(t *rapid.T) {
	existing := m.ids()
	if len(existing) == 0 {
		t.Skip("no bookings")
	}
	id := rapid.SampledFrom(existing).Draw(t, "id")
	b := m.model.bookings[id]
	end := rapid.Int64Range(b.start-2, b.end+2).Draw(t, "end")
	if err := m.cal.Truncate(id, at(end)); err != nil {
		t.Fatalf("Truncate(%q, %d): %v", id, end, err)
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
	s := rapid.Int64Range(0, horizon).Draw(t, "prune at")
	m.cal.Prune(at(s))
	for id, b := range m.model.bookings {
		if b.end <= s {
			delete(m.model.bookings, id)
		}
	}
}

// checkInvariants compares the calendar with the model at every instant a
// booking starts, and checks capacity is never exceeded there; between those
// instants usage can only fall.
func (m *calendarMachine) checkInvariants(t *rapid.T) {
	if m.cal.Len() != len(m.model.bookings) {
		t.Fatalf("Len = %d, model has %d", m.cal.Len(), len(m.model.bookings))
	}
	instants := []int64{0}
	for _, b := range m.model.bookings {
		instants = append(instants, b.start, b.end-1)
	}
	for _, s := range instants {
		used := m.cal.UsedAt(at(s))
		for name, limit := range m.model.capacity {
			if used[name] > limit {
				t.Fatalf("%s used %d at %ds, capacity %d", name, used[name], s, limit)
			}
			if want := m.model.usedAt(name, s); used[name] != want {
				t.Fatalf("%s UsedAt(%ds) = %d, model says %d", name, s, used[name], want)
			}
		}
	}
	w := bundle.Window{Start: at(0), Duration: horizon * time.Second}
	peak := m.cal.Peak(w)
	for name := range m.model.capacity {
		var want int64
		for s := int64(0); s < horizon; s++ {
			want = max(want, m.model.usedAt(name, s))
		}
		if peak[name] != want {
			t.Fatalf("Peak %s = %d, brute force %d", name, peak[name], want)
		}
	}
}

func TestCalendarProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newCalendarMachine(t)
		t.Repeat(map[string]func(*rapid.T){
			"Book":     m.Book,
			"Check":    m.Check,
			"Cancel":   m.Cancel,
			"Truncate": m.Truncate,
			"Prune":    m.Prune,
			"":         m.checkInvariants,
		})
	})
}
