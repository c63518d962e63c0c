package main

import (
	"context"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// scenarioVerdicts loads each scenario file and evaluates it over evs: a
// row for the scenario, a row per rule, and one per event type it needs
// that no source of the system emits. An unreadable or invalid file is
// unusable input.
func scenarioVerdicts(ctx context.Context, files []string, evs []events.Event) ([]benchkit.VerdictRow, error) {
	var rows []benchkit.VerdictRow
	for _, path := range files {
		s, err := benchkit.LoadScenarioFile(path)
		if err != nil {
			return nil, err
		}
		res := s.Evaluate(ctx, evs, benchkit.EvalOptions{})
		rows = append(rows, benchkit.VerdictRow{Name: s.ID, Kind: benchkit.KindScenario,
			Status: status(res.Verdict), Detail: res.Reason})
		for _, r := range res.Rules {
			rows = append(rows, benchkit.VerdictRow{Name: s.ID + "/" + r.Kind, Kind: benchkit.KindRule,
				Status: status(r.Verdict), Detail: r.Reason, Events: ids(r.Events)})
		}
		for _, g := range res.Gaps {
			rows = append(rows, benchkit.VerdictRow{Name: s.ID + "/gap", Kind: benchkit.KindRule,
				Status: benchkit.StatusNotEvaluated, Detail: "needs " + g.String()})
		}
	}
	return rows, nil
}

// status returns the report status of v.
func status(v benchkit.Verdict) benchkit.VerdictStatus {
	switch v {
	case benchkit.Pass:
		return benchkit.StatusPass
	case benchkit.Fail:
		return benchkit.StatusFail
	}
	return benchkit.StatusNotEvaluated
}

// ids returns the ids of evs.
func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}
