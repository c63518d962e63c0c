package bundle_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

// benchSizes are the numbers of bookings on the benchmarked calendars.
var benchSizes = []int64{1000, 100_000}

// benchCalendar returns a calendar holding n bookings of a minute each, one
// starting every 10 seconds (six overlap at any instant), and a bundle of ten
// minutes in the middle of them that fits. The bookings' quantities vary, so
// that the booked quantity changes every 10 seconds. The probe overlaps the
// same number of bookings whatever n is, so a Check of it is the same unit
// of work on every calendar.
func benchCalendar(b *testing.B, n int64) (*bundle.Calendar, bundle.Bundle) {
	cat := testCatalog(b)
	cal := bundle.NewCalendar(cat)
	for i := range n {
		bk := bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": 5 + i%5, "memory": 100 + i%7, "tokens": 1000 + i%11},
			Window:     win(i*10, 60),
		}
		if err := cal.Book(fmt.Sprintf("b%d", i), bk); err != nil {
			b.Fatal(err)
		}
	}
	probe := bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 30, "memory": 300},
		Window:     bundle.Window{Start: at(n * 5), Duration: 10 * time.Minute},
	}
	if err := cal.Check(probe); err != nil {
		b.Fatal(err)
	}
	return cal, probe
}

// benchGrid runs f as a sub-benchmark for every size of benchSizes.
func benchGrid(b *testing.B, f func(b *testing.B, cal *bundle.Calendar, probe bundle.Bundle, n int64)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("bookings=%d", n), func(b *testing.B) {
			cal, probe := benchCalendar(b, n)
			f(b, cal, probe, n)
		})
	}
}

// BenchmarkCalendarCheck measures one Check of a ten-minute bundle against
// a calendar of 1000 and 100,000 bookings.
func BenchmarkCalendarCheck(b *testing.B) {
	benchGrid(b, func(b *testing.B, cal *bundle.Calendar, probe bundle.Bundle, _ int64) {
		b.ReportAllocs()
		for b.Loop() {
			if err := cal.Check(probe); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCalendarCheckBaseline does the same unit of work as
// BenchmarkCalendarCheck, validating the bundle and comparing it with what is
// free, but against a plain per-resource free counter with no windows: the
// cost of capacity as a counter rather than a calendar.
func BenchmarkCalendarCheckBaseline(b *testing.B) {
	benchGrid(b, func(b *testing.B, cal *bundle.Calendar, probe bundle.Bundle, n int64) {
		cat := cal.Catalog()
		free := cat.Capacity()
		for name, q := range cal.Peak(bundle.Window{Start: at(0), Duration: time.Duration(n) * 10 * time.Second}) {
			free[name] -= q
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
	})
}
