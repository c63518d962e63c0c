package sched

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Report records a sample of an OS-level resource: the level agent uses now,
// such as a CPU percentage or MiB of memory. The envelope is the sum of the
// resource's quantity over agent's bundles whose window contains now.
//
// Within the envelope, Report publishes usage_recorded against the first of
// those bundles that holds the resource (the earliest-ending, else the first
// active one), with Used the sample and Limit the envelope.
//
// Beyond it, or when no bundle of agent is active now, the agent is
// terminated: Executor.Terminate(ctx, agent, "exceeds_bundle") is called,
// then agent_terminated is published with bundle_released (reason
// "terminated") for each of the agent's current and future bundles, whose
// capacity from now on returns to the calendar, and agent_dormant if the
// agent was awake. Report then returns an error wrapping ErrTerminated. If
// the executor fails, Report returns its error and changes nothing; if the
// publish fails after the executor succeeded, Report returns the publisher's
// error and the scheduler still holds the bundles.
//
// Other errors wrap bundle.ErrUnknownResource, ErrWrongEnforcement for a
// service-level resource, ErrInvalidQuantity for a negative level, or
// ErrInvalidID for an empty agent.
func (s *Scheduler) Report(ctx context.Context, agent, resource string, level int64) error {
	if _, err := s.lookup(resource, bundle.OSLevel); err != nil {
		return err
	}
	if level < 0 {
		return fmt.Errorf("%w: sample of %d %s", ErrInvalidQuantity, level, resource)
	}
	if agent == "" {
		return fmt.Errorf("%w: empty agent", ErrInvalidID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if err := s.flush(ctx, now); err != nil {
		return err
	}
	current := s.current(nil, agent, now)
	var envelope int64
	for _, e := range current {
		envelope += e.b.Quantities[resource]
	}
	if len(current) == 0 || level > envelope {
		return Join(s.terminate(ctx, now, current, agent, resource, level, envelope))
	}
	first := current[0]
	if h := firstHolding(current, resource); h != nil {
		first = h
	}
	batch := s.seq.Batch(now)
	batch.Add(agent, events.UsageRecorded{BundleID: first.id, AgentID: agent, Resource: resource,
		Quantity: level, Used: level, Limit: envelope})
	if err := batch.Publish(ctx, s.pub); err != nil {
		return fmt.Errorf("sched: report: publish: %w", err)
	}
	return nil
}

// terminate stops agent for a sample of level beyond envelope and ends its
// held bundles. current are its bundles active now, earliest-ending first.
func (s *Scheduler) terminate(ctx context.Context, now time.Time, current []*entry, agent, resource string, level, envelope int64) error {
	if s.exec != nil {
		if err := s.exec.Terminate(ctx, agent, ReasonExceedsBundle); err != nil {
			return fmt.Errorf("sched: terminate %q: %w", agent, err)
		}
	}
	var bundleID string
	if h := firstHolding(current, resource); h != nil {
		bundleID = h.id
	}
	batch := s.seq.Batch(now)
	terminated := batch.Add(agent, events.AgentTerminated{AgentID: agent, BundleID: bundleID,
		Reason: ReasonExceedsBundle, Resource: resource, Used: level, Limit: envelope})
	held := s.heldBy(agent)
	for _, e := range held {
		batch.AddCaused(terminated.ID, agent, events.BundleReleased{BundleID: e.id, AgentID: agent, Reason: ReasonTerminated})
	}
	if s.awake[agent] > 0 {
		batch.AddCaused(terminated.ID, agent, events.AgentDormant{AgentID: agent})
	}
	ended := s.planEnded(batch, held...)
	if err := batch.Publish(ctx, s.pub); err != nil {
		return fmt.Errorf("sched: terminate %q: publish: %w", agent, err)
	}
	var settleErrs []error
	for _, e := range held {
		s.finish(e, Terminated, now)
		settleErrs = append(settleErrs, s.settle(ctx, e, Terminated, now))
	}
	s.applyLapses(ended)
	if err := errors.Join(settleErrs...); err != nil {
		return fmt.Errorf("%w: agent %q: %w", ErrTerminated, agent, err)
	}
	return fmt.Errorf("%w: agent %q sampled %d %s, envelope %d", ErrTerminated, agent, level, resource, envelope)
}

// heldBy returns a copy of agent's held bundles, earliest-ending first.
func (s *Scheduler) heldBy(agent string) []*entry {
	return slices.Clone(s.byAgent[agent])
}
