package sched

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// usageBatch is the usage of service-level resources consumed but not yet
// published, when Options.UsageBatch coalesces usage_recorded events.
type usageBatch struct {
	size    int      // uses per publish; 1 publishes every use
	uses    int      // uses pending
	pending []*entry // entries with usage pending, in the order first used
}

// add records one use that e consumed without publishing it yet (its
// meters hold the quantities).
func (u *usageBatch) add(e *entry) {
	if !e.unpublished {
		e.unpublished = true
		u.pending = append(u.pending, e)
	}
	u.uses++
}

// full reports whether the pending usage is due for publishing.
func (u *usageBatch) full() bool { return u.uses >= u.size }

// flush publishes the pending usage: one usage_recorded per bundle and
// resource, with the quantity consumed since the last one, and records the
// spend of it in the spend window at now, the time the stream gives it. If
// the publish fails, the usage stays pending. It runs with s.mu held,
// before every other event the scheduler publishes, so that usage is on
// the stream before whatever follows it.
func (s *Scheduler) flush(ctx context.Context, now time.Time) error {
	if len(s.usage.pending) == 0 {
		return nil
	}
	batch := s.seq.Batch(now)
	for _, e := range s.usage.pending {
		for _, m := range e.meters {
			if m.unpublished != 0 {
				batch.Add(e.agent, events.UsageRecorded{BundleID: e.id, AgentID: e.agent, Resource: m.resource,
					Quantity: m.unpublished, Used: m.used, Limit: m.quantity})
			}
		}
	}
	if err := batch.Publish(ctx, s.pub); err != nil {
		return fmt.Errorf("sched: publish usage: %w", err)
	}
	for _, e := range s.usage.pending {
		e.unpublished = false
		for i := range e.meters {
			e.meters[i].unpublished = 0
		}
	}
	s.usage.pending, s.usage.uses = s.usage.pending[:0], 0
	s.spend.meter.published(now)
	return nil
}

// Flush publishes the usage that Use has consumed but, under
// Options.UsageBatch, not yet published.
func (s *Scheduler) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flush(ctx, s.clock.Now())
}
