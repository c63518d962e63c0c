package process_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/sched/process"
)

// patience bounds every wait on a real process; it is generous so that a
// slow machine does not fail the tests, and polling keeps a fast one fast.
const patience = 15 * time.Second

// newRunner returns a Runner with opts and fails tb on error.
func newRunner(tb testing.TB, opts process.Options) *process.Runner {
	tb.Helper()
	r, err := process.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// start starts spec for agent and fails tb on error; the process is killed
// at the end of the test if still running.
func start(tb testing.TB, r *process.Runner, agent string, spec process.Spec) *process.Process {
	tb.Helper()
	p, err := r.Start(context.Background(), agent, spec)
	if err != nil {
		tb.Fatalf("Start(%q, %s): %v", agent, spec.Path, err)
	}
	tb.Cleanup(func() {
		_ = r.Terminate(context.Background(), agent, "cleanup")
	})
	return p
}

// helper returns a Spec that runs the test binary as the named helper.
func helper(name string) process.Spec {
	return process.Spec{Path: os.Args[0], Args: []string{"-test.run=^$"}, Env: append(os.Environ(), helperEnv+"="+name)}
}

// sleeper returns a Spec of a process that sleeps far longer than any test.
func sleeper() process.Spec { return process.Spec{Path: "sleep", Args: []string{"600"}} }

// wait waits patiently for p to end and fails tb if it does not.
func wait(tb testing.TB, p *process.Process) process.Exit {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	e, err := p.Wait(ctx)
	if err != nil {
		tb.Fatalf("pid %d did not end: %v", p.PID(), err)
	}
	return e
}

// assertGone fails tb unless no process has pid: it was killed and reaped.
func assertGone(tb testing.TB, pid int) {
	tb.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		tb.Errorf("kill(%d, 0) = %v, want ESRCH: the process is still there", pid, err)
	}
}

// eventually polls cond every few milliseconds until it holds or patience
// runs out.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startStubborn starts a shell for agent that ignores SIGTERM, and the
// buffer in which it writes once it does.
func startStubborn(tb testing.TB, r *process.Runner, agent string) (*process.Process, *syncBuffer) {
	tb.Helper()
	out := &syncBuffer{}
	p := start(tb, r, agent, process.Spec{Path: "/bin/sh",
		Args: []string{"-c", "trap '' TERM; echo ready; while :; do sleep 1; done"}, Stdout: out})
	return p, out
}
