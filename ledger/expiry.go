package ledger

import (
	"cmp"
	"context"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/internal/minheap"
)

// Expire releases every open hold whose deadline is at or before the
// clock's time, in order of deadline, then hold id, each with a
// hold_released event of reason ReasonExpired. All of them are published in
// one batch: either every due hold is released or, if the publish fails,
// none is. With no hold due it does nothing and returns nil.
//
// The ledger runs no timer: a hold past its deadline stays open, and can
// still be captured or released, until Expire runs. Call it when the clock
// reaches NextExpiry, or on every tick of the market.
func (l *Ledger) Expire(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().UTC().Round(0)
	due := l.expiries.due(now)
	if len(due) == 0 {
		return nil
	}
	b := l.batch(now)
	applies := make([]func(), 0, len(due))
	pending := make(map[string]*apd.Decimal) // of the accounts, as the batch goes
	for _, h := range due {
		before, ok := pending[h.account]
		if !ok {
			before = l.accounts[h.account].pending
		}
		apply, after, err := l.release(b, h, ReasonExpired, before)
		if err != nil {
			return err
		}
		pending[h.account] = after
		applies = append(applies, apply)
	}
	return l.commit(ctx, b, func() {
		for _, apply := range applies {
			apply()
		}
	})
}

// NextExpiry returns the earliest deadline of the open holds that have one,
// and false if none has.
func (l *Ledger) NextExpiry() (time.Time, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	h, ok := minheap.Min(l.expiries)
	if !ok {
		return time.Time{}, false
	}
	return h.deadline, true
}

// expiryQueue is a min-heap of the open holds with a deadline, by deadline
// then hold id. Each hold knows its index, so that a capture or release
// removes it at once.
type expiryQueue []*hold

// push adds the hold h.
func (q *expiryQueue) push(h *hold) { minheap.Push(q, byDeadline{}, h) }

// remove takes h out of the queue if it is in it.
func (q *expiryQueue) remove(h *hold) { minheap.Remove(q, byDeadline{}, h) }

// due returns the holds whose deadline is at or before now, in expiry order,
// without removing them.
func (q expiryQueue) due(now time.Time) []*hold {
	return minheap.Head(q, byDeadline{}, func(h *hold) bool { return !h.deadline.After(now) })
}

// byDeadline orders holds by deadline, then id, and keeps their index in
// the expiry queue.
type byDeadline struct{}

func (byDeadline) Compare(a, b *hold) int {
	if c := a.deadline.Compare(b.deadline); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

func (byDeadline) Index(h *hold) int       { return h.index }
func (byDeadline) SetIndex(h *hold, i int) { h.index = i }
