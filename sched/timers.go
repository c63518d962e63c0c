package sched

import (
	"cmp"
	"container/heap"
	"time"
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

// timerHeap is a min-heap of timers ordered by time, then bundle id. Timers
// of entries that ended early stay until they are due or compacted away.
type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if c := a.at.Compare(b.at); c != 0 {
		return c < 0
	}
	if c := cmp.Compare(a.e.id, b.e.id); c != 0 {
		return c < 0
	}
	return a.kind < b.kind
}

func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *timerHeap) Push(x any) { *h = append(*h, x.(timer)) }

func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = timer{}
	*h = old[:len(old)-1]
	return t
}

func (h *timerHeap) push(t timer) { heap.Push(h, t) }

// popDue removes and returns, in order, the timers due at or before now.
func (h *timerHeap) popDue(now time.Time) []timer {
	var due []timer
	for len(*h) > 0 && !(*h)[0].at.After(now) {
		due = append(due, heap.Pop(h).(timer))
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
		heap.Pop(h)
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
	heap.Init(h)
}
