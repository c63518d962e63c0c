package bundle

import (
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
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

// Validate checks that the duration is a positive whole number of seconds
// and, for a window with a start, that it starts and ends within the
// instants an event can carry (events.MinTime to events.MaxTime).
func (w Window) Validate() error {
	if w.Duration <= 0 || w.Duration%time.Second != 0 {
		return fmt.Errorf("%w: duration %v", ErrInvalidWindow, w.Duration)
	}
	if !w.Start.IsZero() && (!events.TimeInRange(w.Start) || !events.TimeInRange(w.End())) {
		return fmt.Errorf("%w: %v for %v is outside the years 0000-9999", ErrInvalidWindow, w.Start, w.Duration)
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
