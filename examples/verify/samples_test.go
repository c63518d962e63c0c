package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/internal/samples"
)

// update rewrites the sample streams in testdata/samples from runs of the
// scripted sample agents:
//
//	go test ./examples/verify -run TestSampleStreams -update
var update = flag.Bool("update", false, "rewrite testdata/samples from runs of the scripted sample agents")

// scenarioDir holds the benchmark's sample scenarios.
const scenarioDir = "../../benchkit/testdata/scenarios"

// sampleFlags are the checks' settings for a RunScenario market: its
// default resources' capacities, and a spend limit no run reaches.
var sampleFlags = []string{"--agent", "agent", "--strict",
	"--capacity", "cpu=100", "--capacity", "memory=16384", "--capacity", "tokens=1000000",
	"--spend", "tokens=1000000/1h"}

// Every sample scenario, with a stream that passes and one that fails,
// decided through verify from JSON Lines files.
func TestSampleStreams(t *testing.T) {
	for _, c := range samples.Cases() {
		for _, good := range []bool{true, false} {
			name, want := strings.TrimSuffix(c.File, ".json")+".pass.jsonl", 0
			if !good {
				name, want = strings.TrimSuffix(c.File, ".json")+".fail.jsonl", 1
			}
			path := filepath.Join("testdata", "samples", name)
			if *update {
				writeSampleStream(t, c, good, path)
			}
			t.Run(name, func(t *testing.T) {
				args := append([]string{"--events", path, "--scenario", filepath.Join(scenarioDir, c.File)}, sampleFlags...)
				out, errs, code := verifyArgs(t, nil, args...)
				if code != want {
					t.Errorf("exit %d, want %d\n%s%s", code, want, out, errs)
				}
			})
		}
	}
}

// writeSampleStream runs c's good or bad agent and writes its stream.
func writeSampleStream(t *testing.T, c samples.Case, good bool, path string) {
	t.Helper()
	s, err := benchkit.LoadScenarioFile(filepath.Join(scenarioDir, c.File))
	if err != nil {
		t.Fatal(err)
	}
	agent := c.Bad()
	if good {
		agent = c.Good()
	}
	_, evs, err := samples.Run(context.Background(), s, agent)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := benchkit.WriteJSONL(f, evs); err != nil {
		t.Fatal(err)
	}
}
