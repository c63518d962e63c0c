package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
)

// TestVerifyJSON checks that --json prints one JSON document, and nothing
// else, on stdout: the checks and every scenario's verdict and rules.
func TestVerifyJSON(t *testing.T) {
	path := quickstartStream(t)
	pass := writeFile(t, "pass.json", `{"task_id": "t1", "validation": {"required_events": [{"type": "bid_placed"}]}}`)
	fail := writeFile(t, "fail.json", `{"task_id": "t2", "validation": {"forbidden_events": [{"type": "bid_placed"}]}}`)
	out, errs, code := verifyArgs(t, nil, append([]string{"--events", path, "--json", "--scenario", pass, "--scenario", fail}, complete...)...)
	if code != exitFail {
		t.Errorf("exit %d, want %d:\n%s", code, exitFail, errs)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var d document
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("stdout is not the document: %v\n%s", err, out)
	}
	if dec.More() {
		t.Errorf("more than one document on stdout:\n%s", out)
	}
	if d.Status != report.StatusFail || d.Events == 0 || len(d.Checks) != len(invariant.Names) || len(d.Scenarios) != 2 {
		t.Fatalf("document %+v", d)
	}
	for _, c := range d.Checks {
		if c.Status != report.StatusPass {
			t.Errorf("check %+v", c)
		}
	}
	s1, s2 := d.Scenarios[0], d.Scenarios[1]
	if s1.ID != "t1" || s1.File != pass || s1.Verdict != report.StatusPass || len(s1.Rules) != 1 ||
		s1.Rules[0].Kind != benchkit.KindRequiredEvents || s1.Rules[0].Verdict != report.StatusPass || len(s1.Rules[0].Events) == 0 {
		t.Errorf("scenario t1 %+v", s1)
	}
	if s2.ID != "t2" || s2.Verdict != report.StatusFail || s2.Reason == "" || len(s2.Rules) != 1 ||
		s2.Rules[0].Verdict != report.StatusFail || s2.Rules[0].Reason == "" {
		t.Errorf("scenario t2 %+v", s2)
	}
}

// TestVerifyJSONNotEvaluated checks the document's status without
// capacities, and that it has empty lists rather than nulls.
func TestVerifyJSONNotEvaluated(t *testing.T) {
	out, _, code := verifyArgs(t, nil, "--events", quickstartStream(t), "--json")
	var d map[string]any
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != exitNotEvaluated || d["status"] != "not_evaluated" {
		t.Errorf("exit %d, status %v", code, d["status"])
	}
	if s, ok := d["scenarios"].([]any); !ok || len(s) != 0 {
		t.Errorf("scenarios %v, want []", d["scenarios"])
	}
}
