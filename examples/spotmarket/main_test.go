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
