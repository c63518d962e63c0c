package benchkit

import (
	"github.com/scarcitylabs/scarcity/events"
)

// Check runs every invariant check over the stream with the zero
// [Options], in stream order, and returns nil or an error joining one
// *Violation per failure (errors.Is(err, ErrViolation)). Use [CheckWith] to
// give the capacities and the enforcement of the resources.
//
// The checks are those [Invariants] names, each described in the package
// documentation: credits_conserved, allocations_paid (every allocation
// paid, of a bid of its agent, its lease held while its bundle runs, and
// every bundle scheduled in a market run allocated), bids_held (every bid
// backed by an open hold of its own, on its agent, of its total_cost),
// sequences_gap_free, ids_unique, causation_resolves, usage_within_bundles
// and spend_within_limit; capacity_respected needs Options.Capacities.
func Check(evs []events.Event) error { return join(violationsWith(evs, Options{})) }

// AssertInvariants runs every check over the stream with the zero
// [Options] and reports each violation with tb.Errorf, naming the check
// and the event.
func AssertInvariants(tb TB, evs []events.Event) {
	tb.Helper()
	AssertInvariantsWith(tb, evs, Options{})
}
