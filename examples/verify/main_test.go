package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// quickstartStream runs the quickstart example and returns the file its
// stream was written to.
func quickstartStream(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "quickstart.jsonl")
	cmd := exec.Command("go", "run", "../quickstart", "-agents", "10", "-minutes", "5", "-events", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("quickstart: %v\n%s", err, out)
	}
	return path
}

func verify(t *testing.T, o options) (string, int) {
	t.Helper()
	var out, errs bytes.Buffer
	code := exitCode(&errs, run(context.Background(), &out, o))
	return out.String() + errs.String(), code
}

func TestVerifyQuickstartStream(t *testing.T) {
	path := quickstartStream(t)
	dir := t.TempDir()
	text, code := verify(t, options{Events: path, Report: dir})
	if code != 0 || !strings.Contains(text, "pass           invariant credits_conserved") {
		t.Fatalf("exit %d:\n%s", code, text)
	}
	for _, name := range []string{"report.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("no %s: %v", name, err)
		}
	}

	// A copy with one transfer amount changed fails, naming the invariant.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := benchkit.ReadJSONL(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	tampered := false
	for i, e := range evs {
		if c, ok := e.Data.(events.HoldCaptured); ok && !tampered {
			c.Amount = c.Amount + "1"
			evs[i].Data, tampered = c, true
		}
	}
	if !tampered {
		t.Fatal("the stream has no payment to tamper with")
	}
	bad := filepath.Join(t.TempDir(), "tampered.jsonl")
	var buf bytes.Buffer
	if err := benchkit.WriteJSONL(&buf, evs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	text, code = verify(t, options{Events: bad})
	if code != 1 || !strings.Contains(text, "fail           invariant credits_conserved") {
		t.Errorf("tampered stream: exit %d:\n%s", code, text)
	}
}

func TestVerifyUnusableInput(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.jsonl")
	if err := os.WriteFile(garbage, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]options{
		"no input":         {},
		"both inputs":      {Events: garbage, NATS: "nats://127.0.0.1:1"},
		"missing file":     {Events: filepath.Join(t.TempDir(), "none.jsonl")},
		"malformed file":   {Events: garbage},
		"nats no stream":   {NATS: "nats://127.0.0.1:1"},
		"missing scenario": {Events: garbage, Scenarios: []string{"none.json"}},
	} {
		if text, code := verify(t, o); code != 2 || !strings.Contains(text, "unusable input") {
			t.Errorf("%s: exit %d:\n%s", name, code, text)
		}
	}
}

func TestVerifyScenario(t *testing.T) {
	path := quickstartStream(t)
	scenario := filepath.Join(t.TempDir(), "no_rejection.json")
	body := `{"task_id": "t1", "validation": {"required_events": [{"type": "bid_placed"}],
		"forbidden_events": [{"type": "agent_terminated", "reason": "never"}]}}`
	if err := os.WriteFile(scenario, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	text, code := verify(t, options{Events: path, Scenarios: []string{scenario}})
	if code != 0 || !strings.Contains(text, "pass           scenario  t1") {
		t.Errorf("exit %d:\n%s", code, text)
	}
}
