package report_test

import (
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

func TestInvariantVerdicts(t *testing.T) {
	b := streamtest.NewLedger(t, "alice")
	b.Mint("alice", 1000)
	good := b.Events()
	rows := report.InvariantVerdicts(good, invariant.Options{})
	if len(rows) != len(invariant.Names) {
		t.Fatalf("%d rows for %d invariants", len(rows), len(invariant.Names))
	}
	status := map[string]report.VerdictStatus{}
	for _, r := range rows {
		status[r.Name] = r.Status
	}
	if status[invariant.CreditsConserved] != report.StatusPass || status[invariant.CapacityRespected] != report.StatusNotEvaluated {
		t.Errorf("verdicts of a sound stream without capacities: %v", status)
	}

	bad := append([]events.Event(nil), good...)
	bad = append(bad, bad[len(bad)-1]) // the same event twice
	for _, r := range report.InvariantVerdicts(bad, invariant.Options{}) {
		if r.Name == invariant.IDsUnique && (r.Status != report.StatusFail || len(r.Events) == 0 || r.Events[0] != good[len(good)-1].ID) {
			t.Errorf("ids_unique on a repeated event: %+v", r)
		}
	}
}
