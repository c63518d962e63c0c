package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// quickstart is the stream of one run of the quickstart example, made once
// for every test.
var quickstart struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) != "" {
		main() // the test binary is verify, for TestVerifyFollowSignal
	}
	code := m.Run()
	if quickstart.dir != "" {
		os.RemoveAll(quickstart.dir)
	}
	os.Exit(code)
}

// quickstartStream runs the quickstart example once and returns the file
// its stream was written to.
func quickstartStream(t *testing.T) string {
	t.Helper()
	q := &quickstart
	q.once.Do(func() {
		if q.dir, q.err = os.MkdirTemp("", "verify-test-"); q.err != nil {
			return
		}
		q.path = filepath.Join(q.dir, "quickstart.jsonl")
		cmd := exec.Command("go", "run", "../quickstart", "-agents", "10", "-minutes", "5", "-events", q.path)
		q.out, q.err = cmd.CombinedOutput()
	})
	if q.err != nil {
		t.Fatalf("quickstart: %v\n%s", q.err, q.out)
	}
	return q.path
}

// complete are the flags under which every invariant check of the
// quickstart stream is evaluated: the catalog's capacities and a spend
// limit the run keeps to.
var complete = []string{"--capacity", "cpu=100", "--capacity", "memory=16384", "--capacity", "tokens=200000",
	"--spend", "tokens=200000/1h"}

// verify runs verify with o and returns its output and exit status.
func verify(t *testing.T, o options) (string, int) {
	t.Helper()
	var out, errs bytes.Buffer
	code := exitCode(&errs, run(context.Background(), &out, o))
	return out.String() + errs.String(), code
}

// verifyArgs runs verify with the command-line arguments args and an
// environment of env alone, and returns its stdout, its stderr and its
// exit status.
func verifyArgs(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errs bytes.Buffer
	code := cli(context.Background(), args, &out, &errs, func(k string) string { return env[k] })
	return out.String(), errs.String(), code
}

// writeFile writes text to name in a new temporary directory and returns
// its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tamperedStream returns a copy of the stream at path with one payment
// changed.
func tamperedStream(t *testing.T, path string) string {
	t.Helper()
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
	var buf bytes.Buffer
	if err := benchkit.WriteJSONL(&buf, evs); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "tampered.jsonl", buf.String())
}

func TestVerifyQuickstartStream(t *testing.T) {
	path := quickstartStream(t)
	dir := t.TempDir()
	out, errs, code := verifyArgs(t, nil, append([]string{"--events", path, "--report", dir}, complete...)...)
	if code != exitPass || !strings.Contains(out, "pass           invariant credits_conserved") {
		t.Fatalf("exit %d:\n%s%s", code, out, errs)
	}
	for _, name := range []string{"report.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("no %s: %v", name, err)
		}
	}

	// A copy with one transfer amount changed fails, naming the invariant.
	text, code := verify(t, options{Events: tamperedStream(t, path)})
	if code != exitFail || !strings.Contains(text, "fail           invariant credits_conserved") {
		t.Errorf("tampered stream: exit %d:\n%s", code, text)
	}
}

func TestVerifyExitCodes(t *testing.T) {
	path := quickstartStream(t)
	bids := writeFile(t, "bids.json", `{"task_id": "t1", "validation": {"required_events": [{"type": "bid_placed"}]}}`)
	garbage := writeFile(t, "garbage.jsonl", "{not json\n")
	tests := []struct {
		name string
		args []string
		code int
		text string // in stdout or stderr
	}{
		{"every check evaluated", complete, exitPass, "pass           invariant spend_within_limit"},
		{"passing scenario", append([]string{"--scenario", bids}, complete...), exitPass, "pass           scenario  t1"},
		{"capacity exceeded", []string{"--capacity", "cpu=1", "--capacity", "memory=16384", "--capacity", "tokens=200000"}, exitFail,
			"verify: verification failed: capacity_respected"},
		{"no capacities", nil, exitNotEvaluated, "verify: not evaluated: capacity_respected, spend_within_limit"},
		{"scenario not evaluated", append([]string{"--scenario", writeFile(t, "ext.json",
			`{"task_id": "t2", "validation": {"custom_rule": {"x": 1}}}`)}, complete...), exitNotEvaluated, "not evaluated: scenario t2"},
		{"stray argument", []string{bids}, exitUnusable, "unexpected argument"},
		{"stray argument after flags", []string{"--json", "extra"}, exitUnusable, `unexpected argument "extra": verify takes no positional arguments`},
		{"stray argument with --follow", []string{"--follow", "extra"}, exitUnusable, `unexpected argument "extra"`},
		{"interval without --follow", []string{"--interval", "5s"}, exitUnusable, "--interval goes with --follow"},
		{"interval too short", []string{"--follow", "--interval", "1ms"}, exitUnusable, "--interval 1ms: want from 10ms to 1h0m0s"},
		{"interval too long", []string{"--follow", "--interval", "2h"}, exitUnusable, "--interval 2h0m0s: want from 10ms to 1h0m0s"},
		{"interval not a duration", []string{"--follow", "--interval", "soon"}, exitUnusable, "invalid value \"soon\" for flag -interval"},
		{"follow with json", []string{"--follow", "--json"}, exitUnusable, "--json does not go with --follow"},
		{"unknown flag", []string{"--bogus"}, exitUnusable, "flag provided but not defined: -bogus"},
		{"capacity without number", []string{"--capacity", "cpu"}, exitUnusable, "want RESOURCE=N"},
		{"capacity zero", []string{"--capacity", "cpu=0"}, exitUnusable, "want RESOURCE=N"},
		{"capacity negative", []string{"--capacity", "cpu=-5"}, exitUnusable, "want RESOURCE=N"},
		{"capacity fraction", []string{"--capacity", "cpu=1.5"}, exitUnusable, "want RESOURCE=N"},
		{"capacity no resource", []string{"--capacity", "=5"}, exitUnusable, "want RESOURCE=N"},
		{"capacity twice", []string{"--capacity", "cpu=5", "--capacity", "cpu=6"}, exitUnusable, "a second capacity of cpu"},
		{"spend without window", []string{"--spend", "tokens=5"}, exitUnusable, "want RESOURCE=LIMIT/WINDOW"},
		{"empty judge", []string{"--judge", " "}, exitUnusable, "empty command"},
		{"missing judge", []string{"--judge", "/no/such/judge --fast"}, exitUnusable, "unusable input: --judge: exec: \"/no/such/judge\""},
		{"missing scenario", []string{"--scenario", "none.json"}, exitUnusable, "unusable input: scenario none.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := verifyArgs(t, nil, append([]string{"--events", path}, tt.args...)...)
			if code != tt.code || !strings.Contains(out+errs, tt.text) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tt.code, tt.text, out, errs)
			}
			if code == exitUnusable && (strings.Contains(tt.name, "argument") || strings.Contains(tt.name, "interval")) &&
				!strings.Contains(errs, "Exit status:") {
				t.Errorf("no usage:\n%s", errs)
			}
		})
	}
	t.Run("malformed stream", func(t *testing.T) {
		if _, errs, code := verifyArgs(t, nil, "--events", garbage); code != exitUnusable || !strings.Contains(errs, "unusable input") {
			t.Errorf("exit %d:\n%s", code, errs)
		}
	})
}

// TestVerifyHelp checks that -h prints the usage: examples, every flag
// defined and every exit status constant with its meaning.
func TestVerifyHelp(t *testing.T) {
	out, errs, code := verifyArgs(t, nil, "-h")
	if code != exitPass || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"Usage:", "Examples:", "Exit status:", "0  every check", "1  a check or a scenario fails",
		"2  unusable input", "3  nothing failed", "-capacity RESOURCE=N", "-password-file FILE", "VERIFY_PASSWORD",
		"verify --events run.jsonl", "verify --nats nats://host:4222 --stream MARKET", "verify --follow", "--scenario task.json"} {
		if !strings.Contains(errs, want) {
			t.Errorf("usage lacks %q:\n%s", want, errs)
		}
	}
	var names []string
	newFlagSet(&options{}, io.Discard).VisitAll(func(f *flag.Flag) {
		names = append(names, f.Name)
		if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f.Name) + `\b`).MatchString(errs) {
			t.Errorf("usage lacks the flag -%s:\n%s", f.Name, errs)
		}
	})
	if !slices.Contains(names, "follow") || !slices.Contains(names, "interval") {
		t.Errorf("flags %v", names)
	}
	codes := exitConstants(t)
	if len(codes) != len(exitStatuses) {
		t.Errorf("exit constants %v, exitStatuses %v", codes, exitStatuses)
	}
	for name, code := range codes {
		meaning := ""
		for _, s := range exitStatuses {
			if s.Code == code {
				meaning = s.Meaning
			}
		}
		if meaning == "" || !strings.Contains(strings.Join(strings.Fields(errs), " "), fmt.Sprintf(" %d %s ", code, meaning)) {
			t.Errorf("usage lacks %s (%d) and its meaning %q:\n%s", name, code, meaning, errs)
		}
	}
}

// exitConstants returns the constants named exit... of the package's
// source, by name, with their values.
func exitConstants(t *testing.T) map[string]int {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, path := range pkgs {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				for i, name := range v.Names {
					if !strings.HasPrefix(name.Name, "exit") {
						continue
					}
					lit, ok := v.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: %s is not a literal", fset.Position(name.Pos()), name.Name)
					}
					code, err := strconv.Atoi(lit.Value)
					if err != nil {
						t.Fatalf("%s: %s: %v", fset.Position(name.Pos()), name.Name, err)
					}
					out[name.Name] = code
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no exit constants")
	}
	return out
}

func TestVerifyUnusableInput(t *testing.T) {
	garbage := writeFile(t, "garbage.jsonl", "{not json\n")
	for name, o := range map[string]options{
		"no input":         {},
		"both inputs":      {Events: garbage, NATS: "nats://127.0.0.1:1"},
		"missing file":     {Events: filepath.Join(t.TempDir(), "none.jsonl")},
		"malformed file":   {Events: garbage},
		"nats no stream":   {NATS: "nats://127.0.0.1:1"},
		"missing scenario": {Events: garbage, Scenarios: []string{"none.json"}},
	} {
		if text, code := verify(t, o); code != exitUnusable || !strings.Contains(text, "unusable input") {
			t.Errorf("%s: exit %d:\n%s", name, code, text)
		}
	}
}

func TestVerifyScenario(t *testing.T) {
	path := quickstartStream(t)
	scenario := writeFile(t, "no_rejection.json", `{"task_id": "t1", "validation": {"required_events": [{"type": "bid_placed"}],
		"forbidden_events": [{"type": "agent_terminated", "reason": "never"}]}}`)
	text, code := verify(t, options{Events: path, Scenarios: []string{scenario}})
	if code != exitNotEvaluated || !strings.Contains(text, "pass           scenario  t1") {
		t.Errorf("exit %d:\n%s", code, text)
	}
}

// TestVerifyAgent checks that --agent is the scenarios' agent under test:
// agent-03 of the quickstart placed bids, nobody did not.
func TestVerifyAgent(t *testing.T) {
	path := quickstartStream(t)
	bids := writeFile(t, "bids.json", `{"task_id": "t1", "validation": {"required_events": [{"type": "bid_placed"}]}}`)
	for agent, want := range map[string]int{"agent-03": exitPass, "nobody": exitFail} {
		out, errs, code := verifyArgs(t, nil, append([]string{"--events", path, "--scenario", bids, "--agent", agent}, complete...)...)
		if code != want {
			t.Errorf("--agent %s: exit %d, want %d:\n%s%s", agent, code, want, out, errs)
		}
	}
}

// TestVerifyStrict checks that --strict refuses a misspelt rule key, which
// is otherwise kept as a rule of its own that nothing evaluates.
func TestVerifyStrict(t *testing.T) {
	path := quickstartStream(t)
	misspelt := writeFile(t, "misspelt.json", `{"task_id": "t1", "validation": {"required_events": [{"type": "bid_placed"}],
		"forbiden_events": [{"type": "agent_terminated"}]}}`)
	args := append([]string{"--events", path, "--scenario", misspelt}, complete...)
	if out, errs, code := verifyArgs(t, nil, args...); code != exitNotEvaluated {
		t.Errorf("lenient: exit %d, want %d:\n%s%s", code, exitNotEvaluated, out, errs)
	}
	out, errs, code := verifyArgs(t, nil, append(args, "--strict")...)
	if code != exitUnusable || !strings.Contains(errs, "forbiden_events") {
		t.Errorf("--strict: exit %d, want %d naming forbiden_events:\n%s%s", code, exitUnusable, out, errs)
	}
}
