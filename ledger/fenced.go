package ledger

// Fenced reports whether a publish of the ledger's was in doubt
// (events.ErrInDoubt): the ledger then refuses every change with
// events.ErrFenced, and must be rebuilt from its stream (Restore).
func (l *Ledger) Fenced() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.seq.Fenced()
}
