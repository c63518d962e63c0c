package scarcity

// Fenced reports whether a publish of one of the market's writers (its
// ledger, scheduler, market or agent and judge events) was in doubt
// (events.ErrInDoubt): that writer then refuses every change with
// events.ErrFenced, and the market must be restored from its stream
// (Restore) to go on. A supervisor can poll it, or watch for those errors.
func (m *Market) Fenced() bool {
	if m.ledger.Fenced() || m.sched.Fenced() || m.emit.fenced() {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq.Fenced()
}

// fenced reports whether the agent or judge sequencer is fenced.
func (e *emitState) fenced() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.agent.Fenced() || e.judge.Fenced()
}
