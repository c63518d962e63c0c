package ledger

import (
	"context"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// writeBatch is the batch of events of one write. The ledger keeps one and
// resets it for every write.
type writeBatch struct {
	*events.Batch
	text []byte       // scratch for the texts of one event
	want *expectation // the stream being replayed, if any
}

// batch starts the events of a change at now, numbered after the ledger's
// last event. It reuses the ledger's batch, so it runs with l.mu held and
// one change at a time.
func (l *Ledger) batch(now time.Time) *writeBatch {
	if l.cb == nil {
		l.cb = &writeBatch{Batch: l.seq.Batch(now)}
	}
	l.cb.Reset(now)
	l.cb.want = l.want
	l.at = now
	return l.cb
}

// add appends an event about subject carrying p and returns it.
func (b *writeBatch) add(subject string, p events.Payload) events.Event {
	return b.Add(subject, p)
}

// stage is the batch an operation adds its events to, and the batch's time.
type stage struct {
	b   *writeBatch
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
