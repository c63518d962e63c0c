package sched

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// Use consumes qty of the service-level resource from agent's bundles whose
// window contains now, whether or not Advance has activated them:
// earliest-ending bundle first (ties by bundle id), spanning several bundles
// if one has too little left. It publishes one usage_recorded per bundle
// drawn from.
//
// If the bundles have less than qty left in total, Use publishes
// service_denied, consumes nothing and returns a *DeniedError, which wraps
// ErrServiceDenied; its reason is ReasonNoActiveBundle when no bundle holding
// the resource is active now, else ReasonExceedsBundle. If that publish
// fails, the error also wraps the publisher's error.
//
// Other errors wrap bundle.ErrUnknownResource, ErrWrongEnforcement for an
// OS-level resource, ErrInvalidQuantity for qty <= 0, ErrInvalidID for an
// empty agent, or the publisher's error.
func (s *Scheduler) Use(ctx context.Context, agent, resource string, qty int64) error {
	if _, err := s.lookup(resource, bundle.ServiceLevel); err != nil {
		return err
	}
	if qty <= 0 {
		return fmt.Errorf("%w: use of %d %s", ErrInvalidQuantity, qty, resource)
	}
	if agent == "" {
		return fmt.Errorf("%w: empty agent", ErrInvalidID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var drawBuf [8]draw
	draws, denied := s.take(drawBuf[:0], agent, resource, qty, now)
	if denied != nil {
		return s.deny(ctx, now, denied)
	}
	if err := s.meterSpend(ctx, now, agent, resource, qty); err != nil {
		return err
	}
	if s.usage.size > 1 {
		return s.meterDraws(ctx, now, draws, resource)
	}
	batch := s.seq.Batch(now)
	for _, d := range draws {
		batch.Add(agent, events.UsageRecorded{BundleID: d.e.id, AgentID: agent, Resource: resource,
			Quantity: d.qty, Used: d.e.used(resource) + d.qty, Limit: d.e.b.Quantities[resource]})
	}
	if err := batch.Publish(ctx, s.pub); err != nil {
		return fmt.Errorf("sched: use: publish: %w", err)
	}
	for _, d := range draws {
		d.e.consume(resource, d.qty, false)
	}
	s.commitSpend(now, resource, qty)
	return nil
}

// meterDraws consumes draws at once and publishes their usage only when the
// meter's batch is full.
func (s *Scheduler) meterDraws(ctx context.Context, now time.Time, draws []draw, resource string) error {
	for _, d := range draws {
		d.e.consume(resource, d.qty, true)
		s.usage.add(d.e)
		s.commitUnpublished(resource, d.qty)
	}
	if !s.usage.full() {
		return nil
	}
	if err := s.flush(ctx, now); err != nil {
		return fmt.Errorf("%w: %w", ErrUsageUnpublished, err)
	}
	return nil
}

// draw is a quantity to consume from one bundle.
type draw struct {
	e   *entry
	qty int64
}

// take plans drawing qty of resource from agent's bundles whose window
// contains now, earliest-ending first (ties by bundle id), spanning several
// bundles if one has too little left, appending the draws to buf. If the
// bundles hold less than qty in all, it returns the denial instead.
func (s *Scheduler) take(buf []draw, agent, resource string, qty int64, now time.Time) ([]draw, *DeniedError) {
	need, holders, available := qty, 0, int64(0)
	for _, e := range s.byAgent[agent] {
		m := e.meter(resource)
		if m == nil || !e.b.Window.Contains(now) {
			continue
		}
		holders++
		left := m.quantity - m.used
		available += left
		if d := min(left, need); d > 0 {
			buf = append(buf, draw{e, d})
			need -= d
		}
		if need == 0 {
			return buf, nil
		}
	}
	return nil, &DeniedError{Agent: agent, Resource: resource, Requested: qty, Available: available,
		Reason: denyReason(holders)}
}

// deny publishes service_denied for d and returns d.
func (s *Scheduler) deny(ctx context.Context, now time.Time, d *DeniedError) error {
	if err := s.flush(ctx, now); err != nil {
		return errors.Join(d, err)
	}
	batch := s.seq.Batch(now)
	batch.Add(d.Agent, events.ServiceDenied{AgentID: d.Agent, Resource: d.Resource,
		Requested: d.Requested, Available: d.Available, Reason: d.Reason})
	if err := batch.Publish(ctx, s.pub); err != nil {
		return errors.Join(d, fmt.Errorf("sched: use: publish service_denied: %w", err))
	}
	return d
}

func denyReason(holders int) string {
	if holders == 0 {
		return ReasonNoActiveBundle
	}
	return ReasonExceedsBundle
}
