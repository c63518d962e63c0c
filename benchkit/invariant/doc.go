// Package invariant checks the invariants of scarcity over an event
// stream, as an auditor would: from the events alone, without access to
// any service's memory. Each check is a pure function of the stream that
// replays it in order and reports every event that breaks its invariant
// as a [*Violation] naming the invariant.
//
// # The stream itself
//
//   - chain_intact ([CheckChain]): each run's hash chain is unbroken and
//     its seals are signed by its writers (events.Verify). [Check] and
//     [CheckWith] set the events of a group cut short (void) aside, as
//     never having happened, unless the chain is broken: then every check
//     replays the stream as it is.
//   - sequences_gap_free ([CheckSequences]): each source's events of one
//     correlation are numbered 1, 2, 3, … with no gap and no repeat.
//   - ids_unique and causation_resolves ([CheckIdentities]): no two events
//     share an id, and every causation names an earlier event.
//
// # Credits
//
//   - credits_conserved ([CheckConservation]): replaying the ledger's events
//     on a model of posted balances and pending holds, every account is opened
//     before it is used, every amount is a positive decimal, the balances an
//     event reports are the model's, the sum of all posted balances is exactly
//     zero, no account opened without allow_negative goes below zero or holds
//     more than it has, and a hold is closed at most once: each capture takes
//     at most what the hold still holds, partial captures (remaining above
//     zero) keep it open, and it closes by a capture whose amount, release
//     and remainder add up to what it held, or by a release of all it holds;
//     no hold id is placed twice in a run.
//
// # Payments
//
//   - allocations_paid ([CheckAllocationsPaid]): every resources_allocated is
//     paid by one hold_captured or credits_transferred of exactly its amount
//     whose transfer id is its payment id (a leased one: by its lease hold
//     of its amount, held until its bundle ends, and a payment of at most
//     that once the bundle ends), no payment pays two allocations, and no
//     agent pays more than its bid; where the run carries bids, every
//     allocation is of a bid_placed of its agent, and no bid is allocated
//     twice; where it carries market events, every bundle_scheduled is
//     allocated by a resources_allocated of its bundle_id.
//   - bids_held ([CheckBidsHeld]): every bid_placed names a hold of its own,
//     open when the bid is placed, on its agent's account, of exactly its
//     total_cost; the ledger's hold_placed comes before the bid, or after it
//     within the same command (before the market's next event).
//
// # Capacity
//
//   - capacity_respected ([CheckCapacity]): no booking exceeds a resource's
//     capacity at any instant of its window from the moment it is booked.
//
// # Usage and spend
//
//   - usage_within_bundles ([CheckUsage]): usage of a consumed resource
//     stays within its bundle's quantity, and a sample above its envelope is
//     followed by agent_terminated.
//   - spend_within_limit ([CheckSpend]): the spend recorded in any sliding
//     window stays within the limit, and every spend_limit_reached agrees
//     with the stream.
//
// # Running the checks
//
// [Check] runs them all; [CheckWith] runs them with [Options], which supply
// what the stream does not carry (capacities, which resources are OS-level
// samples, the spend limit, the writers' key, the ledger's retention);
// [Unchecked] says which checks could not run. [Names] lists the
// invariants. A violation names its event, and where a reported value
// differs from the replay it carries a "(-want +got)" diff. Ledger state is
// kept per correlation, so a stream may hold several runs. From 16,384
// events up the checks run concurrently, one goroutine each.
//
// Arithmetic is exact: apd decimals in a context that traps rounding, so a
// value the model cannot hold exactly is reported, never rounded.
//
// The package pulls in only events, bundle and apd: a program that reads a
// stream can check it without the market or the benchmark runner. Package
// benchkit reports the violations through a testing.TB
// (benchkit.AssertInvariants), and package benchkit/report gives one
// verdict row per invariant.
//
// # Concurrency
//
// The checks are pure functions of their input; they may run concurrently
// on the same stream. They never modify the events.
package invariant
