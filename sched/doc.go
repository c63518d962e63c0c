// Package sched implements the scheduler of a scarcity market: it holds
// booked bundles on a [bundle.Calendar], activates and expires them on an
// injected clock, meters usage against them, enforces them hard, pays for
// them through the ledger as their time passes, and holds the system-wide
// LLM spend limit.
//
// # Lifecycle
//
//	Schedule / ScheduleLeased
//	           │ (admitted: capacity free at every instant
//	           ▼  of the window, against every booking)
//	      ┌─────────┐   window starts   ┌────────┐  window ends  ┌─────────┐
//	      │Scheduled│ ─────────────────►│ Active │ ─────────────►│ Expired │
//	      └─────────┘     (Advance)     └────────┘   (Advance)   └─────────┘
//	           │                          │    │                 pays in full;
//	   Release │                  Release │    │ Report over     agent stopped
//	           ▼                          ▼    ▼ the envelope    if it was its
//	      ┌──────────┐               ┌──────────┐ ┌────────────┐ last bundle
//	      │ Released │               │ Released │ │ Terminated │
//	      └──────────┘               └──────────┘ └────────────┘
//	      pays nothing               pays pro rata for the time used
//
// [Scheduler.Schedule] books a bundle for an agent: bundle_scheduled, and
// bundle_activated at once if its window has started. [Scheduler.Advance]
// moves bundles through their states in time order: bundle_activated,
// bundle_expired, with agent_awake when an agent goes from no active bundle
// to one and agent_dormant when it goes back to none. An agent exists only
// while it holds a bundle: when its last active bundle expires, Advance
// stops it through the [Executor]. A bundle ends early when its agent
// releases it ([Scheduler.Release]: bundle_released) or is terminated
// ([Scheduler.Report]: agent_terminated). Ending returns the bundle's
// capacity from that instant. [Scheduler.Next] tells a driver when Advance
// next has work to do. Admission checks the calendar at every instant of
// the window; its cost grows with the logarithm of the bundles booked
// (BenchmarkAdmit).
//
// # Paying by lease
//
// [Scheduler.ScheduleLeased] books a bundle paid for by a [Lease]: credits
// set aside by a ledger hold, paid to a payee through a [Settler]
// (*ledger.Ledger is one) when the bundle ends: the whole amount at expiry;
// amount × seconds used / window seconds, rounded down, when it is released
// or its agent terminated, the rest of the hold returning to the agent. A
// payment the ledger refuses is kept and retried by the next Advance
// ([ErrSettlementPending], [Scheduler.Unsettled]); the bundle ends all the
// same. Such follow-up errors are [ErrAftermath], which tells them from
// failures that changed nothing.
//
// # Metering and enforcement
//
// A service-level resource (LLM tokens, attention, LLM spend) is a budget
// consumable during the window: [Scheduler.Use] draws from the agent's
// bundles whose window contains now, earliest-ending first, and denies a
// request beyond what is left (service_denied; nothing is consumed). With
// Options.UsageBatch, Use meters at once but publishes usage_recorded in
// batches (see [Options]); enforcement stays exact. An OS-level resource
// (CPU, memory) is a level held at every instant of the window:
// [Scheduler.Report] checks a sample against the sum held now and
// terminates the agent, through the Executor, when the sample exceeds it.
// Package sched/process is an Executor for Linux processes.
//
// # Spend limit and reservations
//
// Options.Spend sets a system-wide limit on LLM spend: at most Max credits
// in any window of length Window, across all agents. Spend is counted in
// whole units of Unit credits (a cost is rounded up to a whole unit, so
// spend is never under-counted); the limit in units is the capacity of a
// service-level spend resource of the catalog, so the calendar never books
// more spend than the limit at any instant and LLM spend is priced and
// allocated in the same market as CPU. On top of that a sliding-window
// meter bounds what is actually spent: the window ending at now is
// (now−Window, now], so a spend made at t frees exactly at t+Window (under
// Options.UsageBatch, a spend counts from when it is made and frees Window
// after its usage is published, the time the stream gives it). A Use
// or Reserve that would take spent plus reserved past the limit publishes
// spend_limit_reached, consumes nothing and returns a *[SpendLimitError]
// (ErrSpendLimit and ErrServiceDenied).
//
// For calls whose cost is known only afterwards (an LLM call),
// [Scheduler.Reserve] holds a worst case in the agent's bundles and, for
// spend, in the window, in one all-or-nothing step; [Scheduler.Commit]
// consumes exactly the actual cost and returns the rest to where it was
// held; [Scheduler.Cancel] returns everything; a reservation not committed
// before its ttl lapses on the next Advance. While outstanding, a
// reservation counts as used in its bundles, so no request can overshoot a
// budget. A [PriceTable] prices calls per model exactly and converts
// credits to spend units.
//
// # Restarting
//
// A scheduler's events describe its state: [Restore] rebuilds it from
// them after a crash. [Scheduler.State] copies the state itself (bundles,
// usage, reservations, the spend window), plain data to store beside the
// stream, with its sequence, chain head and [Scheduler.StateHash];
// [RestoreFrom] rebuilds the scheduler from a state and the events after
// it, in time that depends on those events only, and equals what Restore
// rebuilds from the whole stream. The state holds what the stream says:
// usage not yet published is not in it.
//
// # Invariants
//
//   - The calendar never books more than a resource's capacity at any
//     instant; a bundle's capacity returns to it when the bundle expires, and
//     from the instant it ends when it is released or terminated.
//   - No bundle's consumed quantity of a service-level resource exceeds the
//     bundle's quantity: every Use consumes exactly what it asks for, or
//     publishes service_denied and consumes nothing.
//   - Metered spend in any window of the spend limit's length is at most the
//     limit.
//   - A terminated agent holds no bundle: its current and future bundles are
//     released.
//   - A leased bundle pays exactly once, at most its lease's amount, and the
//     rest of its hold returns to the agent: credits are conserved.
//   - Every state change publishes its events through an [events.Sequencer]
//     batch first and is applied only once the publisher accepts them, so a
//     rejected operation or a failed publish changes nothing (the usage of a
//     batched Use excepted, as Options.UsageBatch says).
//
// # Limits
//
// At most Options.MaxBundles bundles are held (scheduled or active) at once;
// Schedule beyond that fails with [ErrTooManyBundles]. [Scheduler.Bundle]
// remembers finished bundles until MaxBundles more have finished. At most
// Options.MaxReservations reservations are outstanding.
//
// # Concurrency
//
// A Scheduler is safe for concurrent use. One mutex serialises every method,
// publishing included, so events leave in sequence order and concurrent
// callers of Use never overdraw a budget. The Executor and the Settler are
// called with the mutex held: they must not call back into the Scheduler.
//
// Time comes only from the injected clock; the scheduler assumes it does not
// go backwards.
package sched
