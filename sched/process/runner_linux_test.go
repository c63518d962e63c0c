package process_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/scarcitylabs/scarcity/sched/process"
)

func TestTerminateKillsAndReaps(t *testing.T) {
	r := newRunner(t, process.Options{})
	p1 := start(t, r, "a", sleeper())
	p2 := start(t, r, "a", process.Spec{Path: "/bin/sh", Args: []string{"-c", "while :; do sleep 1; done"}})
	other := start(t, r, "b", sleeper())

	begin := time.Now()
	if err := r.Terminate(t.Context(), "a", "expired"); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Terminate took %v", d)
	}
	for _, p := range []*process.Process{p1, p2} {
		e, ok := p.Exit()
		if !ok {
			t.Fatalf("pid %d: no exit after Terminate returned", p.PID())
		}
		if e.Cause != process.CauseTerminated || e.Reason != "expired" || e.Signal != syscall.SIGKILL {
			t.Errorf("pid %d: exit %+v, want terminated (expired) by SIGKILL", p.PID(), e)
		}
		assertGone(t, p.PID())
	}
	if _, ok := other.Exit(); ok {
		t.Errorf("agent b's process ended with agent a's")
	}
	u, err := r.Usage("a")
	if err != nil || u.Running != 0 || u.Ended != 2 {
		t.Errorf("Usage(a) = %+v, %v, want 0 running, 2 ended", u, err)
	}
}

func TestTerminateIdempotent(t *testing.T) {
	r := newRunner(t, process.Options{})
	for _, agent := range []string{"never-started", ""} {
		if err := r.Terminate(t.Context(), agent, "expired"); err != nil {
			t.Errorf("Terminate(%q) with nothing running: %v", agent, err)
		}
	}
	p := start(t, r, "a", sleeper())
	for i := range 3 {
		if err := r.Terminate(t.Context(), "a", "exceeds_bundle"); err != nil {
			t.Fatalf("Terminate #%d: %v", i+1, err)
		}
	}
	if e, _ := p.Exit(); e.Reason != "exceeds_bundle" {
		t.Errorf("reason %q, want the first Terminate's", e.Reason)
	}
	assertGone(t, p.PID())
}

// TestTerminateGrace stops a process that exits on SIGTERM within the grace
// period, and kills one that ignores it when the grace period ends.
func TestTerminateGrace(t *testing.T) {
	clk := clock.NewMock()
	r := newRunner(t, process.Options{Clock: clk, Grace: time.Minute})
	polite := start(t, r, "a", sleeper())
	stubborn, ready := startStubborn(t, r, "b")
	eventually(t, "the trap to be set", func() bool { return ready.String() != "" })

	if err := r.Terminate(t.Context(), "a", "released"); err != nil {
		t.Fatalf("Terminate(a): %v", err)
	}
	if e, _ := polite.Exit(); e.Signal != syscall.SIGTERM || e.Cause != process.CauseTerminated {
		t.Errorf("polite exit %+v, want terminated by SIGTERM", e)
	}

	done := make(chan error, 1)
	go func() { done <- r.Terminate(context.Background(), "b", "released") }()
	eventually(t, "the grace period to end", func() bool {
		clk.Add(time.Minute) // fires the grace timer once Terminate has set it
		_, ended := stubborn.Exit()
		return ended
	})
	if err := <-done; err != nil {
		t.Fatalf("Terminate(b): %v", err)
	}
	if e, _ := stubborn.Exit(); e.Signal != syscall.SIGKILL || e.Cause != process.CauseTerminated {
		t.Errorf("stubborn exit %+v, want terminated by SIGKILL", e)
	}
	assertGone(t, stubborn.PID())
}

// TestTerminateContext returns ErrKill when ctx ends during the grace
// period, having still sent SIGKILL.
func TestTerminateContext(t *testing.T) {
	clk := clock.NewMock()
	r := newRunner(t, process.Options{Clock: clk, Grace: time.Hour})
	p, ready := startStubborn(t, r, "a")
	eventually(t, "the trap to be set", func() bool { return ready.String() != "" })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := r.Terminate(ctx, "a", "expired")
	if err != nil && !errors.Is(err, process.ErrKill) {
		t.Fatalf("Terminate with a done context: %v, want nil or ErrKill", err)
	}
	if e := wait(t, p); e.Signal != syscall.SIGKILL {
		t.Errorf("exit %+v, want SIGKILL", e)
	}
}

func TestDeadline(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	r := newRunner(t, process.Options{Clock: clk})
	spec := sleeper()
	spec.Deadline = clk.Now().Add(10 * time.Minute)
	p := start(t, r, "a", spec)
	clk.Add(9 * time.Minute)
	if _, ended := p.Exit(); ended {
		t.Fatalf("ended before its deadline")
	}
	clk.Add(time.Minute)
	e := wait(t, p)
	if e.Cause != process.CauseTerminated || e.Reason != process.ReasonDeadline {
		t.Errorf("exit %+v, want terminated at deadline", e)
	}
	assertGone(t, p.PID())

	spec.Deadline = clk.Now()
	if _, err := r.Start(t.Context(), "a", spec); !errors.Is(err, process.ErrInvalidSpec) {
		t.Errorf("Start with a passed deadline: %v, want ErrInvalidSpec", err)
	}
}

func TestExitReporting(t *testing.T) {
	r := newRunner(t, process.Options{})
	tests := []struct {
		name   string
		spec   process.Spec
		cause  process.Cause
		code   int
		signal syscall.Signal
	}{
		{"success", process.Spec{Path: "true"}, process.CauseExited, 0, 0},
		{"exit code", process.Spec{Path: "/bin/sh", Args: []string{"-c", "exit 7"}}, process.CauseExited, 7, 0},
		{"own signal", process.Spec{Path: "/bin/sh", Args: []string{"-c", "kill -TERM $$"}}, process.CauseSignaled, -1, syscall.SIGTERM},
		{"limited failure without memory message", process.Spec{Path: "/bin/sh", Args: []string{"-c", "echo no such file >&2; exit 1"}, Memory: 512 << 20}, process.CauseExited, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, r, "a", tt.spec)
			e := wait(t, p)
			if e.Cause != tt.cause || e.Code != tt.code || e.Signal != tt.signal || e.PID != p.PID() || e.Agent != "a" {
				t.Errorf("exit %+v, want cause %v, code %d, signal %d", e, tt.cause, tt.code, tt.signal)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	r := newRunner(t, process.Options{MaxProcesses: 1})
	tests := []struct {
		name  string
		agent string
		spec  process.Spec
		want  error
	}{
		{"empty agent", "", process.Spec{Path: "true"}, process.ErrInvalidSpec},
		{"empty path", "a", process.Spec{}, process.ErrInvalidSpec},
		{"tiny memory", "a", process.Spec{Path: "true", Memory: 10}, process.ErrInvalidSpec},
		{"negative cpu", "a", process.Spec{Path: "true", CPU: -time.Second}, process.ErrInvalidSpec},
		{"missing program", "a", process.Spec{Path: "/nonexistent/program"}, process.ErrStart},
		{"missing name", "a", process.Spec{Path: "no-such-program-anywhere"}, process.ErrStart},
		{"missing dir", "a", process.Spec{Path: "true", Dir: "/nonexistent/dir"}, process.ErrStart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := r.Start(t.Context(), tt.agent, tt.spec); !errors.Is(err, tt.want) {
				t.Errorf("Start: %v, want %v", err, tt.want)
			}
		})
	}
	start(t, r, "a", sleeper())
	if _, err := r.Start(t.Context(), "b", sleeper()); !errors.Is(err, process.ErrTooManyProcesses) {
		t.Errorf("Start beyond MaxProcesses: %v, want ErrTooManyProcesses", err)
	}
}

func TestStartMissingShell(t *testing.T) {
	r := newRunner(t, process.Options{Shell: "/nonexistent/sh"})
	if _, err := r.Start(t.Context(), "a", process.Spec{Path: "true", CPU: time.Second}); !errors.Is(err, process.ErrStart) {
		t.Errorf("Start with a missing shell: %v, want ErrStart", err)
	}
}

func TestUnknownAgent(t *testing.T) {
	r := newRunner(t, process.Options{})
	if _, err := r.Usage("nobody"); !errors.Is(err, process.ErrUnknownAgent) {
		t.Errorf("Usage(nobody): %v, want ErrUnknownAgent", err)
	}
	if err := r.Forget("nobody"); !errors.Is(err, process.ErrUnknownAgent) {
		t.Errorf("Forget(nobody): %v, want ErrUnknownAgent", err)
	}
	p := start(t, r, "a", sleeper())
	if err := r.Forget("a"); !errors.Is(err, process.ErrStillRunning) {
		t.Errorf("Forget of a running agent: %v, want ErrStillRunning", err)
	}
	if err := r.Terminate(t.Context(), "a", "expired"); err != nil {
		t.Fatal(err)
	}
	assertGone(t, p.PID())
	if err := r.Forget("a"); err != nil {
		t.Errorf("Forget after Terminate: %v", err)
	}
	if _, err := r.Usage("a"); !errors.Is(err, process.ErrUnknownAgent) {
		t.Errorf("Usage after Forget: %v, want ErrUnknownAgent", err)
	}
}

// TestConcurrentAgents starts and terminates processes of many agents at
// once; run it with -race.
func TestConcurrentAgents(t *testing.T) {
	r := newRunner(t, process.Options{})
	const agents, each = 8, 3
	var wg sync.WaitGroup
	pids := make(chan int, agents*each)
	errs := make(chan error, agents*(each+1))
	for i := range agents {
		agent := fmt.Sprintf("agent-%d", i)
		wg.Go(func() {
			for range each {
				p, err := r.Start(context.Background(), agent, sleeper())
				if err != nil {
					errs <- err
					return
				}
				pids <- p.PID()
				if _, err := r.Usage(agent); err != nil {
					errs <- err
				}
			}
			errs <- r.Terminate(context.Background(), agent, "expired")
		})
	}
	wg.Wait()
	close(pids)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	n := 0
	for pid := range pids {
		assertGone(t, pid)
		n++
	}
	if n != agents*each {
		t.Errorf("started %d processes, want %d", n, agents*each)
	}
}
