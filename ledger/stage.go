package ledger

import (
	"context"
	"time"
)

// stage is the batch an operation adds its events to, and the batch's time.
type stage struct {
	b   *chainBatch
	now time.Time
}

// stage starts the events of a change at the clock's time.
func (l *Ledger) stage() stage {
	now := l.now().UTC().Round(0)
	return stage{b: l.batch(now), now: now}
}

// change is a validated operation whose events are in its stage: apply
// makes it, once they are published. A zero change (nil apply) has no
// effect: a retry. It names what apply touches, so that a batch can undo it.
type change struct {
	accounts [2]*account
	hold     *hold
	newHold  bool   // apply adds hold
	transfer string // apply records this transfer id
	apply    func()
}

// finish publishes the stage of one operation and applies its change.
func (l *Ledger) finish(ctx context.Context, s stage, ch change, err error) error {
	if err != nil || ch.apply == nil {
		return err
	}
	return l.commit(ctx, s.b, ch.apply)
}
