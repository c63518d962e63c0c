package process

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// DefaultSampleInterval is the sampling period when
// SamplerOptions.Interval is zero.
const DefaultSampleInterval = time.Second

// MiB is a mebibyte, the default unit of memory samples.
const MiB = 1 << 20

// SamplerOptions configures Sample. The zero value samples nothing.
type SamplerOptions struct {
	// Interval is the period between samples on the Runner's clock; zero
	// means DefaultSampleInterval.
	Interval time.Duration
	// CPU names the resource of CPU samples, in percent of one core over
	// the last interval (200 is two cores busy); "" samples no CPU.
	CPU string
	// Memory names the resource of memory samples, resident memory in
	// units of MemoryUnit bytes, rounded up; "" samples no memory.
	Memory string
	// MemoryUnit is the bytes per unit of memory samples; zero means MiB.
	MemoryUnit int64
}

// ReportFunc receives one sample: agent uses level of resource. Wire it to
// sched.Scheduler.Report.
type ReportFunc func(agent, resource string, level int64)

// Sample calls report every interval, on the Runner's clock, for every
// agent with live processes, until ctx ends; it then returns ctx's error.
// Report is called from Sample's goroutine without any lock of the Runner
// held, in agent order, so it may call Terminate (as Scheduler.Report does).
// An agent's first CPU sample comes one interval after it is first seen.
func (r *Runner) Sample(ctx context.Context, opts SamplerOptions, report ReportFunc) error {
	if opts.Interval < 0 || opts.MemoryUnit < 0 {
		return fmt.Errorf("%w: sampler interval %v, memory unit %d", ErrInvalidOptions, opts.Interval, opts.MemoryUnit)
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultSampleInterval
	}
	if opts.MemoryUnit == 0 {
		opts.MemoryUnit = MiB
	}
	ticker := r.opts.Clock.Ticker(opts.Interval)
	defer ticker.Stop()
	last := r.opts.Clock.Now()
	prev := make(map[string]time.Duration) // CPU per agent at the last tick
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-ticker.C:
			r.sampleOnce(opts, now.Sub(last), prev, report)
			last = now
		}
	}
}

// sampleOnce reports the agents running now. elapsed is the time since the
// last tick; prev holds each agent's CPU at the last tick and is updated.
func (r *Runner) sampleOnce(opts SamplerOptions, elapsed time.Duration, prev map[string]time.Duration, report ReportFunc) {
	agents := r.running()
	slices.Sort(agents)
	seen := make(map[string]time.Duration, len(agents))
	for _, agent := range agents {
		u, err := r.Usage(agent)
		if err != nil || u.Running == 0 {
			continue
		}
		seen[agent] = u.CPU
		if before, ok := prev[agent]; ok && opts.CPU != "" && elapsed > 0 {
			report(agent, opts.CPU, max(0, int64((u.CPU-before)*100/elapsed)))
		}
		if opts.Memory != "" {
			report(agent, opts.Memory, (u.Resident+opts.MemoryUnit-1)/opts.MemoryUnit)
		}
	}
	clear(prev)
	for a, cpu := range seen {
		prev[a] = cpu
	}
}
