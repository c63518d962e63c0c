// Package auction implements the clearing mechanisms of a periodic call
// market: bids for all-or-nothing, multi-resource bundles are collected into
// a [Round] and cleared at once against the capacity left on a
// [bundle.Calendar], at uniform clearing prices per resource, and reserve
// prices move between rounds with utilisation ([UtilisationRule]).
//
// A [Mechanism] clears one round. [Greedy] is the first: it admits bids by
// descending limit and prices every resource at a common multiple of its
// reserve price (see its documentation for the exact rule). Further
// mechanisms plug in behind the same interface, and [Verify] checks any
// mechanism's result against the contract they all share.
//
// # Invariants
//
// For every cleared round, as [Verify] checks:
//   - every bid of the round is either allocated or rejected, exactly once;
//   - no winner pays more than its limit, and every payment is exact at the
//     round's scale;
//   - booked quantity never exceeds any resource's capacity at any instant;
//   - every resource of the catalog has a clearing price, at least its
//     reserve price;
//   - revenue is the sum of the payments, and surplus, the sum of the
//     winners' limits less their payments, is never negative.
//
// Money is exact: amounts and prices are apd decimals, computed in a context
// that traps Inexact and Rounded, so silent rounding is an error. The only
// roundings are explicit quantizations to the round's scale, and they are
// computed exactly from rational values (see [Greedy] and
// [UtilisationRule.Next]).
//
// # Concurrency
//
// Mechanisms and reserve rules are stateless values, safe for concurrent use.
// Clearing a round books its winners into Round.Calendar, which is not safe
// for concurrent use: pass each round its own clone. Clearing is pure and
// deterministic: the same round, on an equal calendar, gives the same result.
// The package publishes no events; the market that runs the rounds does.
package auction
