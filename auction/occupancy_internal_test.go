package auction

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
	"pgregory.net/rapid"
)

// TestOccupancyTracksCalendar books random bundles through an occupancy and
// checks that its cache always equals the calendar's usage, and that it
// only reports a shortfall for a bundle the calendar refuses too.
func TestOccupancyTracksCalendar(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		cat, err := bundle.NewCatalog(
			bundle.Resource{Name: "a", Capacity: rapid.Int64Range(1, 20).Draw(t, "cap a")},
			bundle.Resource{Name: "b", Capacity: rapid.Int64Range(1, 20).Draw(t, "cap b")},
		)
		if err != nil {
			t.Fatal(err)
		}
		cal := bundle.NewCalendar(cat)
		occ := newOccupancy(cal)
		for i := range rapid.IntRange(1, 30).Draw(t, "bundles") {
			b := bundle.Bundle{
				Quantities: bundle.Quantities{"a": rapid.Int64Range(1, 20).Draw(t, "a")},
				Window: bundle.Window{
					Start:    start.Add(time.Duration(rapid.IntRange(0, 10).Draw(t, "start")) * time.Second),
					Duration: time.Duration(rapid.IntRange(1, 5).Draw(t, "seconds")) * time.Second,
				},
			}
			if rapid.Bool().Draw(t, "wants b") {
				b.Quantities["b"] = rapid.Int64Range(1, 20).Draw(t, "b")
			}
			if err := occ.shortfall(b); err != nil {
				if !errors.Is(err, bundle.ErrExceedsCapacity) {
					t.Fatalf("shortfall: %v", err)
				}
				if cal.Check(b) == nil {
					t.Fatalf("shortfall %v for a bundle the calendar accepts", err)
				}
				continue
			}
			if cal.Book(fmt.Sprint(i), b) == nil {
				occ.booked(b)
			}
			for at, used := range occ.used {
				want := cal.UsedAt(time.Unix(at.sec, int64(at.nsec)))
				maps.DeleteFunc(used, func(_ string, q int64) bool { return q == 0 })
				if !maps.Equal(want, used) {
					t.Fatalf("cached usage %v at %v, calendar says %v", used, at, want)
				}
			}
		}
	})
}
