package scarcity

import (
	"context"
	"errors"
	"time"

	"github.com/scarcitylabs/scarcity/sched"
)

// Tick brings the market up to its clock, as one command: due bundle
// activations and expiries are processed, and a clearing round runs if one
// is due. Drive a market with Tick from a test on a mock clock, or let Run
// do it. An error for which sched.Aftermath holds tells of a payment or a
// stop that failed after the bundles moved on; the market carries on and
// retries the payment on the next Tick.
func (m *Market) Tick(ctx context.Context) error {
	err := m.write(ctx, func() error { return m.tick(ctx) })
	m.signal()
	return err
}

func (m *Market) tick(ctx context.Context) error {
	now := m.cfg.Clock.Now()
	m.book.forgetOld(now)
	advanced := m.sched.Advance(ctx)
	if advanced != nil && !sched.Aftermath(advanced) {
		return advanced
	}
	if now.Before(m.nextClear) {
		return advanced
	}
	for !now.Before(m.nextClear) {
		m.nextClear = m.nextClear.Add(m.cfg.ClearEvery)
	}
	_, err := m.clear(ctx)
	return errors.Join(advanced, err)
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
		if err := m.Tick(ctx); err != nil && !sched.Aftermath(err) {
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
