package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

// scenario is a loaded scenario and the file it came from.
type scenario struct {
	File string
	*benchkit.Scenario
}

// scenarioResult is a scenario's result and the file it came from.
type scenarioResult struct {
	File string
	benchkit.Result
}

// loadScenarios loads each scenario file of o, strictly with o.Strict. An
// unreadable or invalid file is unusable input.
func loadScenarios(o options) ([]scenario, error) {
	out := make([]scenario, 0, len(o.Scenarios))
	for _, path := range o.Scenarios {
		s, err := benchkit.LoadOptions{Strict: o.Strict}.LoadFile(path)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", path, err)
		}
		out = append(out, scenario{File: path, Scenario: s})
	}
	return out, nil
}

// evaluate evaluates each scenario over evs with opts.
func evaluate(ctx context.Context, scenarios []scenario, evs []events.Event, opts benchkit.EvalOptions) []scenarioResult {
	out := make([]scenarioResult, len(scenarios))
	for i, s := range scenarios {
		out[i] = scenarioResult{File: s.File, Result: s.Evaluate(ctx, evs, opts)}
	}
	return out
}

// scenarioRows returns the verdict rows of results: a row for each
// scenario, naming the event types it needs that no source of the system
// emits, and a row per rule.
func scenarioRows(results []scenarioResult) []report.VerdictRow {
	var rows []report.VerdictRow
	for _, res := range results {
		detail := res.Reason
		if len(res.Gaps) > 0 {
			gaps := make([]string, len(res.Gaps))
			for i, g := range res.Gaps {
				gaps[i] = g.String()
			}
			detail += " (taxonomy gaps: " + strings.Join(gaps, "; ") + ")"
		}
		rows = append(rows, report.VerdictRow{Name: res.Scenario, Kind: report.KindScenario,
			Status: status(res.Verdict), Detail: detail})
		for _, r := range res.Rules {
			rows = append(rows, report.VerdictRow{Name: res.Scenario + "/" + r.Kind, Kind: report.KindRule,
				Status: status(r.Verdict), Detail: r.Reason, Events: ids(r.Events)})
		}
	}
	return rows
}

// status returns the report status of v.
func status(v benchkit.Verdict) report.VerdictStatus {
	switch v {
	case benchkit.Pass:
		return report.StatusPass
	case benchkit.Fail:
		return report.StatusFail
	}
	return report.StatusNotEvaluated
}

// ids returns the ids of evs.
func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}
