package sched

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// meter is the usage of service-level resources consumed but not yet
// published, when Options.UsageBatch coalesces usage_recorded events.
type meter struct {
	batch   int      // uses per publish; 1 publishes every use
	uses    int      // uses pending
	pending []*entry // entries with usage pending, in the order first used
}

// add records that e consumed qty of resource without publishing it yet.
func (m *meter) add(e *entry, resource string, qty int64) {
	if e.unpublished == nil {
		e.unpublished = make(bundle.Quantities)
	}
	if len(e.unpublished) == 0 {
		m.pending = append(m.pending, e)
	}
	e.unpublished[resource] += qty
	m.uses++
}

// full reports whether the pending usage is due for publishing.
func (m *meter) full() bool { return m.uses >= m.batch }

// flush publishes the pending usage: one usage_recorded per bundle and
// resource, with the quantity consumed since the last one. If the publish
// fails, the usage stays pending. It runs with s.mu held, before every
// other event the scheduler publishes, so that usage is on the stream
// before whatever follows it.
func (s *Scheduler) flush(ctx context.Context, now time.Time) error {
	if len(s.meter.pending) == 0 {
		return nil
	}
	batch := s.seq.Batch(now)
	for _, e := range s.meter.pending {
		for _, resource := range e.unpublished.Names() {
			batch.Add(e.agent, events.UsageRecorded{BundleID: e.id, AgentID: e.agent, Resource: resource,
				Quantity: e.unpublished[resource], Used: e.used[resource], Limit: e.b.Quantities[resource]})
		}
	}
	if err := batch.Publish(ctx, s.pub); err != nil {
		return fmt.Errorf("sched: publish usage: %w", err)
	}
	for _, e := range s.meter.pending {
		clear(e.unpublished)
	}
	s.meter.pending, s.meter.uses = s.meter.pending[:0], 0
	return nil
}

// Flush publishes the usage that Use has consumed but, under
// Options.UsageBatch, not yet published.
func (s *Scheduler) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flush(ctx, s.clock.Now())
}
