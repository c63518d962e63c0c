// Package scarcity is an SDK for markets in which software agents buy
// time-bounded bundles of scarce resources — CPU share, memory, LLM tokens,
// human attention, LLM spend — with credits.
//
// Prices are not set by anyone: they are discovered by double auctions. A
// scheduler hard-enforces what was bought, a ledger keeps every credit exact,
// and every state change is an immutable event on a stream from which a
// benchmark runner validates agent behaviour.
//
// The root package composes the services into one [Market]: bids in,
// clearing on a clock, allocations leased in the ledger (paid as their time
// passes, the unused time refunded on an early [Market.Release]), bundles
// handed to the scheduler, events out. [Reopen] restarts a market from its
// newest snapshot and the events after it; [Restore] rebuilds one from all
// its events. [AgentAPI] is what an agent does in a market; the
// Market implements it in process and transport/agentapi over NATS.
//
// # Packages
//
//   - events: the event envelope, the taxonomy and its typed payloads, the
//     CloudEvents codec, the publisher and subscriber contracts, an in-memory
//     log.
//   - bundle: resources, quantities, time windows, bundles, their cost, and a
//     calendar of capacity over time.
//   - ledger: a double-entry credit ledger with exact decimals, holds with
//     timeouts and partial captures, linked batches, idempotent operations,
//     hash-chained events, replay and snapshots.
//   - auction: orders and mechanisms: bundle clearing (greedy by value or
//     density; uniform, pay-as-bid or critical-value payments), k-double,
//     McAfee and SBBA call markets, a continuous order book, reserve-price
//     rules, welfare.
//   - sched: bundle lifecycle on a clock, leases, metering and hard
//     enforcement, the LLM spend limit, reserve → commit → refund; and
//     sched/process, an executor for Linux processes.
//   - transport: the conformance suite every transport passes
//     (transporttest), NATS JetStream (natstransport; natsembed runs a
//     server in the process; natstest for tests), and the remote command API
//     for agents in other processes (agentapi).
//   - benchkit: invariant checks over any event stream, and assertions for
//     downstream test suites.
//   - examples: runnable programs that compose markets.
//
// # Invariants
//
// A Market keeps the invariants of its services: credits are conserved (the
// sum of all balances, the mint's included, is exactly zero); no agent's
// balance goes below zero; allocated quantity never exceeds capacity at any
// instant; every allocation is backed by a lease hold of its price and paid
// at most that, never more than the bid; the same inputs and clock (and
// signing key) give the same events; a market restored from its stream is
// the market that published it.
//
// # The write path
//
// Every command is applied by one writer, in order, and all its events —
// market, ledger and scheduler alike — are one unit; the units applied
// while earlier ones are being published go to the publisher together, as
// one group, pipelined when the publisher is an events.AsyncPublisher
// (natstransport). A command returns once its group is acknowledged. The
// market's events form one hash chain (events.Chain): the last event of each
// group is sealed and signed with Config.SigningKey, whose public key is on
// the stream, so Restore and benchkit verify the stream with the public key
// alone (events.Verify) and trust only whole groups. See
// docs/decisions/0001-one-command-one-batch.md.
//
// # Snapshots
//
// A market with Config.Snapshots takes a snapshot of its whole state — its
// ledger, its scheduler and its own book, round, prices and rewards —
// every Config.SnapshotEvery events and Config.SnapshotInterval, or on
// demand (Market.Snapshot): a command copies the state under the writer's
// lock and stages a snapshot_taken event naming the state's hash
// (Market.StateHash); the snapshot is stored once that event is committed.
// Reopen restores a market from the newest snapshot its stream binds, and
// the events after it, in time and memory that depend on the work since
// that snapshot, not on the market's age; it falls back to an older
// snapshot, then to the whole stream, and says which it did
// (RestoreReport). See docs/decisions/0002-market-snapshots.md.
//
// # Watching a market
//
// Config.Meter takes an OpenTelemetry metrics provider (the API only; no
// exporter is linked in: a program picks its own, the examples expose
// Prometheus), Config.Logger a log/slog logger; both are off by default.
// The metrics, under the instrumentation scope ScopeName:
//
//   - scarcity.bids.placed, scarcity.bids.rejected (by scarcity.reason),
//     scarcity.book.depth;
//   - scarcity.rounds, scarcity.round.duration (s), scarcity.round.bids,
//     scarcity.allocations, scarcity.clearing.price, scarcity.reserve.price
//     and scarcity.utilisation (by scarcity.resource);
//   - scarcity.denials and scarcity.terminations (by scarcity.reason and
//     scarcity.resource), scarcity.spend.spent against scarcity.spend.limit;
//   - scarcity.publish.batch.size, scarcity.publish.duration (s),
//     scarcity.committer.queue, scarcity.fenced (0 or 1), scarcity.restores
//     (by scarcity.restore.kind: restore, reopen, fenced).
//
// What the events tell is counted once the publisher has accepted them, so
// that the metrics agree with the stream. Durations are by Config.Clock.
// Prices are float64 in metrics, as in every metrics backend: watch with
// them, account with the stream.
//
// The logs: each round's summary at debug; refused bids, denials,
// terminations and rebuilds from the stream at warn; a publish that fenced
// the market, and payments that failed after their work was done
// (sched.ErrAftermath), at error. A line about events carries their ids
// (event_id), correlation and trace context.
//
// # Concurrency
//
// A Market is safe for concurrent use. What a caller sees:
//
//   - A command returns once its unit is acknowledged, so what it did is on
//     the stream. Commands that only read (Balance, QueryPrices) also wait
//     for every command before them: what they report is on the stream.
//   - Queries that take no context (Orders, Prices, ReservePrices, Round,
//     Ledger, Scheduler, Next) read the state applied so far, including
//     commands whose units are still being published.
//   - If a publish fails, that command and every one after it fail; the
//     command whose unit failed returns after the market has rebuilt itself
//     from its stream, so that queries then show only what the stream holds
//     (see Market.Fenced).
package scarcity
