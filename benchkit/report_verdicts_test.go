package benchkit_test

import (
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

func TestInvariantVerdicts(t *testing.T) {
	b := newLedger(t, "alice")
	b.mint("alice", 1000)
	good := b.events()
	rows := benchkit.InvariantVerdicts(good, benchkit.Options{})
	if len(rows) != len(benchkit.Invariants) {
		t.Fatalf("%d rows for %d invariants", len(rows), len(benchkit.Invariants))
	}
	status := map[string]benchkit.VerdictStatus{}
	for _, r := range rows {
		status[r.Name] = r.Status
	}
	if status[benchkit.CreditsConserved] != benchkit.StatusPass || status[benchkit.CapacityRespected] != benchkit.StatusNotEvaluated {
		t.Errorf("verdicts of a sound stream without capacities: %v", status)
	}

	bad := append([]events.Event(nil), good...)
	bad = append(bad, bad[len(bad)-1]) // the same event twice
	for _, r := range benchkit.InvariantVerdicts(bad, benchkit.Options{}) {
		if r.Name == benchkit.IDsUnique && (r.Status != benchkit.StatusFail || len(r.Events) == 0 || r.Events[0] != good[len(good)-1].ID) {
			t.Errorf("ids_unique on a repeated event: %+v", r)
		}
	}
}
