package scarcity

import (
	"context"
	"time"
)

// Tick brings the market up to its clock: due bundle activations and
// expiries are processed, and a clearing round runs if one is due. Drive a
// market with Tick from a test on a mock clock, or let Run do it.
func (m *Market) Tick(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.sched.Advance(ctx); err != nil {
		return err
	}
	now := m.cfg.Clock.Now()
	if now.Before(m.nextClear) {
		return nil
	}
	for !now.Before(m.nextClear) {
		m.nextClear = m.nextClear.Add(m.cfg.ClearEvery)
	}
	_, err := m.clear(ctx)
	return err
}

// Next returns the next instant at which Tick has work: the next clearing
// round or the next bundle activation or expiry.
func (m *Market) Next() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := m.nextClear
	if t, ok := m.sched.Next(); ok && t.Before(next) {
		next = t
	}
	return next
}

// Run ticks the market at every instant Next names, on the market's clock,
// until ctx is done or a tick fails. It returns the tick's error, or nil
// when ctx is done. Only one Run may be active on a market at a time.
func (m *Market) Run(ctx context.Context) error {
	for {
		timer := m.cfg.Clock.Timer(m.Next().Sub(m.cfg.Clock.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-m.wake:
			timer.Stop()
			continue
		case <-timer.C:
		}
		if err := m.Tick(ctx); err != nil {
			return err
		}
	}
}

// signal wakes Run to recompute Next.
func (m *Market) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}
