package process

import (
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
)

// DefaultMaxProcesses is the number of live processes a Runner holds at once
// when Options.MaxProcesses is zero.
const DefaultMaxProcesses = 1024

// DefaultShell runs the wrapper that applies a Spec's limits.
const DefaultShell = "/bin/sh"

// DefaultWaitDelay is how long a Runner waits, after a process has exited,
// for its output pipes to close when Options.WaitDelay is zero.
const DefaultWaitDelay = time.Second

// Options configures a Runner. The zero value means the defaults.
type Options struct {
	// Clock times grace periods, deadlines and sampling; nil means
	// clock.New().
	Clock clock.Clock
	// Shell is the POSIX shell whose ulimit applies a Spec's limits before
	// the program runs; "" means DefaultShell. It must support ulimit -v,
	// -d and -t (dash, bash, busybox ash and mksh do).
	Shell string
	// Grace is how long Terminate waits after SIGTERM before SIGKILL. Zero
	// sends SIGKILL at once. Terminate runs with the scheduler's mutex held,
	// so a grace period stalls the scheduler: keep it short.
	Grace time.Duration
	// MaxProcesses is the most live processes across all agents; Start
	// beyond it fails with ErrTooManyProcesses. Zero means
	// DefaultMaxProcesses.
	MaxProcesses int
	// WaitDelay bounds how long, after a process exits, the Runner waits for
	// its stdout and stderr to reach EOF (a descendant may still hold them)
	// before closing them. Zero means DefaultWaitDelay.
	WaitDelay time.Duration
}

// withDefaults validates o and returns it with its zero fields set.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Grace < 0:
		return o, fmt.Errorf("%w: Grace %v is negative", ErrInvalidOptions, o.Grace)
	case o.MaxProcesses < 0:
		return o, fmt.Errorf("%w: MaxProcesses %d is negative", ErrInvalidOptions, o.MaxProcesses)
	case o.WaitDelay < 0:
		return o, fmt.Errorf("%w: WaitDelay %v is negative", ErrInvalidOptions, o.WaitDelay)
	}
	if o.Clock == nil {
		o.Clock = clock.New()
	}
	if o.Shell == "" {
		o.Shell = DefaultShell
	}
	if o.MaxProcesses == 0 {
		o.MaxProcesses = DefaultMaxProcesses
	}
	if o.WaitDelay == 0 {
		o.WaitDelay = DefaultWaitDelay
	}
	return o, nil
}
