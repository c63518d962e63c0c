package sched

import (
	"context"
	"fmt"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// Release ends bundle id early at now: it publishes bundle_released with
// reason "released", and agent_dormant if it was the agent's last active
// bundle, and returns the calendar's capacity after now. It reports the
// bundle's unused time in whole seconds (rounded down, from the later of
// now and the window's start to its end) and its total seconds, from which
// a caller can refund the unused fraction. A leased bundle pays for the
// time used and its hold returns the rest (see Lease); if the Settler
// fails, the bundle is released all the same and the error wraps
// ErrSettlementPending: Advance retries the payment.
//
// Errors wrap ErrUnknownBundle, ErrWindowEnded for a bundle already finished
// or whose window has ended, or the publisher's error.
func (s *Scheduler) Release(ctx context.Context, id string) (unused, total int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if err := s.flush(ctx, now); err != nil {
		return 0, 0, err
	}
	e, ok := s.entries[id]
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q", ErrUnknownBundle, id)
	}
	if !e.state.held() {
		return 0, 0, fmt.Errorf("%w: bundle %q already %s", ErrWindowEnded, id, e.state)
	}
	end := e.b.Window.End()
	if !end.After(now) {
		return 0, 0, fmt.Errorf("%w: bundle %q ended at %v, now is %v", ErrWindowEnded, id, end, now)
	}
	batch := s.seq.Batch(now)
	released := batch.Add(e.agent, events.BundleReleased{BundleID: id, AgentID: e.agent, Reason: ReasonReleased})
	if e.state == Active && s.awake[e.agent] == 1 {
		batch.AddCaused(released.ID, e.agent, events.AgentDormant{AgentID: e.agent})
	}
	ended := s.planEnded(batch, e)
	if err := batch.Publish(ctx, s.pub); err != nil {
		return 0, 0, fmt.Errorf("sched: release %q: publish: %w", id, err)
	}
	from := now
	if e.b.Window.Start.After(now) {
		from = e.b.Window.Start
	}
	s.finish(e, Released, now)
	s.applyLapses(ended)
	return int64(end.Sub(from) / time.Second), e.b.Window.Seconds(), Join(s.settle(ctx, e, Released, now))
}
