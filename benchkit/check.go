package benchkit

import (
	"github.com/scarcitylabs/scarcity/events"
)

// Check runs every invariant check over the stream with the zero
// [Options], in stream order, and returns nil or an error joining one
// *Violation per failure (errors.Is(err, ErrViolation)). Use [CheckWith] to
// give the capacities and the enforcement of the resources.
func Check(evs []events.Event) error { return join(violationsWith(evs, Options{})) }

// AssertInvariants runs every check over the stream with the zero
// [Options] and reports each violation with tb.Errorf, naming the check
// and the event.
func AssertInvariants(tb TB, evs []events.Event) {
	tb.Helper()
	AssertInvariantsWith(tb, evs, Options{})
}
