package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
)

// serveRewards serves, over an embedded NATS server, a market whose humans
// may each give 50 credits a day; users are NATS users with an agent's
// permissions (a human is provisioned as one), humans those the server
// knows as humans. Every user gets a client; alice and bob have accounts.
func serveRewards(t *testing.T, humans func(string) bool, users ...string) *remote {
	t.Helper()
	ns := startNATS(t, users...)
	clk := clock.NewMock()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(context.Background(), scarcity.Config{
		Resources:    []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		RewardBudget: "50", Clock: clk, Publisher: log, SigningKey: testKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Serve(context.Background(), connect(t, ns, nats.UserInfo(marketUser.Name, marketUser.Password)), m, Options{Humans: humans})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	r := &remote{ns: ns, m: m, clk: clk, log: log, srv: srv, clients: map[string]*Client{}}
	for _, u := range users {
		r.clients[u] = dialAgent(t, ns, u)
	}
	for _, a := range []string{"alice", "bob"} {
		if err := r.clients[a].OpenAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// A human rewards an agent on its own identity; only a human may, never
// itself, never as another human, and within its budget.
func TestHumanRewardsOverNATS(t *testing.T) {
	humans := func(id string) bool { return id == "carol" || id == "bob" } // bob is an agent and a human
	r := serveRewards(t, humans, "alice", "bob", "carol", "dave")
	ctx := context.Background()
	carol := r.clients["carol"]

	before := r.log.Len()
	if err := carol.Reward(ctx, "r1", "carol", "alice", dec("20"), "a clear plan"); err != nil {
		t.Fatalf("carol rewards alice: %v", err)
	}
	evs := r.log.Events(before + 1) // 1-based
	if len(evs) != 2 {
		t.Fatalf("a reward published %d events, want the mint and the reward", len(evs))
	}
	want := events.HumanRewardIssued{AgentID: "alice", Human: "carol", Amount: "20", Reason: "a clear plan", TransferID: "reward/carol/r1"}
	if diff := cmp.Diff(want, evs[1].Data); diff != "" {
		t.Errorf("human_reward_issued (-want +got):\n%s", diff)
	}
	if err := carol.Reward(ctx, "r1", "carol", "alice", dec("20"), "a clear plan"); err != nil {
		t.Errorf("retry: %v", err)
	}

	before2 := snap(r)
	for _, c := range []struct {
		name string
		call func() error
		want error
		code string
	}{
		// The client refuses to name another human, before sending.
		{"as another human", func() error { return carol.Reward(ctx, "r2", "dave", "alice", dec("1"), "") }, ErrOtherAgent, ""},
		// An agent the server does not know as a human.
		{"an agent", func() error { return r.clients["alice"].Reward(ctx, "r2", "alice", "bob", dec("1"), "") }, ErrNotHuman, CodeNotHuman},
		// A user that is neither.
		{"not a human", func() error { return r.clients["dave"].Reward(ctx, "r2", "dave", "alice", dec("1"), "") }, ErrNotHuman, CodeNotHuman},
		// A human that is also an agent cannot reward itself.
		{"self", func() error { return r.clients["bob"].Reward(ctx, "r2", "bob", "bob", dec("1"), "") }, scarcity.ErrInvalidReward, CodeInvalidReward},
		{"beyond the budget", func() error { return carol.Reward(ctx, "r2", "carol", "alice", dec("30.01"), "") }, scarcity.ErrRewardBudget, CodeRewardBudget},
		{"unknown agent", func() error { return carol.Reward(ctx, "r2", "carol", "erin", dec("1"), "") }, scarcity.ErrUnknownAgent, CodeUnknownAgent},
		{"zero", func() error { return carol.Reward(ctx, "r2", "carol", "alice", dec("0"), "") }, ErrInvalidRequest, CodeInvalidRequest},
		{"too fine", func() error { return carol.Reward(ctx, "r2", "carol", "alice", dec("0.0000001"), "") }, scarcity.ErrInvalidReward, CodeInvalidReward},
		{"reused id", func() error { return carol.Reward(ctx, "r1", "carol", "bob", dec("20"), "a clear plan") }, ledger.ErrExistsWithDifferentFields, CodeConflict},
	} {
		err := c.call()
		var e *Error
		if !errors.Is(err, c.want) || c.code != "" && (!errors.As(err, &e) || e.Code != c.code) {
			t.Errorf("%s: %v, want %v (%s)", c.name, err, c.want, c.code)
		}
	}
	if diff := cmp.Diff(before2, snap(r)); diff != "" {
		t.Errorf("refused rewards changed the market (-before +after):\n%s", diff)
	}

	// The body cannot name the human: an unknown field is refused.
	nc := connect(t, r.ns, ConnectOptions(agentUser("carol"))...)
	msg, err := nc.Request(CommandSubject(DefaultPrefix, "carol", VerbReward),
		[]byte(`{"id":"r3","agent":"alice","amount":"1","human":"dave"}`), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var resp response
	if err := json.Unmarshal(msg.Data, &resp); err != nil || resp.Error == nil || resp.Error.Code != CodeInvalidRequest {
		t.Errorf("a body naming the human: %s", msg.Data)
	}
	// Nor can carol's connection publish on dave's subject.
	violations := make(chan error, 4)
	nc = connect(t, r.ns, append(ConnectOptions(agentUser("carol")),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { violations <- err }))...)
	if _, err := nc.Request(CommandSubject(DefaultPrefix, "dave", VerbReward), []byte(`{"id":"r4","agent":"alice","amount":"1"}`), 300*time.Millisecond); err == nil {
		t.Error("a reward as dave succeeded")
	}
	select {
	case v := <-violations:
		if !errors.Is(v, nats.ErrPermissionViolation) {
			t.Errorf("async error %v, want a permissions violation", v)
		}
	case <-time.After(2 * time.Second):
		t.Error("no permissions violation reported")
	}

	// A human that is an agent rewards another; the budget is each human's.
	if err := r.clients["bob"].Reward(ctx, "r1", "bob", "alice", dec("50"), ""); err != nil {
		t.Errorf("bob rewards alice: %v", err)
	}
	if b, _ := r.m.Ledger().Balance("alice"); b.Posted.Cmp(dec("70")) != 0 {
		t.Errorf("alice has %s, want 70", b.Posted)
	}
	// A day later carol's budget is renewed.
	r.clk.Add(24 * time.Hour)
	if err := carol.Reward(ctx, "r2", "carol", "alice", dec("50"), ""); err != nil {
		t.Errorf("the next day: %v", err)
	}
}

// A server without Options.Humans refuses every reward.
func TestRewardsNeedHumans(t *testing.T) {
	r := serveRewards(t, nil, "alice", "bob", "carol")
	err := r.clients["carol"].Reward(context.Background(), "r1", "carol", "alice", dec("1"), "")
	if !errors.Is(err, ErrNotHuman) {
		t.Errorf("Reward = %v, want ErrNotHuman", err)
	}
}
