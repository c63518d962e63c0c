package process

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/scarcitylabs/scarcity/sched"
)

var _ sched.Executor = (*Runner)(nil)

// Runner starts, limits, meters and kills the operating-system processes
// of agents. It implements sched.Executor. An agent may have several
// processes at once. A Runner is safe for concurrent use.
type Runner struct {
	opts Options

	mu     sync.Mutex
	agents map[string]*agentProcs
	live   int // live processes across agents
}

// agentProcs are an agent's live processes and the totals of its ended
// ones.
type agentProcs struct {
	live      map[*Process]struct{}
	ended     int
	endedCPU  time.Duration
	endedPeak int64
}

// New returns a Runner configured by opts.
func New(opts Options) (*Runner, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Runner{opts: opts, agents: make(map[string]*agentProcs)}, nil
}

// Start starts spec's program for agent in a new process group, with
// spec's limits in force from its first instruction, and returns it. ctx
// bounds only the start: the process outlives it. Errors wrap
// ErrInvalidSpec, ErrTooManyProcesses, ErrStart or ErrUnsupported.
func (r *Runner) Start(ctx context.Context, agent string, spec Spec) (*Process, error) {
	if !supported {
		return nil, ErrUnsupported
	}
	if agent == "" {
		return nil, fmt.Errorf("%w: empty agent", ErrInvalidSpec)
	}
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	path, err := lookPath(spec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	p := &Process{agent: agent, spec: spec, stderr: &oomScanner{w: spec.Stderr}, done: make(chan struct{})}
	if p.cmd, err = newCmd(r.opts, spec, path, p.stderr); err != nil {
		return nil, err
	}
	var wait time.Duration
	if !spec.Deadline.IsZero() {
		if wait = r.opts.Clock.Until(spec.Deadline); wait <= 0 {
			return nil, fmt.Errorf("%w: deadline %v has passed", ErrInvalidSpec, spec.Deadline)
		}
	}
	if err := r.launch(p); err != nil {
		return nil, err
	}
	if wait > 0 {
		p.mu.Lock()
		p.deadline = r.opts.Clock.AfterFunc(wait, func() { _ = r.stop(context.Background(), []*Process{p}, ReasonDeadline) })
		p.mu.Unlock()
	}
	go r.watch(p)
	return p, nil
}

// lookPath resolves spec.Path: a name through PATH, a relative path against
// spec.Dir.
func lookPath(spec Spec) (string, error) {
	path := spec.Path
	if strings.ContainsRune(path, filepath.Separator) && !filepath.IsAbs(path) && spec.Dir != "" {
		path = filepath.Join(spec.Dir, path)
	}
	path, err := exec.LookPath(path)
	if err != nil {
		return "", err
	}
	return filepath.Abs(path)
}

// launch starts p's command and registers p as live for its agent.
func (r *Runner) launch(p *Process) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live >= r.opts.MaxProcesses {
		return fmt.Errorf("%w: %d live", ErrTooManyProcesses, r.live)
	}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStart, p.spec.Path, err)
	}
	p.pid = p.cmd.Process.Pid
	a := r.agents[p.agent]
	if a == nil {
		a = &agentProcs{live: make(map[*Process]struct{})}
		r.agents[p.agent] = a
	}
	a.live[p] = struct{}{}
	r.live++
	return nil
}

// watch waits for p to exit, reaps it and records how it ended.
func (r *Runner) watch(p *Process) {
	waitExited(p.pid)
	p.markWaitable()
	_ = p.cmd.Wait() // the exit status is in ProcessState
	e := exitOf(p, p.cmd.ProcessState)
	r.mu.Lock()
	a := r.agents[p.agent]
	delete(a.live, p)
	r.live--
	a.ended++
	a.endedCPU += e.CPU
	a.endedPeak = max(a.endedPeak, e.PeakResident)
	r.mu.Unlock()
	p.finish(e)
}

// Terminate kills every live process of agent and waits until they are
// reaped. It sends SIGKILL to each process group, after SIGTERM and up to
// Options.Grace for them to exit. An agent with nothing running, or unknown,
// is not an error. The signals are sent whatever ctx; if ctx ends before
// every process is reaped, or a signal cannot be sent, the error wraps
// ErrKill. Processes started during Terminate are not affected.
func (r *Runner) Terminate(ctx context.Context, agent, reason string) error {
	return r.stop(ctx, r.liveOf(agent), reason)
}

// liveOf returns agent's live processes.
func (r *Runner) liveOf(agent string) []*Process {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.agents[agent]
	if a == nil {
		return nil
	}
	procs := make([]*Process, 0, len(a.live))
	for p := range a.live {
		procs = append(procs, p)
	}
	return procs
}

// stop ends procs: SIGTERM and the grace period if configured, then SIGKILL,
// then waits for them to be reaped.
func (r *Runner) stop(ctx context.Context, procs []*Process, reason string) error {
	if len(procs) == 0 {
		return nil
	}
	if r.opts.Grace > 0 {
		for _, p := range procs {
			_ = p.signal(syscall.SIGTERM, reason) // SIGKILL follows
		}
		grace := r.opts.Clock.Timer(r.opts.Grace)
		waitAll(ctx, procs, grace.C)
		grace.Stop()
	}
	var errs []error
	for _, p := range procs {
		if err := p.signal(syscall.SIGKILL, reason); err != nil {
			errs = append(errs, fmt.Errorf("pid %d: %w", p.pid, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: agent %q: %w", ErrKill, procs[0].agent, errors.Join(errs...))
	}
	if n := waitAll(ctx, procs, nil); n > 0 {
		return fmt.Errorf("%w: agent %q: %d processes not reaped: %w", ErrKill, procs[0].agent, n, ctx.Err())
	}
	return nil
}

// waitAll waits until every process in procs is done, ctx ends or stop
// fires, and returns how many are not done.
func waitAll(ctx context.Context, procs []*Process, stop <-chan time.Time) int {
	for i, p := range procs {
		select {
		case <-p.done:
		case <-ctx.Done():
			return countRunning(procs[i:])
		case <-stop:
			return countRunning(procs[i:])
		}
	}
	return 0
}

// countRunning returns how many of procs are not done.
func countRunning(procs []*Process) int {
	n := 0
	for _, p := range procs {
		select {
		case <-p.done:
		default:
			n++
		}
	}
	return n
}

// Forget drops what the Runner remembers of agent's ended processes. It
// fails with ErrStillRunning if agent has live processes and with
// ErrUnknownAgent if it has none remembered.
func (r *Runner) Forget(agent string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.agents[agent]
	switch {
	case a == nil:
		return fmt.Errorf("%w: %q", ErrUnknownAgent, agent)
	case len(a.live) > 0:
		return fmt.Errorf("%w: %q has %d live processes", ErrStillRunning, agent, len(a.live))
	}
	delete(r.agents, agent)
	return nil
}
