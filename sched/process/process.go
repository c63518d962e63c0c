package process

import (
	"context"
	"os/exec"
	"sync"
	"syscall"

	"github.com/benbjohnson/clock"
)

// Process is one process a Runner started for an agent. Its methods are
// safe for concurrent use.
type Process struct {
	agent  string
	spec   Spec
	cmd    *exec.Cmd
	pid    int
	stderr *oomScanner
	done   chan struct{}

	mu       sync.Mutex
	deadline *clock.Timer // stopped when the process ends
	waitable bool         // exited: the pid may be reaped, send nothing more
	killedBy string       // reason of the Runner's first signal, "" if none
	exit     Exit         // set before done is closed
}

// PID returns the process id, which is also its process group id.
func (p *Process) PID() int { return p.pid }

// Agent returns the agent the process runs for.
func (p *Process) Agent() string { return p.agent }

// Done is closed once the process has ended and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exit returns how the process ended; ok is false while it runs.
func (p *Process) Exit() (e Exit, ok bool) {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.exit, true
	default:
		return Exit{}, false
	}
}

// Wait waits until the process has ended and been reaped and returns how it
// ended, or ctx's error if ctx ends first.
func (p *Process) Wait(ctx context.Context) (Exit, error) {
	select {
	case <-p.done:
		e, _ := p.Exit()
		return e, nil
	case <-ctx.Done():
		return Exit{}, ctx.Err()
	}
}

// signal sends sig to the process group unless the process has already
// exited, remembering reason as the cause of its end. Holding p.mu while the
// process is known not to be waitable guarantees the pid is not yet reaped,
// so the signal cannot reach a recycled pid.
func (p *Process) signal(sig syscall.Signal, reason string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waitable {
		return nil
	}
	if p.killedBy == "" {
		p.killedBy = reason
	}
	return signalGroup(p.pid, sig)
}

// markWaitable records that the process has exited and may now be reaped.
func (p *Process) markWaitable() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waitable = true
	if p.deadline != nil {
		p.deadline.Stop()
	}
}

// finish records e and closes done.
func (p *Process) finish(e Exit) {
	p.mu.Lock()
	p.exit = e
	p.mu.Unlock()
	close(p.done)
}

// terminatedBy returns the reason the Runner signalled the process, or "".
func (p *Process) terminatedBy() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killedBy
}
