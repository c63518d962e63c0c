package bundle_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/bundle"
)

func cpu(n, start, secs int64) bundle.Bundle {
	return bundle.Bundle{Quantities: bundle.Quantities{"cpu": n}, Window: win(start, secs)}
}

func TestCalendarCheck(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "a", cpu(60, 10, 10)) // cpu 60 in [10, 20)
	mustBook(t, c, "b", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 30, "memory": 1000}, Window: win(15, 10)})
	tests := []struct {
		name string
		b    bundle.Bundle
		want error
	}{
		{"before, back to back", cpu(100, 0, 10), nil},
		{"after, back to back", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 100, "memory": 1024}, Window: win(25, 5)}, nil},
		{"fits the overlap", cpu(10, 12, 10), nil},
		{"one over in the overlap", cpu(11, 15, 1), bundle.ErrExceedsCapacity},
		{"fits only where a ends", cpu(40, 20, 5), nil},
		{"second resource full", bundle.Bundle{Quantities: bundle.Quantities{"memory": 25}, Window: win(24, 1)}, bundle.ErrExceedsCapacity},
		{"other resource free", bundle.Bundle{Quantities: bundle.Quantities{"tokens": 10000}, Window: win(10, 20)}, nil},
		{"spans both", cpu(11, 0, 60), bundle.ErrExceedsCapacity},
		{"over capacity alone", cpu(101, 100, 1), bundle.ErrExceedsCapacity},
		{"invalid window", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Start: at(0), Duration: time.Millisecond}}, bundle.ErrInvalidWindow},
		{"unknown resource", bundle.Bundle{Quantities: bundle.Quantities{"gpu": 1}, Window: win(0, 1)}, bundle.ErrUnknownResource},
		{"empty", bundle.Bundle{Window: win(0, 1)}, bundle.ErrEmptyBundle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Check(tt.b)
			if tt.want == nil && err != nil {
				t.Fatalf("Check: %v", err)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
	if c.Len() != 2 {
		t.Errorf("Check changed the calendar: Len = %d", c.Len())
	}
}

func TestCalendarBackToBackBundlesBothFit(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "first", cpu(100, 0, 60))
	mustBook(t, c, "second", cpu(100, 60, 60))
	mustBook(t, c, "third", cpu(100, 120, 1))
	if err := c.Book("overlap", cpu(1, 59, 2)); !errors.Is(err, bundle.ErrExceedsCapacity) {
		t.Errorf("Book across a boundary of full bundles = %v, want ErrExceedsCapacity", err)
	}
}

func TestCalendarBookRefusesAndLeavesNoTrace(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "a", cpu(90, 0, 10))
	if err := c.Book("a", cpu(1, 100, 10)); !errors.Is(err, bundle.ErrDuplicateBooking) {
		t.Errorf("Book of a taken id = %v, want ErrDuplicateBooking", err)
	}
	if err := c.Book("b", cpu(11, 5, 10)); !errors.Is(err, bundle.ErrExceedsCapacity) {
		t.Errorf("Book past capacity = %v, want ErrExceedsCapacity", err)
	}
	if err := c.Book("c", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 0}, Window: win(0, 1)}); !errors.Is(err, bundle.ErrInvalidQuantity) {
		t.Errorf("Book of an invalid bundle = %v, want ErrInvalidQuantity", err)
	}
	if c.Len() != 1 {
		t.Fatalf("Len = %d after refused bookings, want 1", c.Len())
	}
	if diff := cmp.Diff(bundle.Quantities{"cpu": 90}, c.UsedAt(at(5))); diff != "" {
		t.Errorf("UsedAt (-want +got):\n%s", diff)
	}
	if err := c.Cancel("b"); !errors.Is(err, bundle.ErrUnknownBooking) {
		t.Errorf("a refused booking can be cancelled: %v", err)
	}
}

func TestCalendarBookCopiesQuantities(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	b := cpu(50, 0, 10)
	mustBook(t, c, "a", b)
	b.Quantities["cpu"] = 1
	if got := c.UsedAt(at(0))["cpu"]; got != 50 {
		t.Errorf("booking changed through the caller's map: cpu %d", got)
	}
}

func TestCalendarCancel(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "a", cpu(100, 0, 10))
	if err := c.Cancel("a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel("a"); !errors.Is(err, bundle.ErrUnknownBooking) {
		t.Errorf("second Cancel = %v, want ErrUnknownBooking", err)
	}
	if c.Len() != 0 {
		t.Errorf("Len = %d", c.Len())
	}
	mustBook(t, c, "b", cpu(100, 0, 10)) // the whole window is free again
}

func TestCalendarTruncate(t *testing.T) {
	tests := []struct {
		name     string
		end      int64
		wantLen  int
		wantUsed []int64 // cpu used at seconds 0..11
	}{
		{"middle", 4, 1, []int64{50, 50, 50, 50, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"at start removes", 0, 0, []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"before start removes", -5, 0, []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"at end changes nothing", 10, 1, []int64{50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 0, 0}},
		{"after end changes nothing", 30, 1, []int64{50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := bundle.NewCalendar(testCatalog(t))
			mustBook(t, c, "a", cpu(50, 0, 10))
			if err := c.Truncate("a", at(tt.end)); err != nil {
				t.Fatal(err)
			}
			if c.Len() != tt.wantLen {
				t.Errorf("Len = %d, want %d", c.Len(), tt.wantLen)
			}
			used := make([]int64, len(tt.wantUsed))
			for s := range used {
				used[s] = c.UsedAt(at(int64(s)))["cpu"]
			}
			if diff := cmp.Diff(tt.wantUsed, used); diff != "" {
				t.Errorf("cpu used per second (-want +got):\n%s", diff)
			}
		})
	}
	c := bundle.NewCalendar(testCatalog(t))
	if err := c.Truncate("nope", at(1)); !errors.Is(err, bundle.ErrUnknownBooking) {
		t.Errorf("Truncate unknown = %v, want ErrUnknownBooking", err)
	}
	mustBook(t, c, "a", cpu(100, 0, 10))
	if err := c.Truncate("a", at(3)); err != nil {
		t.Fatal(err)
	}
	mustBook(t, c, "b", cpu(100, 3, 7)) // capacity after the new end is free
}

func TestCalendarPrune(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "ends-5", cpu(10, 0, 5))
	mustBook(t, c, "ends-10", cpu(10, 0, 10))
	mustBook(t, c, "ends-11", cpu(10, 5, 6))
	c.Prune(at(10))
	if c.Len() != 1 {
		t.Fatalf("Len after Prune = %d, want 1", c.Len())
	}
	if err := c.Cancel("ends-11"); err != nil {
		t.Errorf("Prune removed a booking still running: %v", err)
	}
}

func TestCalendarFreePeakUsedAt(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	// cpu: 20 in [0,10), 30 in [5,15), 40 in [10,20): peaks 50 in [5,10) and 70 in [10,15).
	mustBook(t, c, "a", cpu(20, 0, 10))
	mustBook(t, c, "b", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 30, "memory": 512}, Window: win(5, 10)})
	mustBook(t, c, "c", cpu(40, 10, 10))
	tests := []struct {
		w        bundle.Window
		wantPeak bundle.Quantities
	}{
		{win(0, 5), bundle.Quantities{"cpu": 20}},
		{win(0, 10), bundle.Quantities{"cpu": 50, "memory": 512}},
		{win(0, 20), bundle.Quantities{"cpu": 70, "memory": 512}},
		{win(15, 5), bundle.Quantities{"cpu": 40}},
		{win(20, 5), bundle.Quantities{}},
		{win(-5, 5), bundle.Quantities{}},
		{win(9, 1), bundle.Quantities{"cpu": 50, "memory": 512}},
		{win(14, 1), bundle.Quantities{"cpu": 70, "memory": 512}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.wantPeak, c.Peak(tt.w)); diff != "" {
			t.Errorf("Peak([%v, %v)) (-want +got):\n%s", tt.w.Start.Sub(t0), tt.w.End().Sub(t0), diff)
		}
		wantFree := bundle.Quantities{"cpu": 100 - tt.wantPeak["cpu"], "memory": 1024 - tt.wantPeak["memory"], "tokens": 10000}
		if diff := cmp.Diff(wantFree, c.Free(tt.w)); diff != "" {
			t.Errorf("Free([%v, %v)) (-want +got):\n%s", tt.w.Start.Sub(t0), tt.w.End().Sub(t0), diff)
		}
	}
	used := []struct {
		s    int64
		want bundle.Quantities
	}{
		{-1, bundle.Quantities{}},
		{0, bundle.Quantities{"cpu": 20}},
		{5, bundle.Quantities{"cpu": 50, "memory": 512}},
		{10, bundle.Quantities{"cpu": 70, "memory": 512}},
		{15, bundle.Quantities{"cpu": 40}},
		{20, bundle.Quantities{}},
	}
	for _, tt := range used {
		if diff := cmp.Diff(tt.want, c.UsedAt(at(tt.s))); diff != "" {
			t.Errorf("UsedAt(%d) (-want +got):\n%s", tt.s, diff)
		}
	}
}

func TestCalendarClone(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "a", cpu(50, 0, 10))
	d := c.Clone()
	mustBook(t, d, "b", cpu(50, 0, 10))
	if err := d.Cancel("a"); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 1 || c.UsedAt(at(0))["cpu"] != 50 {
		t.Errorf("changing a clone changed the original: Len %d, used %v", c.Len(), c.UsedAt(at(0)))
	}
	if c.Catalog() != d.Catalog() {
		t.Error("clone has another catalog")
	}
}

func TestCalendarHas(t *testing.T) {
	cat, err := bundle.NewCatalog(bundle.Resource{Name: "cpu", Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	cal := bundle.NewCalendar(cat)
	b := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Start: time.Unix(0, 0), Duration: time.Minute}}
	if err := cal.Book("x", b); err != nil {
		t.Fatal(err)
	}
	if !cal.Has("x") || cal.Has("y") {
		t.Errorf("Has(x), Has(y) = %v, %v; want true, false", cal.Has("x"), cal.Has("y"))
	}
	if err := cal.Cancel("x"); err != nil || cal.Has("x") {
		t.Errorf("after Cancel: err %v, Has(x) %v", err, cal.Has("x"))
	}
}

// usedPerSecond returns the cpu booked on c at seconds 0..n-1.
func usedPerSecond(c *bundle.Calendar, n int) []int64 {
	used := make([]int64, n)
	for s := range used {
		used[s] = c.UsedAt(at(int64(s)))["cpu"]
	}
	return used
}

func TestCalendarPruneKeepsRunningBookings(t *testing.T) {
	tests := []struct {
		name     string
		bookings []bundle.Bundle
		prune    int64
		wantLen  int
		wantUsed []int64 // cpu used at seconds 0..5
	}{
		{"back to back, same quantity", []bundle.Bundle{cpu(1, 0, 2), cpu(1, 2, 2)}, 2, 1, []int64{0, 0, 1, 1, 0, 0}},
		{"running ones share a start", []bundle.Bundle{cpu(1, 0, 1), cpu(1, 1, 3), cpu(2, 1, 4)}, 2, 2, []int64{0, 3, 3, 3, 2, 0}},
		{"running one started just before", []bundle.Bundle{cpu(5, 0, 3), cpu(1, 2, 3)}, 3, 1, []int64{0, 0, 1, 1, 1, 0}},
		{"between steps", []bundle.Bundle{cpu(5, 0, 1), cpu(1, 0, 3), cpu(2, 2, 2)}, 1, 2, []int64{1, 1, 3, 2, 0, 0}},
		{"nothing ended", []bundle.Bundle{cpu(5, 0, 3), cpu(1, 2, 3)}, 1, 2, []int64{5, 5, 6, 1, 1, 0}},
		{"everything ended", []bundle.Bundle{cpu(5, 0, 3), cpu(1, 2, 3)}, 9, 0, []int64{0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := bundle.NewCalendar(testCatalog(t))
			for i, b := range tt.bookings {
				mustBook(t, c, string(rune('a'+i)), b)
			}
			c.Prune(at(tt.prune))
			if c.Len() != tt.wantLen {
				t.Errorf("Len = %d, want %d", c.Len(), tt.wantLen)
			}
			if diff := cmp.Diff(tt.wantUsed, usedPerSecond(c, len(tt.wantUsed))); diff != "" {
				t.Errorf("cpu used per second (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCalendarTruncateLeavesSubSecondRemainder(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "a", cpu(100, 0, 10))
	end := at(3).Add(300 * time.Millisecond)
	if err := c.Truncate("a", end); err != nil {
		t.Fatal(err)
	}
	if got := c.UsedAt(end.Add(-time.Nanosecond))["cpu"]; got != 100 {
		t.Errorf("cpu used just before the new end = %d, want 100", got)
	}
	if got := c.Free(bundle.Window{Start: end, Duration: time.Hour})["cpu"]; got != 100 {
		t.Errorf("cpu free from the new end on = %d, want 100", got)
	}
	mustBook(t, c, "b", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 100}, Window: bundle.Window{Start: end, Duration: time.Second}})
	if err := c.Check(cpu(1, 3, 1)); !errors.Is(err, bundle.ErrExceedsCapacity) {
		t.Errorf("Check over the remainder = %v, want ErrExceedsCapacity", err)
	}
}

func TestCalendarEmptyWindow(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "a", cpu(60, 0, 10))
	for _, d := range []time.Duration{0, -time.Second} {
		w := bundle.Window{Start: at(5), Duration: d}
		if diff := cmp.Diff(bundle.Quantities{}, c.Peak(w)); diff != "" {
			t.Errorf("Peak of a %v window (-want +got):\n%s", d, diff)
		}
		if diff := cmp.Diff(testCatalog(t).Capacity(), c.Free(w)); diff != "" {
			t.Errorf("Free of a %v window (-want +got):\n%s", d, diff)
		}
	}
}

func TestCalendarCheckNamesFirstShortResource(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "a", bundle.Bundle{Quantities: bundle.Quantities{"cpu": 100, "memory": 1024, "tokens": 10000}, Window: win(0, 10)})
	b := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1, "memory": 1, "tokens": 1}, Window: win(5, 10)}
	for range 20 { // map order varies from call to call
		err := c.Check(b)
		if !errors.Is(err, bundle.ErrExceedsCapacity) || err.Error() != `bundle: exceeds capacity: "cpu" needs 1, 0 free` {
			t.Fatalf("Check = %v, want cpu named", err)
		}
	}
}

func TestCalendarCheckDoesNotAllocate(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	for i := range int64(100) {
		mustBook(t, c, fmt.Sprint(i), cpu(1, i, 30))
	}
	b := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 60, "memory": 1}, Window: win(20, 60)}
	if n := testing.AllocsPerRun(100, func() {
		if err := c.Check(b); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Check allocates %v times", n)
	}
}

func TestCalendarCloneIsDeep(t *testing.T) {
	c := bundle.NewCalendar(testCatalog(t))
	mustBook(t, c, "a", cpu(50, 0, 10))
	d := c.Clone()
	mustBook(t, c, "b", cpu(50, 0, 10)) // changes levels in place
	mustBook(t, c, "c", cpu(50, 10, 10))
	if err := c.Truncate("a", at(2)); err != nil {
		t.Fatal(err)
	}
	c.Prune(at(20))
	if diff := cmp.Diff([]int64{50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 0}, usedPerSecond(d, 11)); diff != "" {
		t.Errorf("changing the original changed the clone (-want +got):\n%s", diff)
	}
	mustBook(t, d, "b", cpu(50, 0, 10))
}
