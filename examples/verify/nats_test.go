package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// streamConfigJSON returns the configuration of the stream name on js as
// JSON, to compare byte for byte.
func streamConfigJSON(t *testing.T, js jetstream.JetStream, name string) string {
	t.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatalf("Stream %s: %v", name, err)
	}
	b, err := json.Marshal(s.CachedInfo().Config)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestVerifyLiveNATSStream runs verify against the stream of a market with
// prefix "shard-a" while the market keeps publishing to it: verify reads it
// (with no --prefix or the right one; its unchained events, with no
// capacities or spend limit, leave checks not evaluated) or fails clearly (a wrong --prefix, an
// unknown stream), and never changes the stream, so every publish of the
// market succeeds. Verify used to update the stream's subjects to the
// default prefix, and the market was fenced.
func TestVerifyLiveNATSStream(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	market, err := natstransport.Open(ctx, natstransport.Options{URL: srv.URL(), Prefix: "shard-a", Stream: "S"})
	if err != nil {
		t.Fatal(err)
	}
	defer market.Close()
	js := market.JetStream()
	before := streamConfigJSON(t, js, "S")

	// The market publishes batches, one after another, until stopped.
	seq := events.NewSequencer(events.SourceScheduler, "market", 0)
	var mu sync.Mutex
	acked := 0
	publishBatch := func(i int) error {
		b := seq.Batch(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second))
		agent := fmt.Sprintf("agent-%d", i%3)
		b.Add(agent, events.AgentAwake{AgentID: agent})
		b.Add(agent, events.AgentDormant{AgentID: agent})
		if err := b.Publish(ctx, market); err != nil {
			return fmt.Errorf("batch %d: %w", i, err)
		}
		mu.Lock()
		acked += b.Len()
		mu.Unlock()
		return nil
	}
	if err := publishBatch(0); err != nil {
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := publishBatch(i); err != nil {
				done <- err
				return
			}
		}
	}()
	stopped := false
	stopMarket := func() error {
		if stopped {
			return nil
		}
		stopped = true
		close(stop)
		return <-done
	}
	defer stopMarket()

	tests := []struct {
		name   string
		stream string
		prefix string
		code   int
		text   string
	}{
		{"no prefix", "S", "", exitNotEvaluated, "pass           invariant"},
		{"right prefix", "S", "shard-a", exitNotEvaluated, "pass           invariant"},
		{"default prefix", "S", "scarcity", 2, "prefix does not match the stream"},
		{"other prefix", "S", "shard-b", 2, "prefix does not match the stream"},
		{"unknown stream", "NOPE", "", 2, "no such stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			ackedBefore := acked
			mu.Unlock()
			text, code := verify(t, options{NATS: srv.URL(), Stream: tt.stream, Prefix: tt.prefix})
			if code != tt.code || !strings.Contains(text, tt.text) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tt.code, tt.text, text)
			}
			if code == exitUnusable {
				return
			}
			var n int
			if _, err := fmt.Sscanf(text, "%d events", &n); err != nil || n < ackedBefore {
				t.Errorf("verify read %d events (%v), %d were acknowledged before:\n%s", n, err, ackedBefore, text)
			}
		})
	}

	if err := stopMarket(); err != nil {
		t.Fatalf("the market's publish failed: %v", err)
	}
	if diff := cmp.Diff(before, streamConfigJSON(t, js, "S")); diff != "" {
		t.Errorf("stream config changed (-before +after):\n%s", diff)
	}
	if _, err := js.Stream(ctx, "NOPE"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("stream NOPE after verify: %v, want not found", err)
	}

}

// startPasswordServer starts a NATS server with JetStream whose one user is
// user with password, and returns its URL.
func startPasswordServer(t *testing.T, user, password string) string {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	if !srv.ReadyForConnections(natstest.ReadyTimeout) {
		t.Fatal("server not ready")
	}
	return srv.ClientURL()
}

// TestVerifyNATSCredentials reads a stream from a server that needs a user
// and password: from VERIFY_PASSWORD or --password-file, never a flag.
func TestVerifyNATSCredentials(t *testing.T) {
	ctx := context.Background()
	url := startPasswordServer(t, "auditor", "s3cret")
	nc, err := nats.Connect(url, nats.UserInfo("auditor", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	market, err := natstransport.Open(ctx, natstransport.Options{Conn: nc, Stream: "S"})
	if err != nil {
		t.Fatal(err)
	}
	defer market.Close()
	b := events.NewSequencer(events.SourceScheduler, "market", 0).Batch(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	b.Add("alice", events.AgentAwake{AgentID: "alice"})
	if err := b.Publish(ctx, market); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	right, wrong := filepath.Join(dir, "right"), filepath.Join(dir, "wrong")
	garbageCreds := filepath.Join(dir, "garbage.creds")
	for path, text := range map[string]string{right: "s3cret\n", wrong: "guess\n", garbageCreds: "not credentials\n"} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{passwordEnv: "s3cret"}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		text string
	}{
		{"password from the environment", env, []string{"--user", "auditor"}, exitNotEvaluated, "1 events"},
		{"password file", nil, []string{"--user", "auditor", "--password-file", right}, exitNotEvaluated, "1 events"},
		{"password file over the environment", env, []string{"--user", "auditor", "--password-file", wrong}, exitUnusable, "unusable input: connect"},
		{"no credentials", env, nil, exitUnusable, "unusable input: connect"},
		{"no password", nil, []string{"--user", "auditor"}, exitUnusable, "--user needs a password: set VERIFY_PASSWORD"},
		{"missing password file", nil, []string{"--user", "auditor", "--password-file", filepath.Join(dir, "none")}, exitUnusable, "--password-file"},
		{"missing creds", nil, []string{"--creds", filepath.Join(dir, "none.creds")}, exitUnusable, "--creds"},
		{"garbage creds", nil, []string{"--creds", garbageCreds}, exitUnusable, "unusable input: connect"},
		{"creds and user", env, []string{"--creds", garbageCreds, "--user", "auditor"}, exitUnusable, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--nats", url, "--stream", "S"}, tt.args...)
			out, errs, code := verifyArgs(t, tt.env, args...)
			if code != tt.code || !strings.Contains(out+errs, tt.text) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tt.code, tt.text, out, errs)
			}
			if strings.Contains(out+errs, "s3cret") {
				t.Errorf("the password is in the output:\n%s%s", out, errs)
			}
		})
	}
	t.Run("credentials without --nats", func(t *testing.T) {
		if _, errs, code := verifyArgs(t, env, "--events", "x.jsonl", "--user", "auditor"); code != exitUnusable || !strings.Contains(errs, "go with --nats") {
			t.Errorf("exit %d:\n%s", code, errs)
		}
	})
}
