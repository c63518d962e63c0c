// Package auction implements the price discovery of a scarcity market: the
// double-auction mechanisms economists use, the all-or-nothing
// multi-resource bundle clearing that compute markets need, and reserve
// prices that follow utilisation. Its subpackage
// [github.com/scarcitylabs/scarcity/auction/orderbook] holds the continuous
// order book.
//
// # Three ways to trade
//
// Bundle rounds. Bids for all-or-nothing bundles of several resources over
// a time window ([Bid]) are collected into a [Round] and cleared at once by
// a [Mechanism] against the capacity left on a [bundle.Calendar], offered
// by the operator at reserve prices. [Greedy] admits bids in order of total
// value ([ByValue], the default) or of value density ([ByDensity]: limit
// over the square root of the bid's size in capacity-seconds) and charges a
// uniform price per resource ([PayUniformPrice], the default), the limit
// ([PayAsBid]) or each winner's critical value ([PayCriticalValue]).
// [Exact] finds the allocation of greatest welfare by branch and bound,
// seeded with Greedy's, and charges VCG payments. [Improved] improves
// Greedy's allocation by local search (exchanges) for rounds too large for
// Exact, and charges bids; [Auto] picks Exact or Greedy by the round's size.
//
// Call markets for one resource. [Order]s in integer ticks and lots (a
// [Grid] converts exact decimals at the edges) are cleared by a [CallRule]:
// the uniform-price k-double auction ([KDA]), McAfee's trade reduction
// ([McAfee]) or the strongly budget-balanced SBBA ([SBBA], its randomness
// injected). [CallMarket] runs a rule behind the Mechanism interface for
// rounds whose bids each ask for one resource.
//
// A continuous market. An orderbook.Book, in the subpackage, matches
// [Order]s for one resource as they arrive, by price-time priority, at the
// resting order's price: limit and market orders, GTC, IOC, FOK and
// all-or-none, cancel, replace and expiry, with fills returned as they
// happen.
//
// # Properties
//
// For truthful, single-minded bidders (one bundle each, or one lot each in a
// call market):
//
//	mechanism                      truthful?              budget balance      efficiency loss
//	Greedy (ByValue, uniform)      no: the price setter   weak (operator      unbounded for bundles: a
//	                               can shade              keeps revenue)      big bid can block many
//	Greedy (ByValue, pay-as-bid)   no: bidders shade      weak                as above
//	Greedy (ByValue, critical)     yes                    weak                as above
//	Greedy (ByDensity, uniform)    no                     weak                within √m of the optimum
//	Greedy (ByDensity, pay-as-bid) no                     weak                within √m
//	Greedy (ByDensity, critical)   yes (Lehmann et al.)   weak                within √m; the choice when
//	                                                                          truthful bids matter
//	Exact (VCG), proven            yes (VCG)              weak, never below   none
//	                                                      the reserve
//	Exact (VCG), budget ran out    no                     weak, never below   at most Greedy's
//	                                                      the reserve
//	Improved (pay-as-bid)          no: bidders shade; a   weak                at most Greedy's: a local
//	                               local optimum                              optimum by exchanges
//	Auto                           as Exact up to its     as Exact, then      as Exact, then as Greedy
//	                               size, then as Greedy   as Greedy           (ByDensity, critical)
//	                               (ByDensity, critical)
//	KDA                            no: marginal traders   strong (one price)  none: all efficient trades
//	                               move the price
//	McAfee                         yes, single-lot        weak                at most one trade
//	SBBA                           yes, single-lot (in    strong              at most one trade
//	                               expectation for sellers)
//
// where m is the number of contended resource time-slices. Every payment
// lies between the bundle's reserve cost and the bid's limit; every
// mechanism is deterministic (SBBA given its seed). Each Result reports the
// realised Welfare and, where it is computable exactly (rounds of up to
// [MaxOptimalWelfareBids] bundle bids, by branch and bound), the
// OptimalWelfare, so that efficiency is a number the market publishes in
// market_cleared.
//
// # Exact winner determination and its budget
//
// [Exact] searches at most Exact.MaxNodes nodes per round
// ([DefaultMaxNodes] by default), the winner determination first, the
// winners' VCG searches sharing what it leaves. When the budget holds,
// the allocation is optimal, Result.OptimalWelfare equals Result.Welfare,
// and each winner pays R plus exactly the welfare it displaces: truthful
// for single-minded bidders. When it runs out:
//   - the allocation is the best found, never worse than what Greedy
//     admits by value or by density, and Result.OptimalWelfare is nil;
//   - the VCG payments are computed on non-optimal solutions, so a bidder
//     may gain by misreporting: the mechanism is not truthful;
//   - every payment still lies between the bundle's reserve cost and the
//     bid's limit (individual rationality), so the operator never receives
//     less than the reserve, and the result passes [Verify].
//
// [Exact.ClearStats] reports whether every search finished (Proven), the
// nodes visited, and whether the round's values were too large for the
// search on 64-bit integers, in which case Greedy clears it with
// critical-value payments.
//
// # Prices
//
// A round's clearing price per resource goes out as price_update. Between
// rounds a [ReserveRule] moves each reserve price; [UtilisationRule] moves
// it with utilisation against a target, by at most MaxChange (12.5 % by
// default, like Ethereum's EIP-1559 base fee) per round and at least one
// tick, between a floor and a ceiling: prices rise under excess demand and
// fall when utilisation is low, even in a thin market.
//
// # Writing a mechanism
//
// A Mechanism is a value with a Name and a Clear method. Clear receives the
// round: its bids in arrival order, the calendar with the capacity already
// booked, the reserve prices and the scale of payments. It books its winners
// on r.Calendar (windows start at r.At), decides what each pays and the
// clearing prices, and calls [Summarize] for the totals; [Verify] then
// checks the result against the contract below, as the market does before
// it applies any result. ExampleMechanism shows one in full.
//
// # Invariants
//
// For every cleared round, as [Verify] checks:
//   - every bid of the round is either allocated or rejected, exactly once;
//   - no winner pays more than its limit nor less than its bundle's cost at
//     the reserve prices, and every payment is exact at the
//     round's scale;
//   - booked quantity never exceeds any resource's capacity at any instant;
//   - every resource of the catalog has a clearing price, at least its
//     reserve price;
//   - revenue is the sum of the payments, and surplus, the sum of the
//     winners' limits less their payments, is never negative.
//
// A call market's trades never exceed an order's lots, buy and sell volumes
// match, no buyer pays above and no seller receives below its limit, and
// buyers pay at least what sellers receive (exactly, for KDA and SBBA).
//
// Money is exact: amounts and prices are apd decimals, computed in a context
// that traps Inexact and Rounded, so silent rounding is an error, or integer
// ticks where that is exactly equivalent. The only roundings are explicit
// quantizations to the round's scale, always in the direction that keeps
// every trader within its limit.
//
// # Concurrency
//
// Mechanisms, call rules and reserve rules are values, safe for concurrent
// use (an SBBA's random source is the caller's to share or not). Clearing a
// round books its winners into Round.Calendar, which is not safe for
// concurrent use: pass each round its own clone. The package publishes no
// events; the market that runs it does.
package auction
