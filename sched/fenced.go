package sched

// Fenced reports whether a publish of the scheduler's was in doubt
// (events.ErrInDoubt): the scheduler then refuses every change with
// events.ErrFenced, and must be rebuilt from its stream (Restore).
func (s *Scheduler) Fenced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq.Fenced()
}
