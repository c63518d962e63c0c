package process_test

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/sched/process"
)

// TestMemoryLimit runs programs that allocate beyond their address-space
// limit: the allocation fails and the exit is reported as a memory limit.
func TestMemoryLimit(t *testing.T) {
	tests := []struct {
		name  string
		spec  process.Spec
		setup func(t *testing.T)
	}{
		{
			name: "dd buffer",
			spec: process.Spec{Path: "dd", Args: []string{"if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"}, Memory: 64 << 20},
			setup: func(t *testing.T) {
				if _, err := exec.LookPath("dd"); err != nil {
					t.Skip("dd not installed")
				}
			},
		},
		{
			name: "data limit",
			spec: process.Spec{Path: "dd", Args: []string{"if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"}, Data: 64 << 20},
			setup: func(t *testing.T) {
				if _, err := exec.LookPath("dd"); err != nil {
					t.Skip("dd not installed")
				}
			},
		},
		{
			name: "go helper",
			spec: withMemory(helper("alloc"), 1<<30),
			setup: func(t *testing.T) {
				if raceEnabled {
					t.Skip("the race detector's shadow memory does not fit in an address-space limit; the dd cases cover it")
				}
			},
		},
	}
	r := newRunner(t, process.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.setup(t)
			stderr := &syncBuffer{}
			tt.spec.Stderr = stderr
			e := wait(t, start(t, r, tt.name, tt.spec))
			if e.Cause != process.CauseMemoryLimit {
				t.Errorf("exit %v (%+v), want memory_limit; stderr: %s", e, e, stderr)
			}
			if e.Success() {
				t.Errorf("the allocation succeeded")
			}
		})
	}
}

// TestMemoryLimitUnlimited is the control: the same helper without a limit
// allocates and exits 0.
func TestMemoryLimitUnlimited(t *testing.T) {
	r := newRunner(t, process.Options{})
	spec := process.Spec{Path: "dd", Args: []string{"if=/dev/zero", "of=/dev/null", "bs=8M", "count=1"}}
	if e := wait(t, start(t, r, "hog", spec)); !e.Success() {
		t.Errorf("exit %v, want success", e)
	}
}

// TestCPULimit runs busy loops under a 1-second CPU limit: the kernel kills
// a shell loop with SIGXCPU, and a Go program, which ignores SIGXCPU, with
// SIGKILL one CPU-second later.
func TestCPULimit(t *testing.T) {
	tests := []struct {
		name   string
		spec   process.Spec
		signal syscall.Signal
	}{
		{"shell loop", process.Spec{Path: "/bin/sh", Args: []string{"-c", "while :; do :; done"}}, syscall.SIGXCPU},
		{"go helper", helper("busy"), syscall.SIGKILL},
	}
	r := newRunner(t, process.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.spec.CPU = time.Second
			p := start(t, r, tt.name, tt.spec)
			e := wait(t, p)
			if e.Cause != process.CauseCPULimit || e.Signal != tt.signal {
				t.Errorf("exit %v (%+v), want cpu_limit by signal %d", e, e, tt.signal)
			}
			// The kernel enforces the limit on its own accounting, which
			// rusage samples and undercounts on a busy machine (867ms has
			// been seen): ask only for most of the second.
			if e.CPU < 500*time.Millisecond {
				t.Errorf("CPU %v at exit, want about the 1s limit or more", e.CPU)
			}
			assertGone(t, p.PID())
		})
	}
}

// TestLimitsInForce checks that the limits hold in the program itself: the
// shell it runs reports them.
func TestLimitsInForce(t *testing.T) {
	r := newRunner(t, process.Options{})
	out := &syncBuffer{}
	spec := process.Spec{Path: "/bin/sh", Args: []string{"-c", "ulimit -v; ulimit -d; ulimit -S -t; ulimit -H -t"},
		Memory: 100 << 20, Data: 50 << 20, CPU: 1500 * time.Millisecond, Stdout: out}
	if e := wait(t, start(t, r, "a", spec)); !e.Success() {
		t.Fatalf("exit %v", e)
	}
	if got, want := out.String(), "102400\n51200\n2\n3\n"; got != want {
		t.Errorf("limits seen by the program:\n%q\nwant\n%q", got, want)
	}
}

// withMemory returns spec with an address-space limit of n bytes.
func withMemory(spec process.Spec, n int64) process.Spec {
	spec.Memory = n
	return spec
}
