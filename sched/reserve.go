package sched

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Errors of reservations. Test for them with errors.Is.
var (
	// ErrUnknownReservation reports a reservation id that is not
	// outstanding: never made, or already committed, cancelled or lapsed.
	ErrUnknownReservation = errors.New("sched: unknown reservation")
	// ErrOverCommit reports a Commit of more than was reserved.
	ErrOverCommit = errors.New("sched: commit exceeds reservation")
	// ErrReservationLapsed reports a Commit at or after the reservation's
	// expiry; Advance returns what it holds.
	ErrReservationLapsed = errors.New("sched: reservation lapsed")
	// ErrTooManyReservations reports a Reserve beyond
	// Options.MaxReservations.
	ErrTooManyReservations = errors.New("sched: too many reservations")
)

// DefaultMaxReservations is the number of reservations outstanding at once
// when Options.MaxReservations is zero.
const DefaultMaxReservations = 100_000

// MaxReservationTTL is the longest time to live of a reservation.
const MaxReservationTTL = 24 * time.Hour

// Reasons carried by reservation_released events.
const (
	// ReasonCommitted: the reservation was committed.
	ReasonCommitted = "committed"
	// ReasonCancelled: the reservation was cancelled.
	ReasonCancelled = "cancelled"
	// ReasonLapsed: the reservation was not committed before it expired.
	ReasonLapsed = "lapsed"
	// ReasonBundleEnded: a bundle the reservation drew from was released
	// or its agent terminated before the reservation was committed.
	ReasonBundleEnded = "bundle_ended"
)

// reservation is a quantity held for a call whose cost is known only
// afterwards.
type reservation struct {
	id       string
	agent    string
	resource string
	qty      int64
	holds    []draw // from the agent's bundles, earliest-ending first
	metered  bool   // qty is also held in the spend window
	expires  time.Time
	index    int // in the lapse heap
}

// Reserve sets aside worstCase of the service-level resource for agent, for
// a call whose cost is known only once it is done, and returns the
// reservation's id. The quantity is taken from agent's bundles whose window
// contains now, earliest-ending first as Use does, and counts as used in
// them until the reservation ends; a reservation of the spend resource also
// holds worstCase in the spend window. Both are taken in one step, or
// neither. It publishes usage_reserved.
//
// The reservation ends with Commit, with Cancel, or by lapsing: once ttl
// has passed, Commit fails and the next Advance returns what it holds. A
// reservation never outlives what it reserves: it expires, at the latest,
// when the first of the bundles it draws from ends, and a bundle released
// or terminated early ends the reservations drawing from it at once
// (reservation_released with reason ReasonBundleEnded, in the same batch).
//
// If the bundles have less than worstCase left, Reserve publishes
// service_denied and returns a *DeniedError; if the spend limit would be
// breached, it publishes spend_limit_reached and returns a
// *SpendLimitError. Both wrap ErrServiceDenied; nothing is reserved. Other
// errors wrap those of Use, ErrInvalidQuantity for a ttl that is not
// positive or beyond MaxReservationTTL, ErrTooManyReservations, or the
// publisher's error.
func (s *Scheduler) Reserve(ctx context.Context, agent, resource string, worstCase int64, ttl time.Duration) (string, error) {
	if err := s.checkRequest(agent, resource, worstCase); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxReservationTTL {
		return "", fmt.Errorf("%w: reservation ttl %v", ErrInvalidQuantity, ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.spend.reservations) >= s.spend.maxRsv {
		return "", fmt.Errorf("%w: %d outstanding", ErrTooManyReservations, len(s.spend.reservations))
	}
	now := s.clock.Now()
	holds, denied := s.take(nil, agent, resource, worstCase, now)
	if denied != nil {
		return "", s.deny(ctx, now, denied)
	}
	if err := s.meterSpend(ctx, now, agent, resource, worstCase); err != nil {
		return "", err
	}
	r := &reservation{id: fmt.Sprintf("rsv-%012d", s.seq.Last()+1), agent: agent, resource: resource, qty: worstCase,
		holds: holds, metered: s.spend.metered(resource), expires: now.Add(ttl)}
	for _, h := range holds {
		if end := h.e.b.Window.End(); end.Before(r.expires) {
			r.expires = end
		}
	}
	if err := s.flush(ctx, now); err != nil {
		return "", err
	}
	batch := s.seq.Batch(now)
	batch.Add(agent, r.reserved())
	if err := batch.Publish(ctx, s.pub); err != nil {
		return "", fmt.Errorf("sched: reserve: publish: %w", err)
	}
	for _, h := range r.holds {
		h.e.consume(resource, h.qty, false)
	}
	if r.metered {
		s.spend.meter.reserved += worstCase
	}
	s.spend.reservations[r.id] = r
	s.spend.lapses.push(r)
	return r.id, nil
}

// Commit ends reservation id by consuming exactly actual of it, 0 <= actual
// <= the reserved quantity: actual is drawn from the reservation's holds in
// order, earliest-ending bundle first, and the rest returns to the bundles
// and the spend window it was held from. The spend is metered at now. It
// publishes usage_recorded for each bundle drawn from and
// reservation_released.
//
// Errors wrap ErrUnknownReservation, ErrInvalidQuantity for a negative
// actual, ErrOverCommit for one beyond the reservation, ErrReservationLapsed
// at or after its expiry, or the publisher's error; then nothing changes.
func (s *Scheduler) Commit(ctx context.Context, id string, actual int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	r, ok := s.spend.reservations[id]
	switch {
	case !ok:
		return fmt.Errorf("%w: %q", ErrUnknownReservation, id)
	case actual < 0:
		return fmt.Errorf("%w: commit of %d %s", ErrInvalidQuantity, actual, r.resource)
	case actual > r.qty:
		return fmt.Errorf("%w: commit of %d %s, %d reserved in %q", ErrOverCommit, actual, r.resource, r.qty, id)
	case !now.Before(r.expires):
		return fmt.Errorf("%w: %q expired at %v, now is %v", ErrReservationLapsed, id, r.expires, now)
	}
	if err := s.flush(ctx, now); err != nil {
		return err
	}
	takes := r.split(actual)
	batch := s.seq.Batch(now)
	for i, h := range r.holds {
		if takes[i] > 0 {
			batch.Add(r.agent, events.UsageRecorded{BundleID: h.e.id, AgentID: r.agent, Resource: r.resource,
				Quantity: takes[i], Used: h.e.used(r.resource) - h.qty + takes[i], Limit: h.e.b.Quantities[r.resource]})
		}
	}
	batch.Add(r.agent, r.released(actual, ReasonCommitted))
	if err := batch.Publish(ctx, s.pub); err != nil {
		return fmt.Errorf("sched: commit %q: publish: %w", id, err)
	}
	s.endReservation(r, takes)
	s.commitSpend(now, r.resource, actual)
	return nil
}

// Cancel ends reservation id, consuming nothing: everything it holds
// returns to the bundles and the spend window. A reservation past its
// expiry that Advance has not returned yet can still be cancelled. It
// publishes reservation_released.
//
// Errors wrap ErrUnknownReservation or the publisher's error; then nothing
// changes.
func (s *Scheduler) Cancel(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.spend.reservations[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownReservation, id)
	}
	now := s.clock.Now()
	if err := s.flush(ctx, now); err != nil {
		return err
	}
	batch := s.seq.Batch(now)
	batch.Add(r.agent, r.released(0, ReasonCancelled))
	if err := batch.Publish(ctx, s.pub); err != nil {
		return fmt.Errorf("sched: cancel %q: publish: %w", id, err)
	}
	s.endReservation(r, nil)
	return nil
}

// checkRequest checks the arguments of a request for qty of a
// service-level resource.
func (s *Scheduler) checkRequest(agent, resource string, qty int64) error {
	if _, err := s.lookup(resource, bundle.ServiceLevel); err != nil {
		return err
	}
	if qty <= 0 {
		return fmt.Errorf("%w: request of %d %s", ErrInvalidQuantity, qty, resource)
	}
	if agent == "" {
		return fmt.Errorf("%w: empty agent", ErrInvalidID)
	}
	return nil
}

// endReservation returns what r holds beyond takes, the quantities consumed
// from each of its holds (nil for none), and forgets r.
func (s *Scheduler) endReservation(r *reservation, takes []int64) {
	for i, h := range r.holds {
		var take int64
		if takes != nil {
			take = takes[i]
		}
		h.e.consume(r.resource, take-h.qty, false)
	}
	if r.metered {
		s.spend.meter.reserved -= r.qty
	}
	delete(s.spend.reservations, r.id)
	s.spend.lapses.remove(r)
}

// split returns how much of actual each hold of r gives, in order.
func (r *reservation) split(actual int64) []int64 {
	takes := make([]int64, len(r.holds))
	for i, h := range r.holds {
		takes[i] = min(h.qty, actual)
		actual -= takes[i]
	}
	return takes
}

// reserved returns r's usage_reserved payload.
func (r *reservation) reserved() events.UsageReserved {
	holds := make([]events.ReservedHold, len(r.holds))
	for i, h := range r.holds {
		holds[i] = events.ReservedHold{BundleID: h.e.id, Quantity: h.qty}
	}
	return events.UsageReserved{ReservationID: r.id, AgentID: r.agent, Resource: r.resource, Quantity: r.qty,
		Holds: holds, ExpiresAt: r.expires.UTC()}
}

// released returns r's reservation_released payload when committed of it
// is consumed.
func (r *reservation) released(committed int64, reason string) events.ReservationReleased {
	return events.ReservationReleased{ReservationID: r.id, AgentID: r.agent, Resource: r.resource,
		Reserved: r.qty, Committed: committed, Returned: r.qty - committed, Reason: reason}
}
