package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
)

const secret = "test-secret"

var (
	prefixes = []string{"shard-a", "shard-b"}
	agents   = []string{"alice", "bob", "carol"}
)

// TestTwoShardsAndThreeAgents runs the whole set-up in one process: a NATS
// server with a user per market and agent, two market shards on their own
// prefixes and streams, and three agents, each on its own connection and
// credentials, trading on both. The markets' clocks are mock clocks the
// test advances, so every round is cleared when the test says.
func TestTwoShardsAndThreeAgents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := startServer(serverOptions{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(), Prefixes: prefixes, Agents: agents, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)

	shards := map[string]*shard{}
	clocks := map[string]*clock.Mock{}
	for _, p := range prefixes {
		clocks[p] = clock.NewMock()
		s, err := startShard(ctx, marketOptions{URL: ns.ClientURL(), Prefix: p, Password: password(secret, marketUser),
			Agents: agents, Credits: 100, Every: time.Minute, Clock: clocks[p], Correlation: p})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.close)
		shards[p] = s
	}
	traders := map[string][]*trader{}
	for _, a := range agents {
		nc, ts, err := dialAgent(agentOptions{URL: ns.ClientURL(), Prefixes: prefixes, Agent: a, Password: password(secret, a), Window: time.Minute})
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
// refuses to name bob, and alice's connection may not publish on bob's
// command subject, which the server reports as a permissions violation.
func TestAgentCannotActAsAnother(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ns, err := startServer(serverOptions{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(), Prefixes: prefixes, Agents: agents, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	s, err := startShard(ctx, marketOptions{URL: ns.ClientURL(), Prefix: "shard-a", Password: password(secret, marketUser),
		Agents: agents, Credits: 100, Every: time.Minute, Clock: clock.NewMock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)

	violations := make(chan error, 8)
	alice := agentapi.User{Name: "alice", Password: password(secret, "alice")}
	opts := append(agentapi.ConnectOptions(alice), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
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
	if _, err := nats.Connect(ns.ClientURL(), nats.UserInfo("alice", "wrong")); err == nil {
		t.Error("connected with a wrong password")
	}
	var _ scarcity.AgentAPI = client
}

// TestCommandLine runs the market and agent subcommands briefly against
// the embedded server, on the real clock.
func TestCommandLine(t *testing.T) {
	ns, err := startServer(serverOptions{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(), Prefixes: prefixes, Agents: agents, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	url := ns.ClientURL()
	var marketOut, agentOut bytes.Buffer
	marketDone := make(chan error, 1)
	go func() {
		marketDone <- dispatch(context.Background(), &marketOut, []string{"market", "-nats", url, "-prefix", "shard-a",
			"-agents", "alice", "-password", password(secret, marketUser), "-every", "1s", "-for", "4s"})
	}()
	err = dispatch(context.Background(), &agentOut, []string{"agent", "-nats", url, "-prefix", "shard-a", "-agent", "alice",
		"-password", password(secret, "alice"), "-window", "2s", "-every", "300ms", "-for", "3500ms"})
	if err != nil {
		t.Fatalf("agent: %v\n%s", err, agentOut.String())
	}
	if err := <-marketDone; err != nil {
		t.Fatalf("market: %v\n%s", err, marketOut.String())
	}
	for out, want := range map[*bytes.Buffer][]string{
		&marketOut: {"market shard-a: stream SHARD_A", "round ", "benchkit: PASS"},
		&agentOut:  {"alice shard-a: bid ", "alice shard-a: used 4000 tokens"},
	} {
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("output lacks %q:\n%s", w, out.String())
			}
		}
	}
}
