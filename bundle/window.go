package bundle

import (
	"fmt"
	"time"
)

// Window is a span of time [Start, Start+Duration). A zero Start means "as
// soon as possible": the market fixes it when the bundle clears.
type Window struct {
	Start    time.Time
	Duration time.Duration
}

// End returns the first instant after the window.
func (w Window) End() time.Time { return w.Start.Add(w.Duration) }

// Seconds returns the duration in whole seconds.
func (w Window) Seconds() int64 { return int64(w.Duration / time.Second) }

// Validate checks that the duration is a positive whole number of seconds.
func (w Window) Validate() error {
	if w.Duration <= 0 || w.Duration%time.Second != 0 {
		return fmt.Errorf("%w: duration %v", ErrInvalidWindow, w.Duration)
	}
	return nil
}

// Contains reports whether t falls inside the window.
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.Start) && t.Before(w.End())
}

// Overlaps reports whether w and o share an instant.
func (w Window) Overlaps(o Window) bool {
	return w.Start.Before(o.End()) && o.Start.Before(w.End())
}

// At returns w starting at start if w has no start yet, else w.
func (w Window) At(start time.Time) Window {
	if w.Start.IsZero() {
		w.Start = start
	}
	return w
}
