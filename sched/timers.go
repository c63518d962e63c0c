package sched

import (
	"cmp"
	"time"

	"github.com/scarcitylabs/scarcity/internal/minheap"
)

// timerKind says what a timer does when it is due.
type timerKind int

const (
	expiry timerKind = iota
	activation
)

// timer is a pending activation or expiry of an entry.
type timer struct {
	at   time.Time
	kind timerKind
	e    *entry
}

// stale reports whether the timer no longer applies to its entry.
func (t timer) stale() bool {
	if t.kind == activation {
		return t.e.state != Scheduled
	}
	return !t.e.state.held()
}

// timerHeap is a min-heap of timers ordered by time, then bundle id, then
// kind. Timers of entries that ended early stay until they are due or
// compacted away: none is removed by key, so none records its index.
type timerHeap []timer

func (h *timerHeap) push(t timer) { minheap.Push(h, byTime{}, t) }

// popDue removes and returns, in order, the timers due at or before now.
func (h *timerHeap) popDue(now time.Time) []timer {
	var due []timer
	for len(*h) > 0 && !(*h)[0].at.After(now) {
		t, _ := minheap.Pop(h, byTime{})
		due = append(due, t)
	}
	return due
}

// peek returns the earliest timer that is not stale, dropping stale ones
// before it.
func (h *timerHeap) peek() (timer, bool) {
	for len(*h) > 0 {
		if t := (*h)[0]; !t.stale() {
			return t, true
		}
		minheap.Pop(h, byTime{})
	}
	return timer{}, false
}

// compact drops every stale timer.
func (h *timerHeap) compact() {
	live := (*h)[:0]
	for _, t := range *h {
		if !t.stale() {
			live = append(live, t)
		}
	}
	clear((*h)[len(live):])
	*h = live
	minheap.Init(*h, byTime{})
}

// byTime orders timers by time, then bundle id, then kind.
type byTime struct{}

func (byTime) Compare(a, b timer) int {
	if c := a.at.Compare(b.at); c != 0 {
		return c
	}
	if c := cmp.Compare(a.e.id, b.e.id); c != 0 {
		return c
	}
	return cmp.Compare(a.kind, b.kind)
}

func (byTime) Index(timer) int     { return -1 }
func (byTime) SetIndex(timer, int) {}
