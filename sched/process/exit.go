package process

import (
	"fmt"
	"syscall"
	"time"
)

// ReasonDeadline is the reason of a process terminated at its
// Spec.Deadline.
const ReasonDeadline = "deadline"

// Cause says why a process ended.
type Cause int

// The causes of an Exit.
const (
	// CauseExited: the process exited on its own; Exit.Code says how.
	CauseExited Cause = iota
	// CauseSignaled: a signal not sent by the Runner nor by a limit killed
	// the process.
	CauseSignaled
	// CauseTerminated: the Runner stopped the process, through Terminate or
	// at its deadline; Exit.Reason says why.
	CauseTerminated
	// CauseCPULimit: the process reached its CPU-time limit and the kernel
	// killed it with SIGXCPU, or with SIGKILL at the hard limit.
	CauseCPULimit
	// CauseMemoryLimit: the process failed under a memory limit, and either
	// wrote an out-of-memory message to stderr or crashed with SIGSEGV,
	// SIGBUS or SIGABRT. Rlimits leave no record of a refused allocation,
	// so this is a presumption from the evidence, not a kernel verdict.
	CauseMemoryLimit
)

var causeNames = [...]string{"exited", "signaled", "terminated", "cpu_limit", "memory_limit"}

// String returns the cause's name, such as "cpu_limit".
func (c Cause) String() string {
	if c >= 0 && int(c) < len(causeNames) {
		return causeNames[c]
	}
	return fmt.Sprintf("Cause(%d)", int(c))
}

// Exit is how a process ended, with its final resource usage.
type Exit struct {
	Agent string
	PID   int
	// Code is the exit code, or -1 if a signal killed the process.
	Code int
	// Signal is the signal that killed the process, or 0.
	Signal syscall.Signal
	Cause  Cause
	// Reason is the reason given to Terminate, or ReasonDeadline, when Cause
	// is CauseTerminated.
	Reason string
	// CPU is the user plus system time the process used.
	CPU time.Duration
	// PeakResident is the process's peak resident memory in bytes.
	PeakResident int64
}

// Success reports whether the process exited on its own with code 0.
func (e Exit) Success() bool { return e.Cause == CauseExited && e.Code == 0 }

// String describes e, such as "exited with code 3" or "cpu_limit (killed by
// signal 9)".
func (e Exit) String() string {
	how := fmt.Sprintf("code %d", e.Code)
	if e.Signal != 0 {
		how = fmt.Sprintf("signal %d", int(e.Signal))
	}
	switch e.Cause {
	case CauseExited:
		return "exited with " + how
	case CauseTerminated:
		return fmt.Sprintf("terminated: %s (%s)", e.Reason, how)
	default:
		return fmt.Sprintf("%s (%s)", e.Cause, how)
	}
}
