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
	// UsageBatch is how many successful Uses are metered before their
	// usage_recorded events are published, coalesced per bundle and
	// resource. 0 or 1 publishes one with every Use: a Use returns once its
	// usage is on the stream. A larger batch makes Use cheaper (no publish
	// on most calls) at a price: the usage of up to UsageBatch calls is only
	// in memory until it is published, by the call that fills the batch, by
	// Flush, or before any other event of the scheduler, so a crash can
	// lose it. Enforcement is exact either way; the spend of a batched Use
	// counts against Spend from the Use until Window after its usage is
	// published, as a restore from the stream counts it.
	UsageBatch int
	// Spend is the system-wide limit on LLM spend; nil means none.
	Spend *SpendLimit
	// MaxReservations is the most reservations outstanding at once; Reserve
	// beyond it fails with ErrTooManyReservations. Zero means
	// DefaultMaxReservations.
	MaxReservations int
	// Staged says that Publisher stages the scheduler's events for a writer
	// that chains and commits them (a scarcity.Market): the scheduler does
	// not chain its events, and Restore takes the events it is given as the
	// trusted events of a stream its caller verified (events.Verify). When
	// false, the scheduler links each batch it publishes into a hash chain
	// of its own (events.Chain), and Restore verifies the stream.
	Staged bool
}

// withDefaults validates o and returns it with its zero fields set.
func (o Options) withDefaults() (Options, error) {
	if o.UsageBatch < 0 {
		return o, fmt.Errorf("%w: UsageBatch %d is negative", ErrInvalidOptions, o.UsageBatch)
	}
	if o.MaxBundles < 0 {
		return o, fmt.Errorf("%w: MaxBundles %d is negative", ErrInvalidOptions, o.MaxBundles)
	}
	if o.MaxBundles == 0 {
		o.MaxBundles = DefaultMaxBundles
	}
	if o.MaxReservations < 0 {
		return o, fmt.Errorf("%w: MaxReservations %d is negative", ErrInvalidOptions, o.MaxReservations)
	}
	if o.MaxReservations == 0 {
		o.MaxReservations = DefaultMaxReservations
	}
	if err := o.Spend.validate(); err != nil {
		return o, err
	}
	if o.Clock == nil {
		o.Clock = clock.New()
	}
	if o.Publisher == nil {
		o.Publisher = events.Discard
	}
	return o, nil
}
