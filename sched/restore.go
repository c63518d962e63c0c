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
// before it; or a SchedulerState that does not hold together.
var ErrRestore = errors.New("sched: cannot restore")

// RestoreOptions tells Restore what it cannot read from the scheduler's
// own events.
type RestoreOptions struct {
	// HoldOpen reports whether a ledger hold is still open. A leased bundle
	// that ended with its hold open was not paid before the crash: Restore
	// pays it. Nil means every ended bundle was paid.
	HoldOpen func(holdID string) bool
	// LastSequence, for a Staged scheduler, is the sequence of the
	// stream's last scheduler event, void events included: the restored
	// scheduler numbers after it, so that it never reuses an event id.
	// Zero means the last of the events given.
	LastSequence uint64
}

// Restore returns a scheduler in the state its own events evs describe:
// the events of source scheduler and opts.Correlation (other events are
// skipped). Unless opts.Staged, it first verifies the stream's hash chain
// (events.Verify; a broken chain is ErrRestore wrapping events.ErrTampered)
// and rebuilds from the trusted events only, the events of a group cut
// short being void; the restored scheduler numbers after every event of
// the stream, void ones included, and continues its chain. Its events must
// number 1, 2, 3, … with no gap but void events. The restored scheduler
// has its bundles, their usage, the agents' awake state, the outstanding
// reservations and the spend window as they were when the last of them was
// published. Leased bundles that ended unpaid (see RestoreOptions.HoldOpen)
// are paid now, or left for Advance to retry (the error then satisfies
// ErrAftermath).
//
// What was never published is not restored: under Options.UsageBatch, the
// usage of Uses not yet published is lost with the process.
//
// RestoreFrom does the same from a SchedulerState and the events after it.
func Restore(ctx context.Context, catalog *bundle.Catalog, opts Options, ropts RestoreOptions, evs []events.Event) (*Scheduler, error) {
	s, err := New(catalog, opts)
	if err != nil {
		return nil, err
	}
	trusted, last, head, err := trustedEvents(opts, ropts, evs, "")
	if err != nil {
		return nil, err
	}
	return s.replay(ctx, opts, ropts, trusted, 0, last, head)
}

// replay applies to s the events of source scheduler and opts.Correlation
// of trusted, which must number after prev and up to last, then makes s
// number its events after last and, unless opts.Staged, continue the chain
// from head, and pays for the leased bundles that ended unpaid.
func (s *Scheduler) replay(ctx context.Context, opts Options, ropts RestoreOptions, trusted []events.Event, prev, last uint64, head string) (*Scheduler, error) {
	last = max(last, prev)
	for _, e := range trusted {
		if e.Source != events.SourceScheduler || e.Correlation != opts.Correlation {
			continue
		}
		if e.Sequence <= prev || e.Sequence > last {
			return nil, fmt.Errorf("%w: %v follows sequence %d", ErrRestore, e, prev)
		}
		if err := s.restore(e); err != nil {
			return nil, fmt.Errorf("%w: %v: %w", ErrRestore, e, err)
		}
		prev = e.Sequence
	}
	s.seq = events.NewSequencer(events.SourceScheduler, opts.Correlation, last)
	s.chain = nil
	if !opts.Staged {
		chain, err := events.NewChain(head, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRestore, err)
		}
		s.seq.Chain(chain)
		s.chain = chain
	}
	return s, s.payUnpaid(ctx, ropts.HoldOpen)
}

// trustedEvents returns the events of evs to restore from, the sequence to
// number after and the chain head to continue: evs itself for a Staged
// scheduler, else the trusted events of its verified chain, which goes on
// from head ("" for a chain that starts in evs).
func trustedEvents(opts Options, ropts RestoreOptions, evs []events.Event, head string) ([]events.Event, uint64, string, error) {
	last := ropts.LastSequence
	for _, e := range evs {
		if e.Source == events.SourceScheduler && e.Correlation == opts.Correlation {
			last = max(last, e.Sequence)
		}
	}
	if opts.Staged {
		return evs, last, "", nil
	}
	var ours []events.Event
	for _, e := range evs {
		if e.Correlation == opts.Correlation {
			ours = append(ours, e)
		}
	}
	var vopts events.VerifyOptions
	if head != "" {
		vopts.Heads = map[string]string{opts.Correlation: head}
	}
	v, err := events.Verify(ours, vopts)
	if err != nil {
		return nil, 0, "", fmt.Errorf("%w: %w", ErrRestore, err)
	}
	if h, ok := v.Heads[opts.Correlation]; ok {
		head = h
	}
	return v.Trusted, last, head, nil
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
