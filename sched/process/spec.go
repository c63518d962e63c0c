package process

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Spec describes one process of an agent: the command and the
// operating-system limits it runs under from its first instruction.
type Spec struct {
	// Path is the program: a path, or a name looked up in this process's
	// PATH.
	Path string
	// Args are the arguments after the program name.
	Args []string
	// Env is the environment as "key=value" strings; nil inherits this
	// process's environment.
	Env []string
	// Dir is the working directory; "" means this process's.
	Dir string
	// Stdout and Stderr receive the output; nil discards it. Stderr is also
	// scanned for out-of-memory messages (see CauseMemoryLimit).
	Stdout, Stderr io.Writer

	// Memory limits the address space (RLIMIT_AS) in bytes, rounded down
	// to KiB; zero means no limit. An allocation beyond it fails.
	Memory int64
	// Data limits the data segment and private writable mappings
	// (RLIMIT_DATA) in bytes, rounded down to KiB; zero means no limit.
	Data int64
	// CPU limits user plus system CPU time (RLIMIT_CPU), rounded up to whole
	// seconds; zero means no limit. The kernel sends SIGXCPU when it is
	// reached and SIGKILL one second of CPU time later.
	CPU time.Duration
	// Deadline, if not zero, is when the Runner terminates the process
	// (reason ReasonDeadline), on its clock: the end of the agent's bundle.
	Deadline time.Time
}

// limited reports whether s asks for any operating-system limit.
func (s Spec) limited() bool { return s.Memory > 0 || s.Data > 0 || s.CPU > 0 }

// memoryLimited reports whether s limits memory.
func (s Spec) memoryLimited() bool { return s.Memory > 0 || s.Data > 0 }

// cpuSeconds is s.CPU rounded up to whole seconds.
func (s Spec) cpuSeconds() int64 {
	return int64((s.CPU + time.Second - 1) / time.Second)
}

// validate checks the fields of s that do not depend on the platform.
func (s Spec) validate() error {
	switch {
	case s.Path == "":
		return fmt.Errorf("%w: empty path", ErrInvalidSpec)
	case s.Memory < 0 || (s.Memory > 0 && s.Memory < 1024):
		return fmt.Errorf("%w: memory limit %d bytes (want 0 or at least 1024)", ErrInvalidSpec, s.Memory)
	case s.Data < 0 || (s.Data > 0 && s.Data < 1024):
		return fmt.Errorf("%w: data limit %d bytes (want 0 or at least 1024)", ErrInvalidSpec, s.Data)
	case s.CPU < 0:
		return fmt.Errorf("%w: CPU limit %v is negative", ErrInvalidSpec, s.CPU)
	}
	return nil
}

// limitScript returns the shell commands that set s's limits, soft and hard,
// in the shell process, then exec the program ("$0") with its arguments
// ("$@"). The limits are inherited across exec, so they hold from the
// program's first instruction. cpuHard is the hard CPU limit in seconds. If a
// limit cannot be set the shell exits with ExitLimitsFailed.
func limitScript(s Spec, cpuHard int64) string {
	var b strings.Builder
	fail := fmt.Sprintf(" || exit %d\n", ExitLimitsFailed)
	if s.Memory > 0 {
		fmt.Fprintf(&b, "ulimit -v %d%s", s.Memory/1024, fail)
	}
	if s.Data > 0 {
		fmt.Fprintf(&b, "ulimit -d %d%s", s.Data/1024, fail)
	}
	if s.CPU > 0 {
		fmt.Fprintf(&b, "ulimit -t %d && ulimit -S -t %d%s", cpuHard, s.cpuSeconds(), fail)
	}
	b.WriteString(`exec "$0" "$@"`)
	return b.String()
}

// ExitLimitsFailed is the exit code of a process whose limits could not be
// set; the program did not run.
const ExitLimitsFailed = 125
