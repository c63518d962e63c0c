package sched

import "context"

// Executor stops an agent's work. A real one kills the agent's processes;
// tests record the calls. Terminate is called with the scheduler's mutex
// held, before any event of the termination is published: if it fails, the
// termination does not happen.
type Executor interface {
	Terminate(ctx context.Context, agentID, reason string) error
}
