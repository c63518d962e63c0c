package sched

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// ErrRestore reports a stream from which a scheduler cannot be restored: a
// gap in its sequence, or an event that does not follow from the ones
// before it.
var ErrRestore = errors.New("sched: cannot restore")

// RestoreOptions tells Restore what it cannot read from the scheduler's
// own events.
type RestoreOptions struct {
	// HoldOpen reports whether a ledger hold is still open. A leased bundle
	// that ended with its hold open was not paid before the crash: Restore
	// pays it. Nil means every ended bundle was paid.
	HoldOpen func(holdID string) bool
}

// Restore returns a scheduler in the state its own events evs describe:
// the events of source scheduler and opts.Correlation, which must number
// 1, 2, 3, … without a gap (other events are skipped; so are the batches
// stored only in part, and their sequences: see events.Complete). The restored
// scheduler continues the sequence, with its bundles, their usage, the
// agents' awake state, the outstanding reservations and the spend window as
// they were when the last of them was published. Leased bundles that ended
// unpaid (see RestoreOptions.HoldOpen) are paid now, or left for Advance to
// retry (the error then satisfies Aftermath).
//
// What was never published is not restored: under Options.UsageBatch, the
// usage of Uses not yet published is lost with the process.
func Restore(ctx context.Context, catalog *bundle.Catalog, opts Options, ropts RestoreOptions, evs []events.Event) (*Scheduler, error) {
	s, err := New(catalog, opts)
	if err != nil {
		return nil, err
	}
	evs, voids := events.Complete(evs)
	var last uint64
	for _, e := range evs {
		if e.Source != events.SourceScheduler || e.Correlation != opts.Correlation {
			continue
		}
		if last = voids.Skip(e.Source, e.Correlation, last); e.Sequence != last+1 {
			return nil, fmt.Errorf("%w: %v follows sequence %d", ErrRestore, e, last)
		}
		if err := s.restore(e); err != nil {
			return nil, fmt.Errorf("%w: %v: %w", ErrRestore, e, err)
		}
		last = e.Sequence
	}
	s.seq = events.NewSequencer(events.SourceScheduler, opts.Correlation, last)
	s.seq.SkipVoid(voids)
	return s, s.payUnpaid(ctx, ropts.HoldOpen)
}

// restore applies the state change e records.
func (s *Scheduler) restore(e events.Event) error {
	switch p := e.Data.(type) {
	case events.BundleScheduled:
		return s.restoreScheduled(p)
	case events.BundleActivated:
		return s.restoreEnd(p.BundleID, Active, e.Time)
	case events.BundleExpired:
		return s.restoreEnd(p.BundleID, Expired, e.Time)
	case events.BundleReleased:
		to := Released
		if p.Reason == ReasonTerminated {
			to = Terminated
		}
		return s.restoreEnd(p.BundleID, to, e.Time)
	case events.UsageRecorded:
		return s.restoreUsage(p, e.Time)
	case events.UsageReserved:
		return s.restoreReserved(p)
	case events.ReservationReleased:
		return s.restoreReleased(p)
	}
	return nil // awake, dormant, denials, terminations: no state of their own
}

// restoreScheduled books the bundle p records.
func (s *Scheduler) restoreScheduled(p events.BundleScheduled) error {
	b := bundle.Bundle{Quantities: bundle.Quantities(p.Quantities),
		Window: bundle.Window{Start: p.Window.Start, Duration: time.Duration(p.Window.DurationSeconds) * time.Second}}
	var lease *Lease
	if p.LeaseHold != "" {
		amount, err := p.LeaseAmount.Apd()
		if err != nil {
			return err
		}
		lease = &Lease{HoldID: p.LeaseHold, Amount: amount, Payee: p.LeasePayee, Scale: p.LeaseScale}
	}
	if _, known := s.entries[p.BundleID]; known {
		return fmt.Errorf("bundle %q scheduled twice", p.BundleID)
	}
	e := newEntry(p.BundleID, p.AgentID, p.OrderID, b, lease)
	if err := s.cal.Book(e.id, e.b); err != nil {
		return err
	}
	s.hold(e)
	return nil
}

// restoreEnd moves the held bundle id to state to at t.
func (s *Scheduler) restoreEnd(id string, to State, t time.Time) error {
	e, ok := s.entries[id]
	if !ok || !e.state.held() || (to == Active && e.state != Scheduled) {
		return fmt.Errorf("bundle %q cannot become %s", id, to)
	}
	if to == Active {
		s.activate(e)
		return nil
	}
	s.finish(e, to, t)
	// The part of an early-ended bundle before its end is in the past; the
	// scheduler drops it at its next Advance, which left no event: drop it
	// now, or a bundle admitted after that Advance might not fit.
	s.pruneTails()
	return nil
}

// restoreUsage sets the consumption p records; an OS-level sample
// consumes nothing.
func (s *Scheduler) restoreUsage(p events.UsageRecorded, t time.Time) error {
	if r, ok := s.catalog.Lookup(p.Resource); !ok || r.Enforcement != bundle.ServiceLevel {
		return nil
	}
	e, ok := s.entries[p.BundleID]
	if !ok || e.meter(p.Resource) == nil {
		return fmt.Errorf("usage of %s by unknown bundle %q", p.Resource, p.BundleID)
	}
	e.meter(p.Resource).used = p.Used
	if s.spend.metered(p.Resource) {
		s.spend.meter.record(t, p.Quantity)
	}
	return nil
}

// restoreReserved holds the reservation p records.
func (s *Scheduler) restoreReserved(p events.UsageReserved) error {
	r := &reservation{id: p.ReservationID, agent: p.AgentID, resource: p.Resource, qty: p.Quantity,
		metered: s.spend.metered(p.Resource), expires: p.ExpiresAt, index: -1}
	for _, h := range p.Holds {
		e, ok := s.entries[h.BundleID]
		if !ok || e.meter(p.Resource) == nil {
			return fmt.Errorf("reservation %q holds %s in unknown bundle %q", r.id, p.Resource, h.BundleID)
		}
		r.holds = append(r.holds, draw{e, h.Quantity})
		e.consume(p.Resource, h.Quantity, false)
	}
	if r.metered {
		s.spend.meter.reserved += r.qty
	}
	s.spend.reservations[r.id] = r
	s.spend.lapses.push(r)
	return nil
}

// restoreReleased ends the reservation p records. A commit's consumption
// came in its usage_recorded events just before; a cancelled or lapsed
// reservation returns all it held.
func (s *Scheduler) restoreReleased(p events.ReservationReleased) error {
	r, ok := s.spend.reservations[p.ReservationID]
	if !ok {
		return fmt.Errorf("unknown reservation %q", p.ReservationID)
	}
	if p.Committed == 0 {
		s.endReservation(r, nil)
		return nil
	}
	takes := r.split(p.Committed)
	for i, h := range r.holds {
		if takes[i] > 0 { // its usage_recorded already set used net of this hold
			h.e.consume(r.resource, h.qty-takes[i], false)
		}
	}
	s.endReservation(r, takes)
	return nil
}

// payUnpaid pays for the leased bundles that ended with their hold open.
func (s *Scheduler) payUnpaid(ctx context.Context, open func(holdID string) bool) error {
	if open == nil || s.settler == nil {
		return nil
	}
	var errs []error
	for _, e := range s.finished {
		if e.lease != nil && open(e.lease.HoldID) {
			errs = append(errs, s.settle(ctx, e, e.state, e.ended))
		}
	}
	return errors.Join(errs...)
}
