package bundle_test

import (
	"errors"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

func TestWindowValidate(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want error
	}{
		{time.Second, nil},
		{10 * time.Minute, nil},
		{0, bundle.ErrInvalidWindow},
		{-time.Second, bundle.ErrInvalidWindow},
		{time.Nanosecond, bundle.ErrInvalidWindow},
		{1500 * time.Millisecond, bundle.ErrInvalidWindow},
		{time.Minute + time.Microsecond, bundle.ErrInvalidWindow},
	}
	for _, tt := range tests {
		w := bundle.Window{Start: t0, Duration: tt.d}
		err := w.Validate()
		if tt.want == nil && err != nil {
			t.Errorf("Validate(%v): %v", tt.d, err)
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("Validate(%v) = %v, want %v", tt.d, err, tt.want)
		}
	}
	if err := (bundle.Window{Duration: time.Second}).Validate(); err != nil {
		t.Errorf("a window without a start is valid until the market fixes it: %v", err)
	}
}

func TestWindowSpan(t *testing.T) {
	w := win(10, 5) // [10, 15)
	if !w.End().Equal(at(15)) {
		t.Errorf("End = %v, want %v", w.End(), at(15))
	}
	if w.Seconds() != 5 {
		t.Errorf("Seconds = %d, want 5", w.Seconds())
	}
	contains := []struct {
		t    time.Time
		want bool
	}{
		{at(9), false},
		{at(10), true},
		{at(14), true},
		{at(15).Add(-time.Nanosecond), true},
		{at(15), false},
	}
	for _, tt := range contains {
		if got := w.Contains(tt.t); got != tt.want {
			t.Errorf("Contains(%v) = %v, want %v", tt.t.Sub(t0), got, tt.want)
		}
	}
	overlaps := []struct {
		o    bundle.Window
		want bool
	}{
		{win(0, 10), false}, // ends as w starts
		{win(15, 3), false}, // starts as w ends
		{win(0, 11), true},
		{win(14, 1), true},
		{win(11, 2), true}, // inside
		{win(0, 30), true}, // around
	}
	for _, tt := range overlaps {
		if got := w.Overlaps(tt.o); got != tt.want {
			t.Errorf("Overlaps([%v, %v)) = %v, want %v", tt.o.Start.Sub(t0), tt.o.End().Sub(t0), got, tt.want)
		}
		if got := tt.o.Overlaps(w); got != tt.want {
			t.Errorf("Overlaps is not symmetric for [%v, %v)", tt.o.Start.Sub(t0), tt.o.End().Sub(t0))
		}
	}
}

func TestWindowAt(t *testing.T) {
	unset := bundle.Window{Duration: time.Minute}
	if got := unset.At(at(3)); !got.Start.Equal(at(3)) || got.Duration != time.Minute {
		t.Errorf("At on an unset window = %v", got)
	}
	set := win(1, 60)
	if got := set.At(at(3)); !got.Start.Equal(at(1)) {
		t.Errorf("At moved a window that had a start: %v", got.Start)
	}
}
