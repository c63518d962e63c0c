package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// waitLimit bounds how long a test waits for verify's output: far longer
// than any machine needs, so that a slow one does not fail a test.
const waitLimit = 2 * time.Minute

// output is verify's stdout or stderr, written while a test reads it.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.changed)
	o.changed = make(chan struct{})
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the output has a line matching re, and fails the test
// if none comes within waitLimit.
func (o *output) waitFor(t *testing.T, re string) {
	t.Helper()
	rx := regexp.MustCompile("(?m)" + re)
	timeout := time.After(waitLimit)
	for {
		o.mu.Lock()
		text, changed := o.buf.String(), o.changed
		o.mu.Unlock()
		if rx.MatchString(text) {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no line matching %q after %v:\n%s", re, waitLimit, text)
		}
	}
}

// forbidDormant is a scenario that passes until an agent goes dormant.
const forbidDormant = `{"task_id": "t1", "validation": {"forbidden_events": [{"type": "agent_dormant"}]}}`

// publishWave publishes the events of wave 1 (two agents awake, which
// forbidDormant passes) or wave 2 (one agent dormant, which it fails) of
// seq to p.
func publishWave(t *testing.T, seq *events.Sequencer, p events.Publisher, wave int) {
	t.Helper()
	b := seq.Batch(time.Date(2025, 1, 2, 3, 4, wave, 0, time.UTC))
	switch wave {
	case 1:
		b.Add("alice", events.AgentAwake{AgentID: "alice"})
		b.Add("bob", events.AgentAwake{AgentID: "bob"})
	case 2:
		b.Add("alice", events.AgentDormant{AgentID: "alice"})
	}
	if err := b.Publish(context.Background(), p); err != nil {
		t.Fatalf("wave %d: %v", wave, err)
	}
}

// followLine matches a line --follow prints: the time, the position, the
// verdict.
var followLine = regexp.MustCompile(`^(\S+) ((?:seq|line) \d+) (final: \d+ events|(\S+)\s+(\S+)\s+([^:]+)(?::.*)?)$`)

// checkFollowOutput checks every line of a --follow output: the time is
// RFC 3339, the position is pos's kind, and before the final verdicts no
// verdict is printed again with the status it had when last printed. It
// returns the final verdicts' lines, without their heads.
func checkFollowOutput(t *testing.T, out, pos string) []string {
	t.Helper()
	last := map[string]string{}
	var final []string
	inFinal := false
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		m := followLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %q is not a --follow line", line)
			continue
		}
		if _, err := time.Parse(time.RFC3339, m[1]); err != nil {
			t.Errorf("line %q: %v", line, err)
		}
		if !strings.HasPrefix(m[2], pos+" ") {
			t.Errorf("line %q: position is not %s N", line, pos)
		}
		switch {
		case strings.HasPrefix(m[3], "final:"):
			inFinal = true
		case inFinal:
			final = append(final, m[3])
		default:
			key := m[5] + " " + m[6]
			if s, ok := last[key]; ok && s == m[4] {
				t.Errorf("line %q: %s printed again unchanged", line, key)
			}
			last[key] = m[4]
		}
	}
	if !inFinal {
		t.Errorf("no final verdicts:\n%s", out)
	}
	return final
}

// TestVerifyFollowNATS follows a live NATS stream: a first wave of events
// passes the scenario, a second wave fails it, and the output shows the
// change at the second wave's stream position; cancelling prints the final
// verdicts and exits with their status. The stream's configuration is as
// before, no durable consumer is left, and the market publishes on.
func TestVerifyFollowNATS(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	market, err := natstransport.Open(ctx, natstransport.Options{URL: srv.URL(), Prefix: "shard-a", Stream: "S"})
	if err != nil {
		t.Fatal(err)
	}
	defer market.Close()
	js := market.JetStream()
	before := streamConfigJSON(t, js, "S")
	seq := events.NewSequencer(events.SourceScheduler, "run-1", 0)
	publishWave(t, seq, market, 1)

	scenario := writeFile(t, "forbid.json", forbidDormant)
	followCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdout, stderr := newOutput(), newOutput()
	code := make(chan int, 1)
	go func() {
		code <- cli(followCtx, []string{"--follow", "--interval", "20ms", "--nats", srv.URL(), "--stream", "S",
			"--scenario", scenario}, stdout, stderr, func(string) string { return "" })
	}()
	stdout.waitFor(t, `^\S+ seq 2 pass\s+scenario\s+t1: `)
	publishWave(t, seq, market, 2)
	stdout.waitFor(t, `^\S+ seq 3 fail\s+scenario\s+t1: `)
	stdout.waitFor(t, `^\S+ seq 3 fail\s+rule\s+t1/forbidden_events: `)
	cancel()
	if got := <-code; got != exitFail {
		t.Errorf("exit %d, want %d:\n%s%s", got, exitFail, stdout, stderr)
	}
	final := checkFollowOutput(t, stdout.String(), "seq")
	if !strings.Contains(stdout.String(), " seq 3 final: 3 events\n") || !containsPrefix(final, "fail           scenario  t1:") {
		t.Errorf("final verdicts:\n%s", stdout)
	}
	if !strings.Contains(stderr.String(), "verify: verification failed:") {
		t.Errorf("stderr %q", stderr)
	}

	if diff := cmp.Diff(before, streamConfigJSON(t, js, "S")); diff != "" {
		t.Errorf("stream config changed (-before +after):\n%s", diff)
	}
	st, err := js.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	consumers := st.ListConsumers(ctx)
	for c := range consumers.Info() {
		if c.Config.Durable != "" {
			t.Errorf("verify left a durable consumer %q", c.Config.Durable)
		}
	}
	if err := consumers.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		t.Errorf("listing consumers: %v", err)
	}
	publishWave(t, seq, market, 1) // the market is not fenced
}

// containsPrefix reports whether a line of lines starts with prefix.
func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// fileWriter is a Publisher that appends events to a JSON-lines file.
func fileWriter(t *testing.T, path string) events.Publisher {
	return events.PublisherFunc(func(_ context.Context, evs ...events.Event) error {
		var buf bytes.Buffer
		if err := benchkit.WriteJSONL(&buf, evs); err != nil {
			return err
		}
		return appendFile(path, buf.Bytes())
	})
}

// appendFile appends b to the file at path.
func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// TestVerifyFollowFile follows a file as tail -f does: the second wave,
// appended, fails the scenario at its line; cancelling prints the final
// verdicts, writes the report and exits with their status.
func TestVerifyFollowFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.jsonl")
	seq := events.NewSequencer(events.SourceScheduler, "run-1", 0)
	publishWave(t, seq, fileWriter(t, path), 1)
	scenario := writeFile(t, "forbid.json", forbidDormant)
	dir := t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := newOutput(), newOutput()
	code := make(chan int, 1)
	go func() {
		code <- cli(ctx, []string{"--follow", "--interval", "20ms", "--events", path, "--scenario", scenario, "--report", dir},
			stdout, stderr, func(string) string { return "" })
	}()
	stdout.waitFor(t, `^\S+ line 2 pass\s+scenario\s+t1: `)
	publishWave(t, seq, fileWriter(t, path), 2)
	stdout.waitFor(t, `^\S+ line 3 fail\s+scenario\s+t1: `)
	cancel()
	if got := <-code; got != exitFail {
		t.Errorf("exit %d, want %d:\n%s%s", got, exitFail, stdout, stderr)
	}
	final := checkFollowOutput(t, stdout.String(), "line")
	if !strings.Contains(stdout.String(), " line 3 final: 3 events\n") || !containsPrefix(final, "fail           scenario  t1:") {
		t.Errorf("final verdicts:\n%s", stdout)
	}
	for _, name := range []string{"report.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("no %s: %v", name, err)
		}
	}
}

// TestVerifyFollowEmpty checks that following a stream that stays empty
// ends, when stopped, as unusable input.
func TestVerifyFollowEmpty(t *testing.T) {
	path := writeFile(t, "empty.jsonl", "")
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newOutput(), newOutput()
	code := make(chan int, 1)
	go func() {
		code <- cli(ctx, []string{"--follow", "--interval", "20ms", "--events", path}, stdout, stderr, func(string) string { return "" })
	}()
	cancel() // whether before the first read or after it, no events were read

	if got := <-code; got != exitUnusable || !strings.Contains(stderr.String(), errNoEvents.Error()) {
		t.Errorf("exit %d, want %d:\n%s%s", got, exitUnusable, stdout, stderr)
	}
}

// TestVerifyFollowMalformed checks that a malformed line appended to a
// followed file ends the following as unusable input, naming its line.
func TestVerifyFollowMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.jsonl")
	seq := events.NewSequencer(events.SourceScheduler, "run-1", 0)
	publishWave(t, seq, fileWriter(t, path), 1)
	stdout, stderr := newOutput(), newOutput()
	code := make(chan int, 1)
	go func() {
		code <- cli(context.Background(), []string{"--follow", "--interval", "20ms", "--events", path}, stdout, stderr,
			func(string) string { return "" })
	}()
	stdout.waitFor(t, `^\S+ line 2 `)
	if err := appendFile(path, []byte("{not json\n")); err != nil {
		t.Fatal(err)
	}
	if got := <-code; got != exitUnusable || !strings.Contains(stderr.String(), "line 3:") {
		t.Errorf("exit %d, want %d naming line 3:\n%s%s", got, exitUnusable, stdout, stderr)
	}
}

// TestFileTail reads a growing file as tail -f does: lines as their
// newlines come, a last line once whole, blank lines counted, and a file
// that shrinks or has a malformed line refused.
func TestFileTail(t *testing.T) {
	var buf bytes.Buffer
	seq := events.NewSequencer(events.SourceScheduler, "run-1", 0)
	publishWave(t, seq, events.PublisherFunc(func(_ context.Context, evs ...events.Event) error {
		return benchkit.WriteJSONL(&buf, evs)
	}), 1)
	lines := strings.SplitAfter(buf.String(), "\n") // two events, then ""
	line1, line2 := lines[0], lines[1]
	path := filepath.Join(t.TempDir(), "live.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ft, err := openFileTail(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ft.f.Close()
	steps := []struct {
		name   string
		append string
		events int
		pos    string
		err    string
	}{
		{"empty", "", 0, "line 0", ""},
		{"half a line", line1[:len(line1)/2], 0, "line 0", ""},
		{"the rest of it", line1[len(line1)/2:], 1, "line 1", ""},
		{"a blank line", "\n", 0, "line 2", ""},
		{"a last line whole, no newline", strings.TrimSuffix(line2, "\n"), 1, "line 3", ""},
		{"its newline", "\n", 0, "line 3", ""},
		{"a malformed line", "{not json\n", 0, "line 4", "benchkit: line 4:"},
	}
	for _, s := range steps {
		if err := appendFile(path, []byte(s.append)); err != nil {
			t.Fatal(err)
		}
		evs, err := ft.read()
		if len(evs) != s.events || ft.pos() != s.pos || (err == nil) != (s.err == "") ||
			(err != nil && !strings.Contains(err.Error(), s.err)) {
			t.Errorf("%s: %d events at %s, error %v; want %d at %s, error %q", s.name, len(evs), ft.pos(), err, s.events, s.pos, s.err)
		}
	}
	if err := os.Truncate(path, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := ft.read(); err == nil || !strings.Contains(err.Error(), "shrank") {
		t.Errorf("after a truncation: %v, want shrank", err)
	}
}

// TestFollowerLimit checks maxFollowEvents' overflow policy: following
// stops with unusable input naming the limit.
func TestFollowerLimit(t *testing.T) {
	f := &follower{w: io.Discard, limit: 2}
	two := make([]events.Event, 2)
	if err := f.add(batch{evs: two, pos: "seq 2"}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if err := f.add(batch{evs: two[:1], pos: "seq 3"}); err == nil || !strings.Contains(err.Error(), "at most 2 events") {
		t.Errorf("over the limit: %v", err)
	}
}

// runMainEnv, when set, makes the test binary run verify's main with its
// arguments (see TestMain), for TestVerifyFollowSignal.
const runMainEnv = "VERIFY_TEST_RUN_MAIN"

// TestVerifyFollowSignal runs verify --follow as a process of its own and
// stops it with SIGINT and with SIGTERM: it prints the final verdicts and
// exits with their status.
func TestVerifyFollowSignal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.jsonl")
	seq := events.NewSequencer(events.SourceScheduler, "run-1", 0)
	publishWave(t, seq, fileWriter(t, path), 1)
	publishWave(t, seq, fileWriter(t, path), 2)
	scenario := writeFile(t, "forbid.json", forbidDormant)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "--follow", "--interval", "20ms", "--events", path, "--scenario", scenario)
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			pipe, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			sc := bufio.NewScanner(pipe)
			var out strings.Builder
			for sc.Scan() { // the first verdicts are printed: the signal handler is set
				fmt.Fprintln(&out, sc.Text())
				if strings.Contains(sc.Text(), "scenario  t1") {
					break
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(pipe)
			out.Write(rest)
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitFail {
				t.Errorf("%v, want exit status %d:\n%s%s", err, exitFail, &out, &stderr)
			}
			final := checkFollowOutput(t, out.String(), "line")
			if !containsPrefix(final, "fail           scenario  t1:") {
				t.Errorf("final verdicts:\n%s", &out)
			}
		})
	}
}
