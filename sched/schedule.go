package sched

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Schedule books b for agent under bundle id id; orderID, the order that won
// it, is recorded in the event. b's window must have a start. It publishes
// bundle_scheduled and, if the window contains now, activates the bundle in
// the same batch: bundle_activated, and agent_awake if it is the agent's
// first active bundle.
//
// Errors wrap ErrInvalidID, the validation errors of bundle.Bundle.Validate
// (bundle.ErrInvalidWindow for a window without a start),
// ErrDuplicateBundle, ErrWindowEnded when the window ends at or before now,
// ErrTooManyBundles, bundle.ErrExceedsCapacity, or the publisher's error.
func (s *Scheduler) Schedule(ctx context.Context, id, agent, orderID string, b bundle.Bundle) error {
	return s.schedule(ctx, id, agent, orderID, b, nil)
}

// ScheduleLeased is Schedule for a bundle paid for by lease: when the
// bundle ends, the scheduler pays for the time used through the Settler
// of its Options and refunds the rest (see Lease). Errors also wrap
// ErrInvalidLease, or ErrInvalidOptions when the scheduler has no Settler.
func (s *Scheduler) ScheduleLeased(ctx context.Context, id, agent, orderID string, b bundle.Bundle, lease Lease) error {
	if s.settler == nil {
		return fmt.Errorf("%w: a leased bundle needs a Settler", ErrInvalidOptions)
	}
	if err := lease.validate(); err != nil {
		return err
	}
	lease.Amount = new(apd.Decimal).Set(lease.Amount)
	return s.schedule(ctx, id, agent, orderID, b, &lease)
}

// schedule books b, paid for by lease if it is not nil.
func (s *Scheduler) schedule(ctx context.Context, id, agent, orderID string, b bundle.Bundle, lease *Lease) error {
	if err := s.validateBundle(id, agent, b); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if err := s.flush(ctx, now); err != nil {
		return err
	}
	if err := s.admit(id, b, now); err != nil {
		return err
	}
	e := newEntry(id, agent, orderID, b, lease)
	batch := s.seq.Batch(now)
	scheduled := batch.Add(agent, e.scheduled())
	if b.Window.Contains(now) {
		e.state = Active
		activated := batch.AddCaused(scheduled.ID, agent, events.BundleActivated{BundleID: id, AgentID: agent})
		if s.awake[agent] == 0 {
			batch.AddCaused(activated.ID, agent, events.AgentAwake{AgentID: agent})
		}
	}
	if err := batch.Publish(ctx, s.pub); err != nil {
		return fmt.Errorf("sched: schedule %q: publish: %w", id, err)
	}
	if err := s.cal.Book(id, e.b); err != nil {
		// admit checked the booking under the same lock.
		panic(fmt.Sprintf("sched: booking admitted bundle %q: %v", id, err))
	}
	s.hold(e)
	return nil
}

// Check reports whether Schedule would admit b now, without booking it:
// nil, or the error Schedule would return for b under a fresh id.
func (s *Scheduler) Check(b bundle.Bundle) error {
	if err := s.validateBundle("check", "check", b); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admit("", b, s.clock.Now())
}

// validateBundle checks what Schedule can check without the scheduler's
// state.
func (s *Scheduler) validateBundle(id, agent string, b bundle.Bundle) error {
	if id == "" || agent == "" {
		return fmt.Errorf("%w: bundle %q of agent %q", ErrInvalidID, id, agent)
	}
	if b.Window.Start.IsZero() {
		return fmt.Errorf("sched: bundle %q: %w: window has no start", id, bundle.ErrInvalidWindow)
	}
	if err := b.Validate(s.catalog); err != nil {
		return fmt.Errorf("sched: bundle %q: %w", id, err)
	}
	return nil
}

// admit checks that b can be booked under id at now.
func (s *Scheduler) admit(id string, b bundle.Bundle, now time.Time) error {
	_, known := s.entries[id]
	_, tail := s.tails[id]
	switch {
	case known || tail:
		return fmt.Errorf("%w: %q", ErrDuplicateBundle, id)
	case !b.Window.End().After(now):
		return fmt.Errorf("%w: bundle %q ended at %v, now is %v", ErrWindowEnded, id, b.Window.End(), now)
	case s.held >= s.max:
		return fmt.Errorf("%w: %d held", ErrTooManyBundles, s.held)
	}
	if err := s.cal.Check(b); err != nil {
		return fmt.Errorf("sched: bundle %q: %w", id, err)
	}
	return nil
}
