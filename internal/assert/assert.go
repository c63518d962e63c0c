// Package assert holds the module's run-time assertions: checks, cheap
// enough to stay on in production, at the few places where a broken
// invariant would corrupt money or capacity if execution went on — the
// ledger's balances, the order book's index, the calendar's bookings.
//
// A failed assertion is a bug in the module, never bad input: input is
// validated and refused with an error before any state changes, so no
// caller can make an assertion fail. It panics, which stops the write in
// progress before its events are published and leaves the state as it was
// staged; a market restarted from its stream rebuilds the state the stream
// proves.
package assert

// That panics with "assertion failed: " and msg if ok is false. msg is a
// constant naming the broken invariant: building a message with values at
// every call would cost allocations on the hot path, so a caller that wants
// values in the panic checks first and builds them only on failure.
func That(ok bool, msg string) {
	if !ok {
		panic("assertion failed: " + msg)
	}
}
