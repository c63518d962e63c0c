package sched

import (
	"cmp"
	"slices"
	"time"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/minheap"
)

// lapseHeap is a min-heap of the outstanding reservations ordered by
// expiry, then id. A reservation leaves it as soon as it ends.
type lapseHeap []*reservation

func (h *lapseHeap) push(r *reservation) { minheap.Push(h, byLapse{}, r) }

func (h *lapseHeap) remove(r *reservation) { minheap.Remove(h, byLapse{}, r) }

// due returns, in expiry then id order, the reservations expired at or
// before now, without changing the heap: only the due part of the heap is
// visited.
func (h lapseHeap) due(now time.Time) []*reservation {
	return minheap.Head(h, byLapse{}, func(r *reservation) bool { return !r.expires.After(now) })
}

// byLapse orders the lapse heap by lapseOrder and keeps each reservation's
// index in it.
type byLapse struct{}

func (byLapse) Compare(a, b *reservation) int  { return lapseOrder(a, b) }
func (byLapse) Index(r *reservation) int       { return r.index }
func (byLapse) SetIndex(r *reservation, i int) { r.index = i }

// lapseOrder orders reservations by expiry, then id.
func lapseOrder(a, b *reservation) int {
	if c := a.expires.Compare(b.expires); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// planLapses adds to batch a reservation_released event for each
// reservation expired at or before now, and returns them for applyLapses.
// It changes no state, so that Advance can drop the batch if its publish
// fails.
func (s *Scheduler) planLapses(batch *events.Batch, now time.Time) []*reservation {
	lapsed := s.spend.lapses.due(now)
	for _, r := range lapsed {
		batch.Add(r.agent, r.released(0, ReasonLapsed))
	}
	return lapsed
}

// planEnded adds to batch a reservation_released event, with reason
// ReasonBundleEnded, for each outstanding reservation that draws from one
// of the ended bundles, and returns them for applyLapses. It changes no
// state.
func (s *Scheduler) planEnded(batch *events.Batch, ended ...*entry) []*reservation {
	if len(s.spend.reservations) == 0 {
		return nil
	}
	var out []*reservation
	for _, r := range s.spend.reservations {
		if slices.ContainsFunc(r.holds, func(d draw) bool { return slices.Contains(ended, d.e) }) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, lapseOrder)
	for _, r := range out {
		batch.Add(r.agent, r.released(0, ReasonBundleEnded))
	}
	return out
}

// applyLapses returns what the lapsed reservations hold, once their events
// are published.
func (s *Scheduler) applyLapses(lapsed []*reservation) {
	for _, r := range lapsed {
		s.endReservation(r, nil)
	}
}

// ReservationAgent returns the agent of the outstanding reservation id;
// ok is false if there is none.
func (s *Scheduler) ReservationAgent(id string) (agent string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.spend.reservations[id]
	if !ok {
		return "", false
	}
	return r.agent, true
}

// NextLapse returns the earliest expiry of an outstanding reservation, so
// a driver can call Advance then; ok is false if none is outstanding.
func (s *Scheduler) NextLapse() (at time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := minheap.Min(s.spend.lapses)
	if !ok {
		return time.Time{}, false
	}
	return r.expires, true
}
