package sched

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// DefaultSpendResource is the resource a SpendLimit meters when its Resource
// is empty.
const DefaultSpendResource = "llm_spend"

// ErrSpendLimit reports a request for LLM spend beyond the system-wide
// limit; the error is a *SpendLimitError.
var ErrSpendLimit = errors.New("sched: spend limit reached")

// SpendLimit is the system-wide limit on LLM spend: in any window of length
// Window, at most Max credits are spent, across all agents.
//
// Spend is metered in integer units of Unit credits: the limit is Max/Unit
// units, which must be a whole number, and it must equal the capacity of
// Resource in the catalog, a service-level resource. The calendar thus never
// books more spend than the limit at any instant, and the scheduler's
// sliding-window meter bounds what is actually spent in any window.
type SpendLimit struct {
	// Resource is the catalog's spend resource; empty means
	// DefaultSpendResource.
	Resource string
	// Max is the most credits spent in any window; it must be positive.
	Max *apd.Decimal
	// Window is the length of the sliding window; it must be positive.
	Window time.Duration
	// Unit is the price of one unit of Resource in credits; it must be
	// positive and divide Max.
	Unit *apd.Decimal
}

// Units returns the limit in units, Max/Unit. Errors wrap ErrInvalidOptions.
func (l *SpendLimit) Units() (int64, error) {
	if err := checkPriceAmount(l.Max, false); err != nil {
		return 0, fmt.Errorf("%w: spend limit Max: %v", ErrInvalidOptions, err)
	}
	if err := checkPriceAmount(l.Unit, false); err != nil {
		return 0, fmt.Errorf("%w: spend limit Unit: %v", ErrInvalidOptions, err)
	}
	ctx := exact.WithPrecision(2 * MaxPriceDigits)
	var q apd.Decimal
	if _, err := ctx.Quo(&q, l.Max, l.Unit); err != nil {
		return 0, fmt.Errorf("%w: spend limit Max %s / Unit %s: %v", ErrInvalidOptions, l.Max.Text('f'), l.Unit.Text('f'), err)
	}
	n, err := q.Int64()
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: spend limit Max %s is not a whole number of units of %s", ErrInvalidOptions, l.Max.Text('f'), l.Unit.Text('f'))
	}
	return n, nil
}

// validate checks l, which may be nil, without a catalog.
func (l *SpendLimit) validate() error {
	if l == nil {
		return nil
	}
	if l.Window <= 0 {
		return fmt.Errorf("%w: spend limit Window %v is not positive", ErrInvalidOptions, l.Window)
	}
	_, err := l.Units()
	return err
}

// SpendLimitError is the error of a request refused by the spend limit. A
// spend_limit_reached event with the same fields was published, and nothing
// was consumed or reserved. It matches both ErrSpendLimit and
// ErrServiceDenied.
type SpendLimitError struct {
	Agent    string
	Resource string
	// Requested, Spent, Reserved and Limit are in units: the request, the
	// spend committed in the window ending now, the spend held by
	// outstanding reservations, and the limit.
	Requested, Spent, Reserved, Limit int64
	Window                            time.Duration
	// FreesAt is the earliest instant at which the request fits if nothing
	// else is spent or reserved meanwhile; zero if the window alone cannot
	// free enough.
	FreesAt time.Time
}

func (e *SpendLimitError) Error() string {
	return fmt.Sprintf("sched: spend limit reached: agent %q requested %d %s, %d spent and %d reserved of %d per %v",
		e.Agent, e.Requested, e.Resource, e.Spent, e.Reserved, e.Limit, e.Window)
}

// Is reports whether target is ErrSpendLimit or ErrServiceDenied.
func (e *SpendLimitError) Is(target error) bool {
	return target == ErrSpendLimit || target == ErrServiceDenied
}

// SpendStatus is the state of the spend window at one instant.
type SpendStatus struct {
	Resource string
	// Spent is the spend committed in the window ending now, Reserved the
	// spend held by outstanding reservations, Limit the most allowed; all
	// in units.
	Spent, Reserved, Limit int64
	Window                 time.Duration
}

// Spend returns the state of the spend window now; ok is false if no
// spend limit is configured.
func (s *Scheduler) Spend() (st SpendStatus, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.spend.limit
	if l == nil {
		return SpendStatus{}, false
	}
	s.spend.meter.evict(s.clock.Now())
	m := &s.spend.meter
	return SpendStatus{Resource: l.resource, Spent: m.spent(), Reserved: m.reserved, Limit: m.max, Window: m.window}, true
}

// spendLimit is a validated SpendLimit.
type spendLimit struct {
	resource string
	unit     apd.Decimal
}

// spendState is the scheduler's state of the spend limit and of the
// reservations.
type spendState struct {
	limit        *spendLimit // nil without a spend limit
	meter        spendMeter
	maxRsv       int
	reservations map[string]*reservation
	lapses       lapseHeap
}

// newSpendState checks opts.Spend, if any, against catalog: its resource
// must be a service-level resource whose capacity is the limit in units.
func newSpendState(catalog *bundle.Catalog, opts Options) (spendState, error) {
	st := spendState{maxRsv: opts.MaxReservations, reservations: make(map[string]*reservation)}
	l := opts.Spend
	if l == nil {
		return st, nil
	}
	name := l.Resource
	if name == "" {
		name = DefaultSpendResource
	}
	units, err := l.Units()
	if err != nil {
		return st, err
	}
	r, ok := catalog.Lookup(name)
	switch {
	case !ok:
		return st, fmt.Errorf("%w: spend resource %q is not in the catalog", ErrInvalidOptions, name)
	case r.Enforcement != bundle.ServiceLevel:
		return st, fmt.Errorf("%w: spend resource %q is enforced at %s level", ErrInvalidOptions, name, r.Enforcement)
	case r.Capacity != units:
		return st, fmt.Errorf("%w: spend resource %q has capacity %d, the limit is %d units", ErrInvalidOptions, name, r.Capacity, units)
	}
	st.limit = &spendLimit{resource: name}
	st.limit.unit.Set(l.Unit)
	st.meter = spendMeter{window: l.Window, max: units}
	return st, nil
}

// metered reports whether resource is the spend resource of a limit.
func (st *spendState) metered(resource string) bool {
	return st.limit != nil && st.limit.resource == resource
}

// meterSpend checks that agent may spend qty units of resource at now
// without breaching the spend limit. If not, it publishes
// spend_limit_reached and returns a *SpendLimitError (joined with the
// publisher's error if that publish fails). It changes nothing else and
// returns nil for any resource but the spend resource.
func (s *Scheduler) meterSpend(ctx context.Context, now time.Time, agent, resource string, qty int64) error {
	if !s.spend.metered(resource) {
		return nil
	}
	m := &s.spend.meter
	if qty <= m.room(now) {
		return nil
	}
	// The usage is published first, so that its spend is recorded (at now:
	// the room is the same) and tells when it frees.
	flushed := s.flush(ctx, now)
	d := &SpendLimitError{Agent: agent, Resource: resource, Requested: qty, Spent: m.spent(), Reserved: m.reserved,
		Limit: m.max, Window: m.window}
	if at, ok := m.freesAt(qty); ok {
		d.FreesAt = at
	}
	if flushed != nil {
		return errors.Join(d, flushed)
	}
	batch := s.seq.Batch(now)
	batch.Add(agent, events.SpendLimitReached{AgentID: agent, Resource: resource, Requested: qty,
		Spent: d.Spent, Reserved: d.Reserved, Limit: d.Limit, Unit: events.DecimalOf(&s.spend.limit.unit),
		WindowSeconds: durationSeconds(d.Window), FreesAt: d.FreesAt.UTC()})
	if err := batch.Publish(ctx, s.pub); err != nil {
		return errors.Join(d, fmt.Errorf("sched: publish spend_limit_reached: %w", err))
	}
	return d
}

// commitSpend records qty units of resource spent at now, once the spend's
// events are published; meterSpend must have allowed it under the same
// lock. It does nothing for any resource but the spend resource.
func (s *Scheduler) commitSpend(now time.Time, resource string, qty int64) {
	if s.spend.metered(resource) {
		s.spend.meter.record(now, qty)
	}
}

// commitUnpublished counts qty units of resource as spent, their usage not
// yet published; flush records them when it publishes it. It does nothing
// for any resource but the spend resource.
func (s *Scheduler) commitUnpublished(resource string, qty int64) {
	if s.spend.metered(resource) {
		s.spend.meter.unpublished += qty
	}
}

// durationSeconds returns d in seconds as an exact decimal.
func durationSeconds(d time.Duration) events.Decimal {
	var r apd.Decimal
	r.Reduce(apd.New(int64(d), -9))
	return events.DecimalOf(&r)
}
