// Package sched implements the scheduler of a scarcity market: it holds
// booked bundles on a [bundle.Calendar], activates and expires them on an
// injected clock, meters usage against them and enforces them hard.
//
// # Lifecycle
//
// [Scheduler.Schedule] books a bundle for an agent; it is Scheduled until its
// window starts, Active while the window contains the clock's now, then
// Expired. [Scheduler.Advance] moves bundles through these states in time
// order and publishes bundle_activated and bundle_expired, with agent_awake
// when an agent goes from no active bundle to one and agent_dormant when it
// goes back to none. A bundle ends early when its agent releases it
// ([Scheduler.Release]) or when the agent is terminated ([Scheduler.Report]).
// [Scheduler.Next] tells a driver when Advance next has work to do.
//
// # Enforcement
//
// A service-level resource (LLM tokens, attention, spend) is a budget
// consumable during the window: [Scheduler.Use] draws from the agent's
// bundles whose window contains now, earliest-ending first, and denies a
// request beyond what is left (service_denied; nothing is consumed). An
// OS-level resource (CPU, memory) is a level held at every instant of the
// window: [Scheduler.Report] checks a sample against the sum held now and
// terminates the agent, through an [Executor], when the sample exceeds it.
//
// # Invariants
//
//   - The calendar never books more than a resource's capacity at any
//     instant; a bundle's capacity returns to it when the bundle expires, and
//     from the instant it ends when it is released or terminated.
//   - No bundle's consumed quantity of a service-level resource exceeds the
//     bundle's quantity: every Use consumes exactly what it asks for, or
//     publishes service_denied and consumes nothing.
//   - A terminated agent holds no bundle: its current and future bundles are
//     released.
//   - Every state change publishes its events through an [events.Sequencer]
//     batch first and is applied only once the publisher accepts them, so a
//     rejected operation or a failed publish changes nothing.
//
// # Limits
//
// At most Options.MaxBundles bundles are held (scheduled or active) at once;
// Schedule beyond that fails with [ErrTooManyBundles]. [Scheduler.Bundle]
// remembers finished bundles until MaxBundles more have finished.
//
// # Concurrency
//
// A Scheduler is safe for concurrent use. One mutex serialises every method,
// publishing included, so events leave in sequence order and concurrent
// callers of Use never overdraw a budget. The Executor is called with the
// mutex held: it must not call back into the Scheduler.
//
// Time comes only from the injected clock; the scheduler assumes it does not
// go backwards.
package sched
