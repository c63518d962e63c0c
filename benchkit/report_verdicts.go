package benchkit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scarcitylabs/scarcity/events"
)

// Invariants are the names of every invariant check, in the order
// InvariantVerdicts reports them.
var Invariants = []string{
	ChainIntact, CreditsConserved, AllocationsPaid, BidsHeld, SequencesGapFree, IDsUnique, CausationResolves,
	CapacityRespected, UsageWithinBundles, SpendWithinLimit,
}

// maxVerdictEvents bounds the event ids one verdict row lists.
const maxVerdictEvents = 20

// InvariantVerdicts checks evs with o and returns one verdict row per
// invariant: pass, fail (with the violations and their events), or not
// evaluated when the stream and o lack what the check needs (see
// Unchecked). An unusable o fails every row with its reason.
func InvariantVerdicts(evs []events.Event, o Options) []VerdictRow {
	rows := make([]VerdictRow, len(Invariants))
	for i, name := range Invariants {
		rows[i] = VerdictRow{Name: name, Kind: KindInvariant, Status: StatusPass}
	}
	if err := o.validate(); err != nil {
		for i := range rows {
			rows[i].Status, rows[i].Detail = StatusFail, err.Error()
		}
		return rows
	}
	unchecked := Unchecked(evs, o)
	byCheck := map[string][]*Violation{}
	for _, v := range violationsWith(evs, o) {
		byCheck[v.Check] = append(byCheck[v.Check], v)
	}
	for i := range rows {
		row := &rows[i]
		switch vs := byCheck[row.Name]; {
		case slices.Contains(unchecked, row.Name):
			row.Status, row.Detail = StatusNotEvaluated, "the stream and the options lack what this check needs"
		case len(vs) > 0:
			row.Status, row.Detail, row.Events = StatusFail, describe(vs), eventIDs(vs)
		}
	}
	return rows
}

// describe summarises violations in words.
func describe(vs []*Violation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d violation(s); first at %s: %s", len(vs), vs[0].EventID, vs[0].Detail)
	return b.String()
}

// eventIDs returns the ids of the events of vs, at most maxVerdictEvents.
func eventIDs(vs []*Violation) []string {
	var out []string
	for _, v := range vs {
		if len(out) == maxVerdictEvents {
			break
		}
		out = append(out, v.EventID)
	}
	return out
}
