package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/natsauth"
)

var (
	prefixes = []string{"shard-a", "shard-b"}
	agents   = []string{"alice", "bob", "carol"}
)

// startTestServer starts the server command's server on a random port,
// its files in a temporary directory.
func startTestServer(t *testing.T) (*server.Server, natsauth.Files) {
	t.Helper()
	ns, files, err := startServer(serverOptions{Dir: t.TempDir(), Host: "127.0.0.1", Port: -1, Prefixes: prefixes, Agents: agents})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	return ns, files
}

// TestTwoShardsAndThreeAgents runs the whole set-up in one process: a NATS
// server (TLS, a key per user, an account per agent), two market shards on
// their own prefixes and provisioned streams, and three agents, each on its
// own connection and key, trading on both. The markets' clocks are mock clocks the
// test advances, so every round is cleared when the test says.
func TestTwoShardsAndThreeAgents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, files := startTestServer(t)

	shards := map[string]*shard{}
	clocks := map[string]*clock.Mock{}
	for _, p := range prefixes {
		clocks[p] = clock.NewMock()
		s, err := startShard(ctx, marketOptions{URL: ns.ClientURL(), CA: files.TLS.CAFile, Creds: files.Markets[p], Prefix: p,
			Agents: agents, Credits: 100, Every: time.Minute, Clock: clocks[p], Correlation: p})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.close)
		shards[p] = s
	}
	traders := map[string][]*trader{}
	for _, a := range agents {
		nc, ts, err := dialAgent(agentOptions{URL: ns.ClientURL(), CA: files.TLS.CAFile, Creds: files.Agents[a], Prefixes: prefixes, Agent: a, Window: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		traders[a] = ts
	}

	// Four rounds: the agents bid, use their bundles once they hold them,
	// and bid again once they expire.
	for range 4 {
		stepAll(ctx, t, traders)
		for _, p := range prefixes {
			clocks[p].Add(time.Minute)
			if err := shards[p].market.Tick(ctx); err != nil {
				t.Fatalf("%s: tick: %v", p, err)
			}
		}
	}

	for _, p := range prefixes {
		evs, err := shards[p].verdict(ctx)
		if err != nil {
			t.Errorf("%s: benchkit: %v", p, err)
		}
		allocated, used := map[string]int{}, map[string]int{}
		for _, e := range evs {
			switch e.Type {
			case events.TypeResourcesAllocated:
				allocated[e.Subject]++
			case events.TypeUsageRecorded:
				used[e.Subject]++
			}
			if e.Correlation != p {
				t.Errorf("%s: stream holds an event of %q", p, e.Correlation)
			}
		}
		for _, a := range agents {
			if allocated[a] < 2 || used[a] == 0 {
				t.Errorf("%s: %s won %d bundles and used tokens %d times; want at least 2 and 1", p, a, allocated[a], used[a])
			}
		}
	}
}

// stepAll lets every agent take one step on every shard, the agents
// concurrently.
func stepAll(ctx context.Context, t *testing.T, traders map[string][]*trader) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(traders)*len(prefixes))
	for _, ts := range traders {
		for _, tr := range ts {
			wg.Go(func() {
				if _, err := tr.step(ctx); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAgentCannotActAsAnother checks the door is locked: alice's client
// refuses to name bob, alice's connection may not publish on bob's command
// subject, which the server reports as a permissions violation, and no
// one connects without a key of the configuration or without verifying
// the server's certificate.
func TestAgentCannotActAsAnother(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ns, files := startTestServer(t)
	s, err := startShard(ctx, marketOptions{URL: ns.ClientURL(), CA: files.TLS.CAFile, Creds: files.Markets["shard-a"], Prefix: "shard-a",
		Agents: agents, Credits: 100, Every: time.Minute, Clock: clock.NewMock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)

	violations := make(chan error, 8)
	alice, err := agentapi.NkeyOptions("alice", files.Agents["alice"])
	if err != nil {
		t.Fatal(err)
	}
	opts := append(alice, nats.RootCAs(files.TLS.CAFile), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		violations <- err
	}))
	nc, err := nats.Connect(ns.ClientURL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	client, err := agentapi.Dial(nc, "alice", agentapi.Options{Prefix: "shard-a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Balance(ctx, "alice"); err != nil {
		t.Fatalf("alice's own balance: %v", err)
	}
	if _, err := client.Balance(ctx, "bob"); !errors.Is(err, agentapi.ErrOtherAgent) {
		t.Errorf("alice's client asked for bob's balance: got %v, want ErrOtherAgent", err)
	}
	subject := agentapi.CommandSubject("shard-a", "bob", agentapi.VerbBalance)
	if _, err := nc.Request(subject, []byte("{}"), time.Second); err == nil {
		t.Errorf("alice's request on %s was answered", subject)
	}
	select {
	case err := <-violations:
		if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), subject) {
			t.Errorf("got %v, want a permissions violation on %s", err, subject)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no permissions violation reported for %s", subject)
	}

	stranger, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := stranger.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string][]nats.Option{
		"a key not in the configuration":  {nats.Nkey(pub, stranger.Sign), nats.RootCAs(files.TLS.CAFile)},
		"a password":                      {nats.UserInfo("market", "demo"), nats.RootCAs(files.TLS.CAFile)},
		"without verifying the server":    alice,
		"alice's key, bob's inbox prefix": append(slices.Clone(alice), nats.RootCAs(files.TLS.CAFile), nats.CustomInboxPrefix(agentapi.InboxPrefix("bob"))),
	} {
		c, err := nats.Connect(ns.ClientURL(), append(opts, nats.MaxReconnects(0))...)
		if name == "alice's key, bob's inbox prefix" {
			// She connects, but hears nothing: her requests' replies would
			// go to bob's inbox, which she may not subscribe to.
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Request(agentapi.CommandSubject("shard-a", "alice", agentapi.VerbBalance), []byte("{}"), 500*time.Millisecond); err == nil {
				t.Errorf("%s: answered", name)
			}
			c.Close()
			continue
		}
		if err == nil {
			c.Close()
			t.Errorf("connected with %s", name)
		}
	}
	var _ scarcity.AgentAPI = client
}

// TestCommandLine runs the market and agent subcommands briefly against
// the embedded server, on the real clock.
func TestCommandLine(t *testing.T) {
	ns, files := startTestServer(t)
	url := ns.ClientURL()
	var marketOut, agentOut bytes.Buffer
	marketDone := make(chan error, 1)
	go func() {
		marketDone <- dispatch(context.Background(), &marketOut, []string{"market", "-nats", url, "-ca", files.TLS.CAFile,
			"-creds", files.Markets["shard-a"], "-prefix", "shard-a", "-agents", "alice", "-every", "1s", "-for", "4s"})
	}()
	err := dispatch(context.Background(), &agentOut, []string{"agent", "-nats", url, "-ca", files.TLS.CAFile,
		"-creds", files.Agents["alice"], "-prefix", "shard-a", "-agent", "alice", "-events",
		"-window", "2s", "-every", "300ms", "-for", "3500ms"})
	if err != nil {
		t.Fatalf("agent: %v\n%s", err, agentOut.String())
	}
	if err := <-marketDone; err != nil {
		t.Fatalf("market: %v\n%s", err, marketOut.String())
	}
	for out, want := range map[*bytes.Buffer][]string{
		&marketOut: {"market shard-a: stream SHARD_A", "round ", "benchkit: PASS"},
		&agentOut:  {"alice shard-a: bid ", "alice shard-a: used 4000 tokens", "event market bid_placed about alice", "event scheduler usage_recorded about alice"},
	} {
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("output lacks %q:\n%s", w, out.String())
			}
		}
	}
}

// TestServerCommand checks that the server command writes the files and
// prints their paths and the commands to run, and never a seed.
func TestServerCommand(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // print, then return at once
	var out bytes.Buffer
	err := dispatch(ctx, &out, []string{"server", "-dir", dir, "-port", "-1", "-prefixes", "shard-a,shard-b", "-agents", "alice,a:b"})
	if err != nil {
		t.Fatal(err)
	}
	seeds, err := filepath.Glob(filepath.Join(dir, "*.nk"))
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) != 5 {
		t.Errorf("seed files %v, want 5", seeds)
	}
	for _, f := range seeds {
		seed, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), strings.TrimSpace(string(seed))) {
			t.Errorf("the output holds the seed of %s", f)
		}
		if !strings.Contains(out.String(), f) {
			t.Errorf("the output does not name %s", f)
		}
	}
	for _, w := range []string{filepath.Join(dir, "nats.conf"), filepath.Join(dir, "ca.pem"), "market -nats tls://", "-creds " + filepath.Join(dir, "agent.a%3Ab.nk") + " -agent a:b"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	if strings.Contains(out.String(), "password") {
		t.Errorf("the output mentions a password:\n%s", out.String())
	}
}
