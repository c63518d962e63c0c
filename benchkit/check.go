package benchkit

import (
	"testing"

	"github.com/scarcitylabs/scarcity/events"
)

// Check runs every invariant check over the stream, in stream order, and
// returns nil or an error joining one *Violation per failure
// (errors.Is(err, ErrViolation)).
func Check(evs []events.Event) error { return join(violations(evs)) }

// violations returns the violations of every check, in stream order.
func violations(evs []events.Event) []*Violation {
	return inOrder(sequences(evs), conservation(evs), allocations(evs))
}

// AssertInvariants runs every check over the stream and reports each
// violation with tb.Errorf, naming the check and the event.
func AssertInvariants(tb testing.TB, evs []events.Event) {
	tb.Helper()
	for _, v := range violations(evs) {
		tb.Errorf("%s violated at event %s: %s", v.Check, v.EventID, v.Detail)
	}
}
