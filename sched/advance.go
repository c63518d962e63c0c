package sched

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// step is one state change planned by Advance.
type step struct {
	e  *entry
	to State
}

// Advance processes every activation and expiry due at or before now, in
// time order then bundle id order: bundle_activated and bundle_expired, with
// agent_awake when an agent goes from no active bundle to one and
// agent_dormant when it goes back to none. Expired bundles leave the
// calendar, as do the bookings of bundles that ended early. Advance is
// idempotent when nothing is due. Reservations past their ttl lapse in the
// same batch (reservation_released with reason lapsed). If the publish
// fails, nothing changes.
//
// Once the events are published, a leased bundle that expired is paid for
// in full through the Settler, and an agent whose last active bundle
// expired is stopped through the Executor (Terminate with reason
// ReasonExpired): an agent runs only while it holds a bundle. Advance
// first retries the payments the Settler refused before. Errors of these
// steps wrap ErrSettlementPending or ErrStopFailed (and the error is ErrAftermath); the
// expiries happened all the same.
func (s *Scheduler) Advance(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	retried := s.retrySettlements(ctx)
	err := s.advance(ctx, s.clock.Now())
	return Join(retried, err)
}

// advance processes the timers due at now.
func (s *Scheduler) advance(ctx context.Context, now time.Time) error {
	if err := s.flush(ctx, now); err != nil {
		return err
	}
	due := s.timers.popDue(now)
	steps, batch := s.planAdvance(due, now)
	lapsed := s.planLapses(batch, now) // reservations due to lapse
	if err := batch.Publish(ctx, s.pub); err != nil {
		for _, t := range due {
			s.timers.push(t)
		}
		return fmt.Errorf("sched: advance: publish: %w", err)
	}
	var errs []error
	for _, st := range steps {
		if st.to == Active {
			s.activate(st.e)
			continue
		}
		s.finish(st.e, st.to, now)
		errs = append(errs, s.settle(ctx, st.e, st.to, now))
	}
	s.pruneTails()
	s.applyLapses(lapsed)
	return errors.Join(append(errs, s.stopDormant(ctx, steps))...)
}

// stopDormant stops, through the Executor, the agents that steps left
// without an active bundle.
func (s *Scheduler) stopDormant(ctx context.Context, steps []step) error {
	if s.exec == nil {
		return nil
	}
	var errs []error
	stopped := make(map[string]bool)
	for _, st := range steps {
		agent := st.e.agent
		if st.to != Expired || stopped[agent] || s.awake[agent] > 0 {
			continue
		}
		stopped[agent] = true
		if err := s.exec.Terminate(ctx, agent, ReasonExpired); err != nil {
			errs = append(errs, fmt.Errorf("%w: %q at expiry: %w", ErrStopFailed, agent, err))
		}
	}
	return errors.Join(errs...)
}

// planAdvance builds the steps and events of the due timers without changing
// any state.
func (s *Scheduler) planAdvance(due []timer, now time.Time) ([]step, *events.Batch) {
	batch := s.seq.Batch(now)
	var steps []step
	planned := make(map[*entry]State)
	awake := make(map[string]int)
	stateOf := func(e *entry) State {
		if st, ok := planned[e]; ok {
			return st
		}
		return e.state
	}
	awakeOf := func(agent string) int { return s.awake[agent] + awake[agent] }
	for _, t := range due {
		e, from := t.e, stateOf(t.e)
		switch {
		case t.kind == activation && from == Scheduled:
			activated := batch.Add(e.agent, events.BundleActivated{BundleID: e.id, AgentID: e.agent})
			if awakeOf(e.agent) == 0 {
				batch.AddCaused(activated.ID, e.agent, events.AgentAwake{AgentID: e.agent})
			}
			awake[e.agent]++
			planned[e] = Active
			steps = append(steps, step{e, Active})
		case t.kind == expiry && from.held():
			expired := batch.Add(e.agent, events.BundleExpired{BundleID: e.id, AgentID: e.agent})
			if from == Active {
				if awake[e.agent]--; awakeOf(e.agent) == 0 {
					batch.AddCaused(expired.ID, e.agent, events.AgentDormant{AgentID: e.agent})
				}
			}
			planned[e] = Expired
			steps = append(steps, step{e, Expired})
		}
	}
	return steps, batch
}

// Next returns the earliest pending activation, expiry or reservation
// lapse, so a driver can sleep until it; ok is false if none is pending.
// The instant may be at or before now if Advance has not run since it
// passed.
func (s *Scheduler) Next() (at time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.timers.peek()
	at = t.at
	if len(s.spend.lapses) > 0 {
		if lapse := s.spend.lapses[0].expires; !ok || lapse.Before(at) {
			at, ok = lapse, true
		}
	}
	return at, ok
}
