// Package benchkit implements the benchmark runner of scarcity: it validates
// the behaviour of agents and of the market from the event stream alone, as
// an auditor would, without access to any service's memory.
//
// Its scope grows in parts. This part holds the invariant checks over any
// stream; scenarios, metrics and reports build on them.
//
// # Invariant checks
//
// Each check replays a stream in order and reports every event that breaks
// its invariant as a [*Violation] naming the check:
//
//   - credits_conserved ([CheckConservation]): replaying the ledger's events
//     on a model of posted balances and pending holds, every account is opened
//     before it is used, every amount is a positive decimal, the balances an
//     event reports are the model's, the sum of all posted balances is exactly
//     zero, no account opened without allow_negative goes below zero or holds
//     more than it has, and a hold is closed at most once: each capture takes
//     at most what the hold still holds, partial captures (remaining above
//     zero) keep it open, and it closes by a capture whose amount, release
//     and remainder add up to what it held, or by a release of all it holds.
//   - allocations_paid ([CheckAllocationsPaid]): every resources_allocated is
//     paid by one hold_captured or credits_transferred of exactly its amount
//     whose transfer id is its payment id (a leased one: by its lease hold
//     of its amount, and a payment of at most that once the bundle ends), no
//     payment pays two allocations, and no agent pays more than its bid.
//   - sequences_gap_free ([CheckSequences]): each source's events of one
//     correlation are numbered 1, 2, 3, … with no gap and no repeat.
//
// [Check] runs them all; [AssertInvariants] reports violations through a
// testing.TB, for downstream test suites.
//
// Ledger state is kept per correlation, so a stream may hold several runs.
// When an event reports a balance that differs from the replay, the
// violation is reported and the model adopts the reported value, so one
// fault is reported where it happens rather than at every later event.
//
// Arithmetic is exact: apd decimals in a context that traps rounding, so an
// amount the model cannot hold exactly is reported, never rounded.
//
// # Concurrency
//
// The checks are pure functions of their input; they may run concurrently
// on the same stream. They never modify the events.
package benchkit
