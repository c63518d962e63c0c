package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
)

// short runs the market briefly on transport and returns its output and
// output directory.
func short(t *testing.T, transport string, seed uint64) (string, string) {
	t.Helper()
	dir := t.TempDir()
	var out bytes.Buffer
	o := options{Agents: 40, Duration: 20 * time.Minute, Seed: seed, Mechanism: "greedy", Reserve: "utilisation",
		Transport: transport, Out: dir}
	if err := run(context.Background(), &out, o); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	return out.String(), dir
}

func TestSpotmarketOverEmbeddedNATS(t *testing.T) {
	text, dir := short(t, "embedded", 1)
	for _, want := range []string{"benchkit: PASS", "20 rounds", "service_denied", "truthful", "hoarding"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	f, err := os.Open(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := benchkit.ReadJSONL(f)
	if err != nil {
		t.Fatal(err)
	}
	benchkit.AssertInvariants(t, evs)
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "credits_conserved", "capacity_respected", "cpu"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestSpotmarketPricesMove(t *testing.T) {
	text, _ := short(t, "memory", 2)
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) == 5 && f[0] == "cpu" {
			if f[2] == f[4] {
				t.Errorf("the cpu price never moved: %q", line)
			}
			return
		}
	}
	t.Errorf("no cpu line in:\n%s", text)
}

func TestSpotmarketIsTheSameOnEveryTransport(t *testing.T) {
	memory, memoryDir := short(t, "memory", 3)
	nats, natsDir := short(t, "embedded", 3)
	memory = strings.ReplaceAll(memory, memoryDir, "DIR")
	nats = strings.ReplaceAll(nats, natsDir, "DIR")
	if memory != nats {
		t.Errorf("the same seed gave different runs:\n%s\n---\n%s", memory, nats)
	}
}

func TestSpotmarketRejectsBadFlags(t *testing.T) {
	for _, o := range []options{
		{Agents: 10, Duration: time.Hour, Mechanism: "sealed-envelope", Reserve: "utilisation", Transport: "memory"},
		{Agents: 10, Duration: time.Hour, Mechanism: "greedy", Reserve: "whim", Transport: "memory"},
		{Agents: 0, Duration: time.Hour, Mechanism: "greedy", Reserve: "utilisation", Transport: "memory"},
	} {
		if err := run(context.Background(), &bytes.Buffer{}, o); err == nil {
			t.Errorf("run(%+v) succeeded", o)
		}
	}
}

// TestSpotmarketKilledAndReopened kills the market halfway through a run
// over embedded NATS and reopens it from its newest snapshot: the run goes
// on to the end and passes every check over the whole stream.
func TestSpotmarketKilledAndReopened(t *testing.T) {
	var out bytes.Buffer
	o := options{Agents: 40, Duration: 20 * time.Minute, Seed: 4, Mechanism: "greedy", Reserve: "utilisation",
		Transport: "embedded", KillAt: 15 * time.Minute, Out: t.TempDir()}
	if err := run(context.Background(), &out, o); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"killed the market at 09:15; reopened it from snapshot spotmarket-4/", "benchkit: PASS"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// TestSpotmarketStopsCleanly cancels the run, as SIGINT does, before it
// starts: it stops between rounds, still checks and writes what it has.
func TestSpotmarketStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	o := options{Agents: 10, Duration: 20 * time.Minute, Seed: 1, Mechanism: "greedy", Reserve: "utilisation",
		Transport: "embedded", Out: dir}
	if err := run(ctx, &out, o); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"stopped by a signal after 0 of 20 rounds", "benchkit: PASS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, name := range []string{"events.jsonl", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
}

// TestSpotmarketCommandLine checks the habits of the command line: stray
// arguments and bad flags are usage errors, -version prints the version,
// an -out it cannot write is refused before the run, and a mechanism that
// cannot trade the agents' bundles is warned of.
func TestSpotmarketCommandLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"-agents"}, exitUsage, "", "flag needs an argument"},
		{[]string{"-version"}, exitOK, "spotmarket ", ""},
		{[]string{"-h"}, exitOK, "", "Exit codes: 0 ok, 1 the run or an invariant failed, 2 usage."},
		{[]string{"-data", t.TempDir(), "-transport", "memory"}, exitUsage, "", "-data is the embedded server's store"},
		{[]string{"-out", filepath.Join(file, "sub"), "-transport", "memory"}, exitFailure, "", "-out"},
		{[]string{"-log", "xml", "-transport", "memory", "-out", ""}, exitFailure, "", `log format "xml"`},
		{[]string{"-mechanism", "kda", "-agents", "10", "-duration", "3m", "-transport", "memory", "-out", "", "-quiet"},
			exitOK, "benchkit: PASS", "clears one resource per bid"},
	} {
		var stdout, stderr bytes.Buffer
		code := mainWith(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, stdout.String(), stderr.String())
		}
	}
}

// TestSpotmarketMetricsAndLogs serves metrics while the market runs and
// logs as JSON: the log holds the rounds' summaries at debug.
func TestSpotmarketMetricsAndLogs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := mainWith([]string{"-agents", "10", "-duration", "3m", "-transport", "memory", "-out", "", "-metrics", "127.0.0.1:0",
		"-log", "json", "-log-level", "DEBUG"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"metrics at http://127.0.0.1:", `"msg":"round cleared"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}
