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
// clearing on a clock, allocations settled in the ledger, bundles handed to
// the scheduler, events out.
//
// # Packages
//
//   - events: the event envelope, the taxonomy and its typed payloads, the
//     CloudEvents codec, the publisher and subscriber contracts, an in-memory
//     log.
//   - bundle: resources, quantities, time windows, bundles, their cost, and a
//     calendar of capacity over time.
//   - ledger: a double-entry credit ledger with exact decimals, holds,
//     idempotent operations and replay from events.
//   - auction: orders and clearing mechanisms for periodic call markets, and
//     reserve-price rules.
//   - sched: bundle activation and expiry on a clock, metering and hard
//     enforcement.
//   - benchkit: invariant checks over any event stream, and assertions for
//     downstream test suites.
//   - examples: runnable programs that compose markets.
//
// # Invariants
//
// A Market keeps the invariants of its services: credits are conserved (the
// sum of all balances, the mint's included, is exactly zero); no agent's
// balance goes below zero; allocated quantity never exceeds capacity at any
// instant; every allocation is paid by a captured hold of the same amount,
// never more than the bid; the same inputs and clock give the same events.
//
// # Concurrency
//
// A Market is safe for concurrent use. Commands that change the book or the
// ledger are applied one at a time, in the order they take the market's
// lock; metering calls ([Market.Use]) go straight to the scheduler.
package scarcity
