package process_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/sched/process"
)

// TestSchedulerTerminates wires a Runner to a real scheduler as its Executor
// and its sample source: a process whose resident memory exceeds the
// agent's bundle is killed through Scheduler.Report.
func TestSchedulerTerminates(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	catalog, err := bundle.NewCatalog(bundle.Resource{Name: "memory", Unit: "KiB", Capacity: 1 << 20, Enforcement: bundle.OSLevel})
	if err != nil {
		t.Fatal(err)
	}
	run := newRunner(t, process.Options{Clock: clk})
	log := events.NewLog(events.LogOptions{})
	s, err := sched.New(catalog, sched.Options{Clock: clk, Publisher: log, Executor: run})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	b := bundle.Bundle{Quantities: bundle.Quantities{"memory": 64}, Window: bundle.Window{Start: clk.Now(), Duration: time.Hour}}
	if err := s.Schedule(ctx, "b1", "agent-7", "order-1", b); err != nil {
		t.Fatal(err)
	}
	spec := sleeper()
	spec.Deadline = b.Window.End()
	p := start(t, run, "agent-7", spec) // sleep is resident in far more than 64 KiB

	reports := make(chan error, 16)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_ = run.Sample(sctx, process.SamplerOptions{Interval: time.Second, Memory: "memory", MemoryUnit: 1024},
			func(agent, resource string, level int64) { reports <- s.Report(ctx, agent, resource, level) })
	}()
	eventually(t, "the process to be terminated", func() bool {
		clk.Add(time.Second)
		_, ended := p.Exit()
		return ended
	})
	if err := <-reports; !errors.Is(err, sched.ErrTerminated) {
		t.Errorf("Report: %v, want ErrTerminated", err)
	}
	e, _ := p.Exit()
	if e.Cause != process.CauseTerminated || e.Reason != sched.ReasonExceedsBundle {
		t.Errorf("exit %+v, want terminated for %s", e, sched.ReasonExceedsBundle)
	}
	assertGone(t, p.PID())
	if in, _ := s.Bundle("b1"); in.State != sched.Terminated {
		t.Errorf("bundle state %v, want terminated", in.State)
	}
	var terminated bool
	for _, ev := range log.Events(1) {
		terminated = terminated || ev.Type == events.TypeAgentTerminated
	}
	if !terminated {
		t.Errorf("no agent_terminated event")
	}
}

// TestSchedulerStopsAtExpiry wires a Runner to a real scheduler as its
// Executor: when the agent's only bundle expires, Advance stops its
// process, which outlived its window.
func TestSchedulerStopsAtExpiry(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	catalog, err := bundle.NewCatalog(bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel})
	if err != nil {
		t.Fatal(err)
	}
	run := newRunner(t, process.Options{Clock: clk})
	s, err := sched.New(catalog, sched.Options{Clock: clk, Executor: run})
	if err != nil {
		t.Fatal(err)
	}
	b := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 10}, Window: bundle.Window{Start: clk.Now(), Duration: time.Minute}}
	if err := s.Schedule(t.Context(), "b1", "agent-7", "order-1", b); err != nil {
		t.Fatal(err)
	}
	p := start(t, run, "agent-7", sleeper()) // no deadline of its own
	clk.Add(30 * time.Second)
	if err := s.Advance(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ended := p.Exit(); ended {
		t.Fatal("the process was stopped while its bundle ran")
	}
	clk.Add(30 * time.Second)
	if err := s.Advance(t.Context()); err != nil {
		t.Fatalf("Advance at expiry: %v", err)
	}
	e := wait(t, p)
	if e.Cause != process.CauseTerminated || e.Reason != sched.ReasonExpired {
		t.Errorf("exit %+v, want terminated for %s", e, sched.ReasonExpired)
	}
	assertGone(t, p.PID())
}
