package benchkit

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// The names of the checks, as they appear in [Violation.Check].
const (
	CreditsConserved = "credits_conserved"
	AllocationsPaid  = "allocations_paid"
	// BidsHeld: every bid_placed is backed by an open hold of its own, on
	// its agent, of its total_cost.
	BidsHeld         = "bids_held"
	SequencesGapFree = "sequences_gap_free"
	// IDsUnique: no two events share an id.
	IDsUnique = "ids_unique"
	// CausationResolves: every causation names an earlier event.
	CausationResolves = "causation_resolves"
	// CapacityRespected: no instant books more than a resource's capacity.
	CapacityRespected = "capacity_respected"
	// UsageWithinBundles: metered usage stays within its bundle.
	UsageWithinBundles = "usage_within_bundles"
	// SpendWithinLimit: spend in any sliding window is within the limit.
	SpendWithinLimit = "spend_within_limit"
)

// Violation is one event that breaks one invariant.
type Violation struct {
	// Check names the invariant, such as "credits_conserved".
	Check string
	// EventID is the id of the event at which the invariant broke.
	EventID string
	// Detail says what is wrong, in words.
	Detail string
}

// Error returns a one-line description of the violation.
func (v *Violation) Error() string {
	return fmt.Sprintf("benchkit: %s violated at event %s: %s", v.Check, v.EventID, v.Detail)
}

// Unwrap returns ErrViolation, so that errors.Is(v, ErrViolation) holds.
func (v *Violation) Unwrap() error { return ErrViolation }

// finding is a violation and the stream position of its event.
type finding struct {
	index int
	v     *Violation
}

// recorder collects the findings of one check while it replays a stream.
type recorder struct {
	check string
	index int
	event events.Event
	found []finding
	ring  [decimalRing]apd.Decimal // see parse
	next  int
}

func newRecorder(check string) *recorder { return &recorder{check: check} }

// at makes e, at stream position i, the event later findings are about.
func (r *recorder) at(i int, e events.Event) {
	r.index, r.event = i, e
}

// flag records a violation at the current event.
func (r *recorder) flag(format string, args ...any) {
	r.found = append(r.found, finding{r.index, &Violation{
		Check: r.check, EventID: r.event.ID, Detail: fmt.Sprintf(format, args...),
	}})
}

// inOrder merges the findings of several checks in stream order; findings
// at the same event keep the order of the checks.
func inOrder(lists ...[]finding) []*Violation {
	var all []finding
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b finding) int { return cmp.Compare(a.index, b.index) })
	out := make([]*Violation, len(all))
	for i, f := range all {
		out[i] = f.v
	}
	return out
}

// join returns nil for no violations, else an error joining them.
func join(vs []*Violation) error {
	if len(vs) == 0 {
		return nil
	}
	errs := make([]error, len(vs))
	for i, v := range vs {
		errs[i] = v
	}
	return errors.Join(errs...)
}
