//go:build unix

package tsagent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

const (
	agent  = "ts-agent"
	prefix = "tsmarket"
	// testTimeout bounds the whole test; agentTimeout the agent's run,
	// which the agent enforces itself (AGENT_TIMEOUT_MS) and the test
	// enforces again by killing it a little later. They are generous (the
	// run takes ~5 s, tsc ~8 s): they catch a hang, not a slow machine,
	// such as CI's with every package's tests running beside.
	testTimeout  = 3 * time.Minute
	agentTimeout = 2 * time.Minute
	// npmTimeout bounds each npm script TestTypesMatchTheSchemas runs.
	npmTimeout = 2 * time.Minute
)

// resources are what the market sells: the agent bids for both.
var resources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 100_000, Enforcement: bundle.ServiceLevel},
}

// summary is the line of JSON the agent prints last on stdout.
type summary struct {
	OK       bool   `json:"ok"`
	Agent    string `json:"agent"`
	Error    string `json:"error"`
	OrderID  string `json:"order_id"`
	BundleID string `json:"bundle_id"`
	Used     int64  `json:"used_tokens"`
}

// TestAgent runs the TypeScript agent against a market on an embedded
// NATS server with JetStream, clearing rounds while it runs, then reads
// the stream back: its invariants hold and it holds the agent's trade and
// the events the agent emitted.
func TestAgent(t *testing.T) {
	requireNodeModules(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	url, tr := startMarket(t, ctx)

	out := runAgent(t, ctx, url)
	if !out.OK || out.Agent != agent || out.BundleID == "" || out.Used <= 0 {
		t.Fatalf("agent summary %+v: want ok with a bundle used", out)
	}
	evs, err := tr.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	benchkit.AssertInvariants(t, evs)
	checkStream(t, evs, out)
}

// requireNodeModules skips the test unless npm ci has installed the
// agent's dependencies, or fails it where CI is set: CI must run it.
func requireNodeModules(t *testing.T) {
	t.Helper()
	_, err := os.Stat("node_modules")
	if err == nil {
		_, err = exec.LookPath("npx")
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but the TypeScript agent cannot run (%v): run `npm ci` in examples/tsagent", err)
	}
	t.Skipf("the TypeScript agent cannot run (%v); run `npm ci` in examples/tsagent (with CI set, this fails the test)", err)
}

// startMarket starts an embedded NATS server on a temporary directory, a
// market publishing to a stream on it, the agent's account with 1,000
// credits and the agent API, and clears rounds every second until the
// test ends. It returns the server's URL and the market's stream.
func startMarket(t *testing.T, ctx context.Context) (string, *natstransport.Transport) {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL(), nats.Name("market"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	tr, err := natstransport.Open(ctx, natstransport.Options{Conn: nc, Prefix: prefix, Stream: "TSAGENT"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	m := newMarket(t, ctx, tr)
	api, err := agentapi.Serve(ctx, nc, m, agentapi.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	runRounds(t, ctx, m)
	return srv.ClientURL(), tr
}

// newMarket builds a market on the real clock that clears every second
// and publishes to tr, and opens the agent's account with credits as the
// operator does.
func newMarket(t *testing.T, ctx context.Context, tr *natstransport.Transport) *scarcity.Market {
	t.Helper()
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources:   resources,
		Reserve:     map[string]string{"cpu": "0.0005", "tokens": "0.000001"},
		ClearEvery:  time.Second,
		Publisher:   tr,
		Correlation: "tsagent-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx, agent, apd.New(1000, 0)); err != nil {
		t.Fatal(err)
	}
	return m
}

// runRounds runs the market (a clearing round every second, activations
// and expiries when due) until the test ends, and fails the test if a
// tick failed.
func runRounds(t *testing.T, ctx context.Context, m *scarcity.Market) {
	t.Helper()
	ctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("market: %v", err)
		}
	})
}

// runAgent runs `npx tsx src/agent.ts` against the market at url, in a
// process group of its own killed when it exits or times out, and returns
// the summary it printed. It fails the test if the agent fails.
func runAgent(t *testing.T, ctx context.Context, url string) summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, agentTimeout+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npx", "--no-install", "tsx", filepath.Join("src", "agent.ts"))
	cmd.Env = append(os.Environ(), "NATS_URL="+url, "AGENT="+agent, "PREFIX="+prefix,
		"AGENT_TIMEOUT_MS="+strconv.FormatInt(agentTimeout.Milliseconds(), 10))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what it left behind
	}
	t.Logf("agent ran for %v; its log:\n%s", time.Since(start).Round(time.Millisecond), stderr.String())
	if err != nil {
		t.Fatalf("agent: %v\nstdout:\n%s", err, stdout.String())
	}
	return parseSummary(t, stdout.String())
}

// parseSummary decodes the last line of the agent's stdout.
func parseSummary(t *testing.T, stdout string) summary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("agent's last line is not its summary: %v\nstdout:\n%s", err, stdout)
	}
	return s
}

// checkStream checks that the stream holds the agent's trade — its
// bid_placed, resources_allocated and usage_recorded for the order and
// bundle its summary names — and the reasoning traces and tool calls it
// emitted, each about the agent.
func checkStream(t *testing.T, evs []events.Event, out summary) {
	t.Helper()
	found := map[events.Type]bool{}
	for _, e := range evs {
		if e.Subject != agent {
			continue
		}
		switch p := e.Data.(type) {
		case events.BidPlaced:
			found[e.Type] = found[e.Type] || p.OrderID == out.OrderID
		case events.ResourcesAllocated:
			found[e.Type] = found[e.Type] || p.OrderID == out.OrderID && p.BundleID == out.BundleID
		case events.UsageRecorded:
			found[e.Type] = found[e.Type] || p.BundleID == out.BundleID && p.Resource == "tokens"
		case events.ReasoningTrace:
			found[e.Type] = found[e.Type] || e.Source == events.SourceAgent && p.AgentID == agent && p.Decision == "use_bundle"
		case events.ToolCallInitiated:
			found[e.Type] = found[e.Type] || e.Source == events.SourceAgent && p.ToolName == "market.bid"
		case events.ToolCallCompleted:
			found[e.Type] = found[e.Type] || e.Source == events.SourceAgent && p.ToolName == "market.use" && p.Status == events.StatusSucceeded
		}
	}
	for _, typ := range []events.Type{
		events.TypeBidPlaced, events.TypeResourcesAllocated, events.TypeUsageRecorded,
		events.TypeReasoningTrace, events.TypeToolCallInitiated, events.TypeToolCallCompleted,
	} {
		if !found[typ] {
			t.Errorf("the stream of %d events holds no %s of the agent's run %+v", len(evs), typ, out)
		}
	}
}

// TestTypesMatchTheSchemas checks the agent's types against the market's
// published contract: src/contract/, which the agent imports, must be
// exactly what `npm run types` generates from contract/schemas/v1 now, and
// the agent must typecheck against it.
func TestTypesMatchTheSchemas(t *testing.T) {
	requireNodeModules(t)

	t.Run("generated", func(t *testing.T) {
		schemas, err := filepath.Abs(filepath.Join("..", "..", "contract", "schemas", "v1"))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "contract")
		if msg, err := runNpm(t, []string{"SCHEMAS_DIR=" + schemas, "TYPES_OUT=" + out}, "types"); err != nil {
			t.Fatalf("npm run types: %v\n%s", err, msg)
		}
		want, got := readTree(t, out), readTree(t, filepath.Join("src", "contract"))
		if diffs := diffTrees(want, got); len(diffs) > 0 {
			t.Fatalf("src/contract is not what the schemas in %s generate:\n  %s\n"+
				"run `npm run types` in examples/tsagent (after `go generate ./contract`) and commit src/contract",
				schemas, strings.Join(diffs, "\n  "))
		}
	})

	t.Run("typecheck", func(t *testing.T) {
		if msg, err := runNpm(t, nil, "typecheck"); err != nil {
			t.Fatalf("npm run typecheck (tsc --noEmit): %v\n%s", err, msg)
		}
	})
}

// runNpm runs `npm run --silent <script>` with env added to the test's,
// in a process group of its own killed after npmTimeout, and returns its
// combined output.
func runNpm(t *testing.T, env []string, script string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "run", "--silent", script)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (killed after %v)", err, npmTimeout)
	}
	return string(out), err
}

// readTree returns the contents of every file under dir by its slash
// path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
		files[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// diffTrees describes, file by file in path order, how got differs from
// want: a file missing, one not generated, or one whose bytes differ.
func diffTrees(want, got map[string][]byte) []string {
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var diffs []string
	for _, p := range paths {
		w, inWant := want[p]
		g, inGot := got[p]
		switch {
		case !inGot:
			diffs = append(diffs, p+": missing (the schemas generate it)")
		case !inWant:
			diffs = append(diffs, p+": not generated from any schema")
		case !bytes.Equal(w, g):
			diffs = append(diffs, p+": differs from what the schemas generate"+firstDiff(w, g))
		}
	}
	return diffs
}

// firstDiff names the first line where got differs from want.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf(" (line %d: want %q, have %q)", i+1, w, g)
		}
	}
	return ""
}
