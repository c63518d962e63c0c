package instants

import (
	"slices"
	"testing"
	"time"
)

func TestSetNumbersDistinctInstantsInOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var s Set
	// More instants than the cache has slots, added out of order and twice.
	var want []Instant
	for i := 99; i >= 0; i-- {
		at := Of(t0.Add(time.Duration(i) * 1500 * time.Millisecond))
		s.Add(at)
		s.Add(at)
		want = append(want, at)
	}
	slices.SortFunc(want, Instant.Compare)
	got := s.Sorted()
	if !slices.Equal(got, want) {
		t.Fatalf("Sorted = %v, want %v", got, want)
	}
	for i, at := range want {
		if n := s.Number(at); n != i {
			t.Errorf("Number(%v) = %d, want %d", at.Time(), n, i)
		}
	}
	if !want[0].Time().Equal(t0) || want[0].Time().Location() != time.UTC {
		t.Errorf("Time() = %v, want %v in UTC", want[0].Time(), t0)
	}
}
