package main

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/scarcitylabs/scarcity/benchkit/report"
)

// document is the JSON document --json prints: verify's own, stable
// shape, not benchkit's types marshalled as they are. Statuses and
// verdicts are "pass", "fail" or "not_evaluated".
type document struct {
	// Status is the outcome: fail if a check or a scenario failed, else
	// not_evaluated if one was not evaluated, else pass. The exit status
	// says the same.
	Status report.VerdictStatus `json:"status"`
	// Events is the number of events checked.
	Events    int            `json:"events"`
	Checks    []checkJSON    `json:"checks"`
	Scenarios []scenarioJSON `json:"scenarios"`
}

// checkJSON is the outcome of one invariant check.
type checkJSON struct {
	Name   string               `json:"name"`
	Status report.VerdictStatus `json:"status"`
	Detail string               `json:"detail,omitempty"`
	// Events are the ids of the events the verdict rests on.
	Events []string `json:"events,omitempty"`
}

// scenarioJSON is the outcome of one scenario.
type scenarioJSON struct {
	File      string               `json:"file"`
	ID        string               `json:"id"`
	Verdict   report.VerdictStatus `json:"verdict"`
	Reason    string               `json:"reason"`
	Condition string               `json:"condition,omitempty"`
	// Error is set when the condition names an outcome no rule defined.
	Error string     `json:"error,omitempty"`
	Rules []ruleJSON `json:"rules"`
	// Unbound are the names of the condition bound to nothing, each with
	// why ("name: reason").
	Unbound []string `json:"unbound,omitempty"`
	// Gaps are the event types the scenario needs that no source of the
	// system emits.
	Gaps []string `json:"gaps,omitempty"`
	// Malformed are the events whose data could not be read.
	Malformed []string `json:"malformed,omitempty"`
	// Events is the number of events the rules saw.
	Events int `json:"events"`
}

// ruleJSON is the outcome of one rule of a scenario.
type ruleJSON struct {
	Kind    string               `json:"kind"`
	Verdict report.VerdictStatus `json:"verdict"`
	Reason  string               `json:"reason"`
	// Events are the ids of the events that decided the verdict.
	Events []string `json:"events,omitempty"`
	// Values are the named numbers the rule exposes, exact: a decimal or
	// "num/den".
	Values map[string]string `json:"values,omitempty"`
}

// newDocument returns the document of a verification of n events whose
// outcome is the error run returns.
func newDocument(n int, outcome error, checks []report.VerdictRow, results []scenarioResult) document {
	d := document{Status: report.StatusPass, Events: n, Checks: []checkJSON{}, Scenarios: []scenarioJSON{}}
	switch {
	case errors.Is(outcome, errFailed):
		d.Status = report.StatusFail
	case errors.Is(outcome, errNotEvaluated):
		d.Status = report.StatusNotEvaluated
	}
	for _, c := range checks {
		d.Checks = append(d.Checks, checkJSON{Name: c.Name, Status: c.Status, Detail: c.Detail, Events: c.Events})
	}
	for _, r := range results {
		d.Scenarios = append(d.Scenarios, newScenarioJSON(r))
	}
	return d
}

// newScenarioJSON returns the JSON of one scenario's result.
func newScenarioJSON(r scenarioResult) scenarioJSON {
	s := scenarioJSON{File: r.File, ID: r.Scenario, Verdict: status(r.Verdict), Reason: r.Reason,
		Condition: r.Condition, Rules: []ruleJSON{}, Events: r.Events}
	if r.Err != nil {
		s.Error = r.Err.Error()
	}
	for _, rr := range r.Rules {
		j := ruleJSON{Kind: rr.Kind, Verdict: status(rr.Verdict), Reason: rr.Reason, Events: ids(rr.Events)}
		if len(rr.Values) > 0 {
			j.Values = make(map[string]string, len(rr.Values))
			for k, v := range rr.Values {
				j.Values[k] = v.String()
			}
		}
		s.Rules = append(s.Rules, j)
	}
	s.Unbound = r.Unbound
	for _, g := range r.Gaps {
		s.Gaps = append(s.Gaps, g.String())
	}
	for _, err := range r.Malformed {
		s.Malformed = append(s.Malformed, err.Error())
	}
	return s
}

// writeJSON writes d to w, indented.
func writeJSON(w io.Writer, d document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
