package sched

import (
	"slices"
	"time"
)

// hold records e, just booked on the calendar, as held. An entry already
// Active is counted as awake; a Scheduled one gets an activation timer.
func (s *Scheduler) hold(e *entry) {
	s.entries[e.id] = e
	held := s.byAgent[e.agent]
	at, _ := slices.BinarySearchFunc(held, e, byEnd)
	s.byAgent[e.agent] = slices.Insert(held, at, e)
	s.held++
	if e.state == Active {
		s.awake[e.agent]++
	} else {
		s.timers.push(timer{at: e.b.Window.Start, kind: activation, e: e})
	}
	s.timers.push(timer{at: e.b.Window.End(), kind: expiry, e: e})
}

// activate moves e from Scheduled to Active.
func (s *Scheduler) activate(e *entry) {
	e.state = Active
	s.awake[e.agent]++
}

// finish moves the held entry e to the finished state to at now. An expired
// bundle leaves the calendar; one ended early keeps the part of its booking
// before now until the next Advance, and returns the capacity after now.
func (s *Scheduler) finish(e *entry, to State, now time.Time) {
	if e.state == Active {
		if s.awake[e.agent]--; s.awake[e.agent] == 0 {
			delete(s.awake, e.agent)
		}
	}
	e.state, e.ended = to, now
	s.unhold(e)
	if to == Expired {
		_ = s.cal.Cancel(e.id) // held entries are always booked
	} else {
		_ = s.cal.Truncate(e.id, now)
		if now.After(e.b.Window.Start) {
			s.tails[e.id] = struct{}{}
		}
	}
	s.remember(e)
	if len(s.tails) > s.max {
		s.pruneTails()
	}
	if len(s.timers) > 4*s.held+64 {
		s.timers.compact()
	}
}

// unhold removes e from its agent's held bundles.
func (s *Scheduler) unhold(e *entry) {
	s.held--
	rest := slices.DeleteFunc(s.byAgent[e.agent], func(x *entry) bool { return x == e })
	if len(rest) == 0 {
		delete(s.byAgent, e.agent)
	} else {
		s.byAgent[e.agent] = rest
	}
}

// remember keeps the finished entry e for Bundle, forgetting the oldest
// finished entry beyond MaxBundles.
func (s *Scheduler) remember(e *entry) {
	s.finished = append(s.finished, e)
	s.forget()
}

// forget forgets the oldest finished entries beyond MaxBundles.
func (s *Scheduler) forget() {
	for len(s.finished) > s.max {
		old := s.finished[0]
		s.finished[0] = nil
		s.finished = s.finished[1:]
		if s.entries[old.id] == old {
			delete(s.entries, old.id)
		}
	}
}

// pruneTails removes from the calendar the bookings that ended early. Each
// ended at or before now, so no capacity from now on changes.
func (s *Scheduler) pruneTails() {
	for id := range s.tails {
		_ = s.cal.Cancel(id)
	}
	clear(s.tails)
}
