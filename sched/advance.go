package sched

import (
	"context"
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
// idempotent when nothing is due. If the publish fails, nothing changes.
func (s *Scheduler) Advance(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	due := s.timers.popDue(now)
	steps, batch := s.planAdvance(due, now)
	if err := batch.Publish(ctx, s.pub); err != nil {
		for _, t := range due {
			s.timers.push(t)
		}
		return fmt.Errorf("sched: advance: publish: %w", err)
	}
	for _, st := range steps {
		if st.to == Active {
			s.activate(st.e)
		} else {
			s.finish(st.e, st.to, now)
		}
	}
	s.pruneTails()
	return nil
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

// Next returns the earliest pending activation or expiry, so a driver can
// sleep until it; ok is false if none is pending. The instant may be at or
// before now if Advance has not run since it passed.
func (s *Scheduler) Next() (at time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.timers.peek()
	return t.at, ok
}
