package agentapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity/sched"
)

// snapshot is what must not change when a request is refused.
type snapshot struct {
	Events   uint64
	Balances map[string]string
}

func snap(r *remote) snapshot {
	s := snapshot{Events: r.log.Len(), Balances: map[string]string{}}
	for id, b := range r.m.Ledger().Balances() {
		s.Balances[id] = b.Posted.Text('f') + "/" + b.Pending.Text('f')
	}
	return s
}

// funded opens and funds agents in r.
func funded(t *testing.T, r *remote, agents ...string) {
	t.Helper()
	ctx := context.Background()
	for _, a := range agents {
		if err := r.clients[a].OpenAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := r.m.Mint(ctx, "grant-"+a, a, dec("100"), "grant"); err != nil {
			t.Fatal(err)
		}
	}
}

// Alice's connection cannot publish on Bob's subjects: the NATS server
// refuses, nothing reaches the market, and nothing changes.
func TestAgentCannotActAsAnother(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	funded(t, r, "alice", "bob")
	before := snap(r)

	violations := make(chan error, 8)
	nc := connect(t, r.ns, append(ConnectOptions(agentUser("alice")),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { violations <- err }))...)
	body := []byte(`{"id":"steal","to":"alice","amount":"50"}`)
	_, err := nc.Request(CommandSubject(DefaultPrefix, "bob", VerbTransfer), body, 300*time.Millisecond)
	if err == nil {
		t.Fatal("request as bob succeeded")
	}
	select {
	case v := <-violations:
		if !errors.Is(v, nats.ErrPermissionViolation) {
			t.Errorf("async error %v, want a permissions violation", v)
		}
	case <-time.After(2 * time.Second):
		t.Error("no permissions violation reported")
	}
	if diff := cmp.Diff(before, snap(r)); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}

	// The client refuses locally, and cannot be dialled as another agent.
	ctx := context.Background()
	if err := r.clients["alice"].Transfer(ctx, "steal", "bob", "alice", dec("50")); !errors.Is(err, ErrOtherAgent) {
		t.Errorf("Transfer from bob by alice's client = %v, want ErrOtherAgent", err)
	}
	if _, err := Dial(nc, "bob", Options{}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Dial as bob on alice's connection = %v, want ErrInvalidOptions", err)
	}
	if diff := cmp.Diff(before, snap(r)); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
}

// An agent cannot read another's replies: subscribing to its inbox is
// refused by the NATS server.
func TestAgentCannotReadAnothersInbox(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	nc := connect(t, r.ns, append(ConnectOptions(agentUser("alice")), nats.PermissionErrOnSubscribe(true), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))...)
	sub, err := nc.SubscribeSync(InboxPrefix("bob") + ".>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(time.Second); !errors.Is(err, nats.ErrPermissionViolation) {
		t.Errorf("NextMsg on bob's inbox = %v, want a permissions violation", err)
	}
}

// A request whose reply subject is not the agent's own inbox is dropped
// unexecuted.
func TestReplyOutsideInboxIsDropped(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	bob := connect(t, r.ns, ConnectOptions(agentUser("bob"))...)
	spy, err := bob.SubscribeSync(InboxPrefix("bob") + ".>")
	if err != nil {
		t.Fatal(err)
	}
	alice := connect(t, r.ns, ConnectOptions(agentUser("alice"))...)
	before := snap(r)
	if err := alice.PublishRequest(CommandSubject(DefaultPrefix, "alice", VerbOpen), InboxPrefix("bob")+".x", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := alice.Flush(); err != nil {
		t.Fatal(err)
	}
	if m, err := spy.NextMsg(300 * time.Millisecond); err == nil {
		t.Errorf("bob received %q", m.Data)
	}
	if diff := cmp.Diff(before, snap(r)); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
}

// An agent can commit or cancel only its own reservations.
func TestReservationOfAnotherAgent(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	funded(t, r, "alice", "bob")
	ctx := context.Background()
	alice, bob := r.clients["alice"], r.clients["bob"]
	bid := bidOf("a1", "alice", map[string]int64{"tokens": 50}, "80")
	if err := alice.Bid(ctx, bid); err != nil {
		t.Fatal(err)
	}
	r.clk.Add(time.Minute)
	if err := r.m.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := alice.Reserve(ctx, "alice", "tokens", 20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	before := snap(r)
	if err := bob.Commit(ctx, "bob", id, 20); !errors.Is(err, sched.ErrUnknownReservation) {
		t.Errorf("bob commits alice's reservation: %v, want ErrUnknownReservation", err)
	}
	if err := bob.CancelReservation(ctx, "bob", id); !errors.Is(err, sched.ErrUnknownReservation) {
		t.Errorf("bob cancels alice's reservation: %v, want ErrUnknownReservation", err)
	}
	if diff := cmp.Diff(before, snap(r)); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
	if err := alice.Commit(ctx, "alice", id, 20); err != nil {
		t.Errorf("alice commits her reservation: %v", err)
	}
}

// An agent can read its own events but not another's: subscribing to
// another agent's event subjects is refused by the NATS server.
func TestAgentCannotReadAnothersEvents(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	nc := connect(t, r.ns, append(ConnectOptions(agentUser("alice")), nats.PermissionErrOnSubscribe(true), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))...)
	own, err := nc.SubscribeSync(DefaultPrefix + ".ledger.*.alice.*")
	if err != nil {
		t.Fatal(err)
	}
	other, err := nc.SubscribeSync(DefaultPrefix + ".ledger.*.bob.*")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.NextMsg(time.Second); !errors.Is(err, nats.ErrPermissionViolation) {
		t.Errorf("NextMsg on bob's ledger events = %v, want a permissions violation", err)
	}
	if _, err := own.NextMsg(100 * time.Millisecond); errors.Is(err, nats.ErrPermissionViolation) {
		t.Errorf("alice may not read her own events: %v", err)
	}
}
