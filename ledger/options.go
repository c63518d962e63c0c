package ledger

import (
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// Defaults and bounds of Options.
const (
	// DefaultScale is the number of decimal places of amounts when
	// Options.Scale is zero.
	DefaultScale = 6
	// MaxScale is the largest Options.Scale.
	MaxScale = 18
	// DefaultMaxAmount is the largest single amount when Options.MaxAmount is
	// empty.
	DefaultMaxAmount = "1000000000000000"
	// Precision is the number of significant digits of every balance. A
	// change whose result would need more is rejected with
	// ErrBalanceOverflow.
	Precision = exact.MaxDigits // 34
)

// Options configures a Ledger. The zero value means the defaults.
type Options struct {
	// Scale is the number of decimal places of every amount: an amount finer
	// than 10^-Scale is invalid. Zero means DefaultScale (6); valid values
	// are 0 to MaxScale, so a ledger of whole credits is not expressible.
	Scale int32
	// MaxAmount is the largest single amount, as a decimal string. Empty
	// means DefaultMaxAmount (1e15). It must be positive, no finer than
	// Scale, and fit Precision digits at Scale.
	MaxAmount string
	// Clock stamps events. Nil means clock.New().
	Clock clock.Clock
	// Publisher receives the ledger's events. Nil means events.Discard.
	Publisher events.Publisher
	// Correlation is the correlation id stamped on events; empty, or an id
	// as for accounts. Restore considers only ledger events of this
	// correlation.
	Correlation string
	// MaxHistory is the number of History entries kept per account; when an
	// account has more, its oldest are dropped. Zero means
	// DefaultMaxHistory (1,000); valid values are 0 to MaxMaxHistory.
	MaxHistory int
	// Retention is how long the ledger remembers a transfer id, and a hold
	// once captured or released, to recognise a retry (by the ledger's
	// clock, from the write that used or closed it). After it the id may be
	// used again, as a new operation. Zero means for the ledger's life; a
	// long-running ledger sets it to bound its memory, well beyond the
	// longest a caller may retry.
	Retention time.Duration
	// Staged says that Publisher stages the ledger's events for a writer
	// that chains and commits them with its own (a scarcity.Market): the
	// ledger does not chain its events, LastHash is empty, and Restore and
	// RestoreFrom take the events they are given as the trusted events of a
	// stream their caller verified (events.Verify's Trusted) and do not
	// verify them again. When false, for a ledger used on its own, the
	// ledger links its events into a hash chain of its own (events.Chain,
	// unsigned), each batch it publishes a sealed group, and Restore and
	// RestoreFrom verify the chain of the stream they are given.
	Staged bool
	// LastSequence, for Restore and RestoreFrom of a Staged ledger, is the
	// sequence of the stream's last ledger event of Correlation, void
	// events included (events.Verification.Void), which the events given
	// do not hold: the replayed ledger numbers its events after it, so that
	// it never reuses an event id. Zero means the last of the events given.
	// A ledger that verifies its stream finds it there. New numbers its
	// first event after it: a ledger made anew on a stream whose only
	// events are void.
	LastSequence uint64
}

// config is validated Options with the defaults applied.
type config struct {
	scale       int32
	maxAmount   *apd.Decimal
	clock       clock.Clock
	publisher   events.Publisher
	correlation string
	maxHistory  int
	retention   time.Duration
	staged      bool
	lastSeq     uint64
}

// config validates o and applies its defaults. Errors wrap ErrInvalidOptions.
func (o Options) config() (config, error) {
	c := config{scale: o.Scale, clock: o.Clock, publisher: o.Publisher, correlation: o.Correlation,
		maxHistory: o.MaxHistory, retention: o.Retention, staged: o.Staged, lastSeq: o.LastSequence}
	if c.retention < 0 {
		return config{}, fmt.Errorf("%w: negative retention %v", ErrInvalidOptions, o.Retention)
	}
	if c.maxHistory < 0 || c.maxHistory > MaxMaxHistory {
		return config{}, fmt.Errorf("%w: max history %d outside 0..%d", ErrInvalidOptions, o.MaxHistory, MaxMaxHistory)
	}
	if c.maxHistory == 0 {
		c.maxHistory = DefaultMaxHistory
	}
	if c.scale < 0 || c.scale > MaxScale {
		return config{}, fmt.Errorf("%w: scale %d outside 0..%d", ErrInvalidOptions, o.Scale, MaxScale)
	}
	if c.scale == 0 {
		c.scale = DefaultScale
	}
	maxAmount, err := parseMaxAmount(o.MaxAmount, c.scale)
	if err != nil {
		return config{}, err
	}
	c.maxAmount = maxAmount
	if c.correlation != "" {
		if err := validID("correlation", c.correlation); err != nil {
			return config{}, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
	}
	if c.clock == nil {
		c.clock = clock.New()
	}
	if c.publisher == nil {
		c.publisher = events.Discard
	}
	return c, nil
}

// parseMaxAmount parses and checks Options.MaxAmount at scale.
func parseMaxAmount(s string, scale int32) (*apd.Decimal, error) {
	if s == "" {
		s = DefaultMaxAmount
	}
	canonical, err := events.ParseDecimal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: max amount: %w", ErrInvalidOptions, err)
	}
	d := canonical.MustApd()
	if d.Sign() <= 0 {
		return nil, fmt.Errorf("%w: max amount %s is not positive", ErrInvalidOptions, s)
	}
	if finerThan(d, scale) {
		return nil, fmt.Errorf("%w: max amount %s is finer than scale %d", ErrInvalidOptions, s, scale)
	}
	var atScale apd.Decimal
	if _, err := newContext().Quantize(&atScale, d, -scale); err != nil {
		return nil, fmt.Errorf("%w: max amount %s does not fit %d digits at scale %d", ErrInvalidOptions, s, Precision, scale)
	}
	return reduce(d), nil
}

// newContext returns the arithmetic context of a ledger's writes: exact to
// Precision digits, with rounding trapped.
func newContext() *apd.Context { return exact.WithPrecision(Precision) }
