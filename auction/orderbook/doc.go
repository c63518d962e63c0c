// Package orderbook implements a continuous double auction for one
// resource: a limit order book that matches orders as they arrive, by
// price-time priority, always at the resting order's price.
//
// Orders are [auction.Order] values in integer ticks and lots (an
// [auction.Grid] converts exact decimals at the edges). A [Book] accepts
// limit and market orders ([Kind]) good till cancelled, immediate or
// cancel, fill or kill and all or none ([TimeInForce]); it cancels,
// replaces and expires resting orders, and returns its fills ([Fill]) as
// they happen. Self-trade prevention cancels an incoming order that would
// meet its own agent.
//
// # Invariants
//
// A book is never crossed, except that an all-or-none order may rest
// across the spread (see [Book.Submit]); every fill is at a price within
// both orders' limits and never for more than either order holds; a
// rejected call changes nothing. Once warm, the book allocates nothing per
// order.
//
// # Concurrency
//
// A Book is not safe for concurrent use: the market that owns it is its
// single writer. It has no clock (the caller passes the time to
// [Book.Expire]) and publishes no events; its caller does.
package orderbook
