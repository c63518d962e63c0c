package ledger

import (
	"container/heap"
	"context"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"
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
	if len(l.expiries) == 0 {
		return time.Time{}, false
	}
	return l.expiries[0].deadline, true
}

// expiryQueue is a min-heap of the open holds with a deadline, by deadline
// then hold id. Each hold knows its index, so that a capture or release
// removes it at once.
type expiryQueue []*hold

func (q expiryQueue) Len() int { return len(q) }

func (q expiryQueue) Less(i, j int) bool { return expiresBefore(q[i], q[j]) }

func (q expiryQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

// Push implements heap.Interface; use push.
func (q *expiryQueue) Push(x any) {
	h := x.(*hold)
	h.index = len(*q)
	*q = append(*q, h)
}

// Pop implements heap.Interface; use remove.
func (q *expiryQueue) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	h.index = -1
	return h
}

// push adds the hold h.
func (q *expiryQueue) push(h *hold) { heap.Push(q, h) }

// remove takes h out of the queue if it is in it.
func (q *expiryQueue) remove(h *hold) {
	if h.index >= 0 {
		heap.Remove(q, h.index)
	}
}

// due returns the holds whose deadline is at or before now, in expiry order,
// without removing them.
func (q expiryQueue) due(now time.Time) []*hold {
	var out []*hold
	var walk func(i int)
	walk = func(i int) {
		if i >= len(q) || q[i].deadline.After(now) {
			return
		}
		out = append(out, q[i])
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	slices.SortFunc(out, func(a, b *hold) int {
		switch {
		case expiresBefore(a, b):
			return -1
		case expiresBefore(b, a):
			return 1
		}
		return 0
	})
	return out
}

// expiresBefore orders holds by deadline, then id.
func expiresBefore(a, b *hold) bool {
	if !a.deadline.Equal(b.deadline) {
		return a.deadline.Before(b.deadline)
	}
	return a.id < b.id
}
