package orderbook

import "errors"

// Sentinel errors returned by a [Book]. Test for them with errors.Is. An
// order that is not well formed fails with [auction.ErrInvalidOrder], as
// [auction.Order.Validate] reports it.
var (
	// ErrUnknownOrder reports a cancel or replace of an order id that is not
	// resting in the book.
	ErrUnknownOrder = errors.New("orderbook: unknown order")
	// ErrDuplicateOrder reports a submitted order whose id is already
	// resting in the book.
	ErrDuplicateOrder = errors.New("orderbook: duplicate order")
	// ErrBookFull reports an order that would rest in a book that already
	// holds its maximum number of orders.
	ErrBookFull = errors.New("orderbook: book full")
)
