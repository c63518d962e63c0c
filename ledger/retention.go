package ledger

import (
	"cmp"
	"slices"
	"time"
)

// forgetting is the queue of idempotency records to forget once
// Options.Retention has passed: transfer ids, and holds once closed, in the
// order they were done.
type forgetting struct {
	queue []forgetRecord
	head  int // queue[head:] are still to forget
}

// forgetRecord is a transfer id (hold false) or a closed hold's id (hold
// true), done at at.
type forgetRecord struct {
	at   time.Time
	id   string
	hold bool
}

// forgetLater queues id, a transfer id or (hold) a closed hold's, to be
// forgotten Retention after the write in progress.
func (l *Ledger) forgetLater(id string, hold bool) {
	if l.retention > 0 {
		l.forget.push(forgetRecord{at: l.at, id: id, hold: hold})
	}
}

// push appends r to the queue.
func (f *forgetting) push(r forgetRecord) {
	if f.head > 0 && f.head >= len(f.queue)/2 {
		// Reuse the front half once it is spent.
		n := copy(f.queue, f.queue[f.head:])
		clear(f.queue[n:])
		f.queue, f.head = f.queue[:n], 0
	}
	f.queue = append(f.queue, r)
}

// forgotten reports whether a record done (a transfer) or closed (a hold)
// at is past Retention now, by the ledger's clock: it no longer counts, so
// its id is free for a new operation whether or not forgetOld has dropped
// it yet. Restore sees the same, since its clock is the stream's.
func (l *Ledger) forgotten(at time.Time) bool {
	return l.retention > 0 && !l.now().Before(at.Add(l.retention))
}

// forgetOld forgets the records done Retention or longer before now: a
// transfer id, or a closed hold, may then be used again. Records that a
// rolled-back batch queued, or whose id was used again since, are skipped.
func (l *Ledger) forgetOld(now time.Time) {
	if l.retention <= 0 {
		return
	}
	cutoff := now.Add(-l.retention)
	f := &l.forget
	for f.head < len(f.queue) && !f.queue[f.head].at.After(cutoff) {
		r := f.queue[f.head]
		f.queue[f.head] = forgetRecord{}
		f.head++
		if r.hold {
			if h, ok := l.holds[r.id]; ok && h.state != holdOpen && h.closed.Equal(r.at) {
				delete(l.holds, r.id)
			}
		} else if m, ok := l.transfers.get(r.id); ok && m.at.Equal(r.at) {
			l.transfers.remove(r.id)
		}
	}
}

// requeue rebuilds the queue from the ledger's records, oldest first (ties
// by id), after a snapshot is restored.
func (l *Ledger) requeue() {
	if l.retention <= 0 {
		return
	}
	live := int(l.transfers.used) - len(l.transfers.free)
	rs := make([]forgetRecord, 0, live+len(l.holds))
	for m := range l.transfers.all() {
		rs = append(rs, forgetRecord{at: m.at, id: m.id})
	}
	for id, h := range l.holds {
		if h.state != holdOpen {
			rs = append(rs, forgetRecord{at: h.closed, id: id, hold: true})
		}
	}
	slices.SortFunc(rs, func(a, b forgetRecord) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	l.forget = forgetting{queue: rs}
}
