// Package process implements a sched.Executor for Linux: a [Runner] starts
// the operating-system processes of agents under limits, meters what they
// use, and kills them when the scheduler terminates an agent.
//
// # Wiring
//
// A Runner is the scheduler's Executor and the source of its OS-level
// samples:
//
//	run, _ := process.New(process.Options{Clock: clk})
//	s, _ := sched.New(catalog, sched.Options{Clock: clk, Executor: run})
//	go run.Sample(ctx, process.SamplerOptions{CPU: "cpu", Memory: "memory"},
//		func(agent, resource string, level int64) { _ = s.Report(ctx, agent, resource, level) })
//	p, err := run.Start(ctx, "agent-7", process.Spec{Path: "worker",
//		Memory: 512 << 20, CPU: 10 * time.Minute, Deadline: b.Window.End()})
//
// Give a Spec the limits of the agent's bundle and its window's end as
// Deadline; when a sample exceeds the bundle, Scheduler.Report calls
// [Runner.Terminate] and the agent's processes are killed. When the agent's
// last bundle expires, Scheduler.Advance calls Terminate too, with reason
// sched.ReasonExpired, so a process outliving its window is stopped even
// without a Deadline.
//
// # Who enforces what
//
//   - The kernel enforces a Spec's limits. RLIMIT_CPU: at the soft limit it
//     sends SIGXCPU, one CPU-second later SIGKILL (for programs that ignore
//     SIGXCPU, as Go programs do). RLIMIT_AS and RLIMIT_DATA: an allocation
//     beyond them fails, and the program usually dies of it.
//   - The scheduler enforces the bundle: the sampler reports each agent's
//     CPU (percent of one core) and resident memory, and Scheduler.Report
//     terminates an agent beyond its envelope through Terminate.
//   - The Runner enforces Spec.Deadline on its clock, and kills on
//     Terminate: SIGTERM, an optional grace period, then SIGKILL to each
//     process group, and waits until the processes are reaped.
//
// # How limits are applied
//
// The standard library cannot set rlimits between fork and exec, and
// setting them with prlimit(2) after the start leaves the program running
// unlimited for a moment. A process with limits is therefore started as
// Options.Shell running "ulimit …; exec program args": the shell sets the
// limits on itself, then execs the program, which inherits them, so they
// hold from its first instruction, at the cost of one exec of the shell.
// The program keeps the pid the Runner started (the shell execs it), and
// runs in its own process group. A process that cannot get its limits exits
// with [ExitLimitsFailed] without running; the Runner checks beforehand
// that it may grant them.
//
// # How a process ends
//
// [Process.Wait] and [Process.Done] tell when a process ended, and the
// [Exit] how: its code or signal, its final CPU time and peak resident
// memory, and a [Cause]. A CPU limit is recognised from the signal and the
// CPU time used. A memory limit is presumed when a process under one fails
// with an out-of-memory message on stderr or a crash signal: rlimits leave
// no record of a refused allocation.
//
// # What it does not do
//
// It uses no cgroups. Limits are per process, not per agent; RLIMIT_AS
// bounds address space, not resident memory, and programs that reserve much
// address space (the race detector, some JITs) need generous limits. Usage
// counts the processes the Runner started, not their descendants while
// these run, and Terminate kills the process groups but reaps only the
// processes it started. A cgroup v2 per agent would give stricter memory
// accounting (resident, page cache and descendants included, with
// memory.events recording every limit hit), a CPU share rather than a CPU
// time, and an atomic kill of everything in it.
//
// # Concurrency and limits
//
// A Runner is safe for concurrent use. It holds at most
// Options.MaxProcesses live processes; it remembers each agent's ended
// totals until [Runner.Forget]. Each process has one goroutine waiting for
// it. Time comes only from Options.Clock.
package process
