package bundle_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

// benchBookings is the number of bookings on the benchmarked calendar.
const benchBookings = 1000

// benchCalendar returns a calendar holding benchBookings bookings of a minute
// each, one starting every 10 seconds (six overlap at any instant), and a
// bundle in the middle of them that fits.
func benchCalendar(b *testing.B) (*bundle.Calendar, bundle.Bundle) {
	cat := testCatalog(b)
	cal := bundle.NewCalendar(cat)
	for i := range int64(benchBookings) {
		bk := bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": 10, "memory": 100, "tokens": 1000},
			Window:     win(i*10, 60),
		}
		if err := cal.Book(fmt.Sprintf("b%d", i), bk); err != nil {
			b.Fatal(err)
		}
	}
	probe := bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 30, "memory": 300},
		Window:     bundle.Window{Start: at(benchBookings * 5), Duration: 10 * time.Minute},
	}
	if err := cal.Check(probe); err != nil {
		b.Fatal(err)
	}
	return cal, probe
}

func BenchmarkCalendarCheck(b *testing.B) {
	cal, probe := benchCalendar(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := cal.Check(probe); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCalendarCheckBaseline does the same unit of work as
// BenchmarkCalendarCheck, validating the bundle and comparing it with what is
// free, but against a plain per-resource free counter with no windows: the
// cost of capacity as a counter rather than a calendar.
func BenchmarkCalendarCheckBaseline(b *testing.B) {
	cal, probe := benchCalendar(b)
	cat := cal.Catalog()
	free := cat.Capacity()
	for name, n := range cal.Peak(bundle.Window{Start: at(0), Duration: benchBookings * 10 * time.Second}) {
		free[name] -= n
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := probe.Validate(cat); err != nil {
			b.Fatal(err)
		}
		for _, name := range probe.Quantities.Names() {
			if probe.Quantities[name] > free[name] {
				b.Fatalf("%s does not fit", name)
			}
		}
	}
}
