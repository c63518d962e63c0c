package sched

import (
	"fmt"

	"github.com/benbjohnson/clock"
	"github.com/scarcitylabs/scarcity/events"
)

// DefaultMaxBundles is the number of bundles held at once when
// Options.MaxBundles is zero.
const DefaultMaxBundles = 1_000_000

// Options configures a Scheduler. The zero value means the defaults.
type Options struct {
	// Clock gives the time; nil means clock.New().
	Clock clock.Clock
	// Publisher receives every event; nil means events.Discard.
	Publisher events.Publisher
	// Correlation is stamped on every event: the run or scenario id.
	Correlation string
	// Executor stops terminated agents; nil records terminations as events
	// only.
	Executor Executor
	// MaxBundles is the most bundles held (scheduled or active) at once;
	// Schedule beyond it fails with ErrTooManyBundles. It also bounds the
	// finished bundles remembered. Zero means DefaultMaxBundles.
	MaxBundles int
	// Settler pays for bundles scheduled with a Lease (ScheduleLeased); it
	// is required to schedule one.
	Settler Settler
}

// withDefaults validates o and returns it with its zero fields set.
func (o Options) withDefaults() (Options, error) {
	if o.MaxBundles < 0 {
		return o, fmt.Errorf("%w: MaxBundles %d is negative", ErrInvalidOptions, o.MaxBundles)
	}
	if o.MaxBundles == 0 {
		o.MaxBundles = DefaultMaxBundles
	}
	if o.Clock == nil {
		o.Clock = clock.New()
	}
	if o.Publisher == nil {
		o.Publisher = events.Discard
	}
	return o, nil
}
