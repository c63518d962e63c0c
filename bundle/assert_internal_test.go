package bundle

import (
	"strings"
	"testing"
	"time"
)

// TestCalendarOverbookingPanics adds to a timeline what Book would have
// refused, and takes away what was never booked: the assertion in add must
// stop both rather than sell capacity twice or conjure it.
func TestCalendarOverbookingPanics(t *testing.T) {
	cat, err := NewCatalog(Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: OSLevel})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, n := range map[string]int64{"over capacity": 101, "below zero": -1} {
		t.Run(name, func(t *testing.T) {
			c := NewCalendar(cat)
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, "beyond its capacity") {
					t.Fatalf("recovered %q, want the calendar assertion", r)
				}
			}()
			c.add([]held{{res: 0, n: n}}, start, start.Add(time.Minute), 1)
			t.Fatal("add did not panic")
		})
	}
}
