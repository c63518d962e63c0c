package natsauth_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/natsauth"
)

// TestHostileAgent plays issue 14: an agent with its own valid credentials
// attacks a deployment through raw NATS. The server started with the
// generated configuration, over TLS, refuses every attempt; the market's
// runtime user cannot manage its stream either; afterwards the stream and
// its configuration are unchanged and another agent still trades.
func TestHostileAgent(t *testing.T) {
	d := deploy(t, "alice", "bob", "mallory")
	ctx := context.Background()
	_, _, bob := d.client("bob")
	nc, errs, mallory := d.client("mallory")
	if _, err := mallory.Balance(ctx, "mallory"); err != nil {
		t.Fatalf("mallory's own balance: %v", err)
	}
	beforeConfig, beforeMsgs := d.streamState()
	beforeBalances := balances(d.market)

	t.Run("log in as the market", func(t *testing.T) {
		marketKey, err := natsauth.PublicKey(d.files.Markets[prefix])
		if err != nil {
			t.Fatal(err)
		}
		own := keyPair(t, d.files.Agents["mallory"])
		fresh, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		freshKey, err := fresh.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		for name, opt := range map[string]nats.Option{
			"the market's public key signed with her own": nats.Nkey(marketKey, own.Sign),
			"the README's old password":                   nats.UserInfo("market", "demo"),
			"a key of her own making":                     nats.Nkey(freshKey, fresh.Sign),
			"no credentials":                              nats.Name("anonymous"),
		} {
			if c, err := d.dial(opt); err == nil {
				c.Close()
				t.Errorf("%s: connected", name)
			}
		}
	})

	t.Run("subscribe to others' subjects", func(t *testing.T) {
		subjects := []string{
			agentapi.ServeSubject(prefix), agentapi.CommandSubjects(prefix, "bob"),
			agentapi.InboxPrefix("bob") + ".>", "_INBOX.>", ">", prefix + ".>",
			natsauth.MarketInboxPrefix(prefix) + ".>", "$JS.API.>",
		}
		subjects = append(subjects, agentapi.EventSubjects(prefix, "bob")...)
		for _, s := range subjects {
			refusedSubscribe(t, nc, s)
		}
	})

	t.Run("publish another agent's command", func(t *testing.T) {
		subj := agentapi.CommandSubject(prefix, "bob", agentapi.VerbTransfer)
		if _, err := nc.Request(subj, []byte(`{"id":"steal","to":"mallory","amount":"50"}`), 500*time.Millisecond); err == nil {
			t.Errorf("request on %s answered", subj)
		}
		violation(t, errs, subj)
	})

	t.Run("JetStream API", func(t *testing.T) {
		for _, api := range []string{"STREAM.DELETE." + stream, "STREAM.UPDATE." + stream, "STREAM.PURGE." + stream,
			"CONSUMER.CREATE." + stream + ".spy", "STREAM.INFO." + stream, "STREAM.CREATE.EVIL", "INFO"} {
			subj := "$JS.API." + api
			if _, err := nc.Request(subj, []byte(`{}`), 500*time.Millisecond); err == nil {
				t.Errorf("request on %s answered", subj)
			}
			violation(t, errs, subj)
		}
	})

	t.Run("publish events", func(t *testing.T) {
		for _, subj := range []string{prefix + ".ledger.credits_minted.mallory._", prefix + ".market.bid_placed.bob._"} {
			if err := nc.Publish(subj, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			violation(t, errs, subj)
		}
	})

	t.Run("too many connections", func(t *testing.T) {
		limit := natsauth.DefaultAgentConnections
		var extra []*nats.Conn
		for i := 2; i <= limit; i++ { // nc is the first
			c, err := d.dial(d.agentOptions("mallory")...)
			if err != nil {
				t.Fatalf("connection %d of mallory: %v", i, err)
			}
			extra = append(extra, c)
		}
		c, err := d.dial(d.agentOptions("mallory")...)
		if err == nil {
			c.Close()
			t.Errorf("connection %d of mallory accepted", limit+1)
		} else if !errors.Is(err, nats.ErrMaxAccountConnectionsExceeded) {
			t.Errorf("connection %d: %v, want ErrMaxAccountConnectionsExceeded", limit+1, err)
		}
		for _, c := range extra {
			c.Close()
		}
		// Wait until the server has let the extra connections go.
		acc, err := d.ns.LookupAccount(natsauth.AgentAccount("mallory"))
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); acc.NumConnections() > 1 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	})

	t.Run("too many subscriptions", func(t *testing.T) {
		// nc holds no subscription that survived: every one was refused.
		for i := range natsauth.DefaultAgentSubscriptions + 1 {
			if _, err := nc.SubscribeSync(fmt.Sprintf("%s.s%d", agentapi.InboxPrefix("mallory"), i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, errs, "maximum subscriptions", func(err error) bool { return errors.Is(err, nats.ErrMaxSubscriptionsExceeded) })
	})

	t.Run("oversized payload", func(t *testing.T) {
		if got := nc.MaxPayload(); got != natsauth.DefaultAgentPayload {
			t.Errorf("the server tells mallory's client max payload %d, want %d", got, natsauth.DefaultAgentPayload)
		}
		// Past her own client's check, the server itself refuses.
		reply := rawPublish(t, d, d.files.Agents["mallory"], agentapi.CommandSubject(prefix, "mallory", agentapi.VerbOpen), natsauth.DefaultAgentPayload+1)
		if !strings.Contains(reply, "Maximum Payload Violation") {
			t.Errorf("server's answer to an oversized payload: %q", reply)
		}
	})

	t.Run("the market's runtime user cannot manage its stream", func(t *testing.T) {
		mopts, err := natsauth.MarketOptions(prefix, d.files.Markets[prefix])
		if err != nil {
			t.Fatal(err)
		}
		merrs := make(chan error, 16)
		mc := d.connect(append(mopts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case merrs <- err:
			default:
			}
		}))...)
		for _, api := range []string{"STREAM.DELETE." + stream, "STREAM.UPDATE." + stream, "STREAM.PURGE." + stream, "STREAM.CREATE.OTHER"} {
			subj := "$JS.API." + api
			if _, err := mc.Request(subj, []byte(`{"name":"`+stream+`"}`), 500*time.Millisecond); err == nil {
				t.Errorf("market's request on %s answered", subj)
			}
			violation(t, merrs, subj)
		}
		subj := agentapi.CommandSubject(prefix, "bob", agentapi.VerbTransfer)
		if err := mc.Publish(subj, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		violation(t, merrs, subj)

		// A request whose reply subject is the JetStream API cannot make
		// even a careless market (one that answers any reply subject,
		// unlike agentapi.Server) delete its stream.
		careless, err := mc.Subscribe(agentapi.ServeSubject(prefix), func(m *nats.Msg) {
			if m.Reply != "" {
				_ = m.Respond([]byte(`{}`))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		defer careless.Unsubscribe()
		if err := mc.Flush(); err != nil {
			t.Fatal(err)
		}
		injected := "$JS.API.STREAM.DELETE." + stream
		if err := nc.PublishRequest(agentapi.CommandSubject(prefix, "mallory", agentapi.VerbOpen), injected, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		violation(t, merrs, injected)
	})

	afterConfig, afterMsgs := d.streamState()
	if diff := cmp.Diff(beforeConfig, afterConfig); diff != "" {
		t.Errorf("stream config changed (-before +after):\n%s", diff)
	}
	if afterMsgs != beforeMsgs {
		t.Errorf("stream holds %d events, had %d", afterMsgs, beforeMsgs)
	}
	if diff := cmp.Diff(beforeBalances, balances(d.market)); diff != "" {
		t.Errorf("balances changed (-before +after):\n%s", diff)
	}

	// Bob still trades.
	err := bob.Bid(ctx, scarcity.Bid{ID: "b1", Agent: "bob", Limit: apd.New(50, 0),
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 10}, Window: bundle.Window{Duration: 10 * time.Minute}}})
	if err != nil {
		t.Fatalf("bob bids: %v", err)
	}
	d.clk.Add(time.Minute)
	if err := d.market.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := d.market.Scheduler().Active("bob"); len(got) != 1 {
		t.Errorf("bob's active bundles: %v, want one", got)
	}
	if _, n := d.streamState(); n <= beforeMsgs {
		t.Errorf("bob's trade stored no event: %d, had %d", n, beforeMsgs)
	}
}

// TestAgentsReceiveTheirEvents checks that an agent receives every event
// about it and no other: one whose id holds ':' its own, the receiver of a
// transfer the sender's credits_transferred, an agent its own emitted
// events; a bystander none of them.
func TestAgentsReceiveTheirEvents(t *testing.T) {
	d := deploy(t, "a:b", "bob", "carol")
	ctx := context.Background()
	got := map[string]<-chan string{}
	clients := map[string]*agentapi.Client{}
	for _, a := range []string{"a:b", "bob", "carol"} {
		nc, _, c := d.client(a)
		clients[a] = c
		ch := make(chan string, 64)
		for _, subj := range c.EventSubjects() {
			if _, err := nc.Subscribe(subj, func(m *nats.Msg) { ch <- describe(m) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		got[a] = ch
	}

	if err := d.market.Mint(ctx, "gift", "a:b", apd.New(5, 0), "reward"); err != nil {
		t.Fatal(err)
	}
	if err := clients["a:b"].Transfer(ctx, "pay-bob", "a:b", "bob", apd.New(10, 0)); err != nil {
		t.Fatal(err)
	}
	if err := clients["a:b"].Emit(ctx, "a:b", events.ReasoningTrace{Content: "paid bob"}); err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{
		"a:b": {"ledger credits_minted a:b", "ledger credits_transferred a:b", "agent reasoning_trace a:b"},
		"bob": {"ledger credits_transferred a:b"},
	}
	for a, ws := range want {
		for _, w := range ws {
			expect(t, got[a], a, w)
		}
	}
	select {
	case m := <-got["carol"]:
		t.Errorf("carol received %s", m)
	case <-time.After(300 * time.Millisecond):
	}
	select {
	case m := <-got["bob"]:
		t.Errorf("bob received %s", m)
	case <-time.After(100 * time.Millisecond):
	}
}

// describe returns "<source> <type> <subject>" of the event m carries.
func describe(m *nats.Msg) string {
	e, err := events.Decode(m.Data)
	if err != nil {
		return "undecodable on " + m.Subject
	}
	return fmt.Sprintf("%s %s %s", e.Source, e.Type, e.Subject)
}

// expect waits for w among the descriptions on ch, skipping others.
func expect(t *testing.T, ch <-chan string, agent, w string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-ch:
			if m == w {
				return
			}
		case <-deadline:
			t.Errorf("%s never received %q", agent, w)
			return
		}
	}
}

// balances returns every account's posted and pending balance.
func balances(m *scarcity.Market) map[string]string {
	out := map[string]string{}
	for id, b := range m.Ledger().Balances() {
		out[id] = b.Posted.Text('f') + "/" + b.Pending.Text('f')
	}
	return out
}

// keyPair reads the key pair in seedFile.
func keyPair(t *testing.T, seedFile string) nkeys.KeyPair {
	t.Helper()
	b, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.ParseDecoratedNKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// refusedSubscribe checks that the server refuses nc's subscription to
// subj.
func refusedSubscribe(t *testing.T, nc *nats.Conn, subj string) {
	t.Helper()
	sub, err := nc.SubscribeSync(subj)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(2 * time.Second); !errors.Is(err, nats.ErrPermissionViolation) {
		t.Errorf("subscription to %s: %v, want a permissions violation", subj, err)
	}
}

// violation waits for the server's permissions violation naming subj.
func violation(t *testing.T, errs <-chan error, subj string) {
	t.Helper()
	waitFor(t, errs, "permissions violation on "+subj, func(err error) bool {
		return errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subj+`"`)
	})
}

// waitFor waits for an error on errs that match accepts.
func waitFor(t *testing.T, errs <-chan error, what string, match func(error) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-errs:
			if match(err) {
				return
			}
		case <-deadline:
			t.Errorf("no %s reported", what)
			return
		}
	}
}

// rawPublish speaks the NATS protocol itself, as a client that ignores the
// server's advertised limits would: it upgrades to TLS, authenticates with
// the nkey in seedFile, publishes size bytes on subj and returns the
// server's first answer after the publish.
func rawPublish(t *testing.T, d *deployment, seedFile, subj string, size int) string {
	t.Helper()
	addr := d.ns.Addr().(*net.TCPAddr)
	conn, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Nonce       string `json:"nonce"`
		TLSRequired bool   `json:"tls_required"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(strings.TrimSpace(line), "INFO ")), &info); err != nil {
		t.Fatalf("INFO %q: %v", line, err)
	}
	if !info.TLSRequired {
		t.Fatal("the server does not require TLS")
	}
	ca, err := os.ReadFile(d.files.TLS.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	tc := tls.Client(conn, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(tc)
	kp := keyPair(t, seedFile)
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := kp.Sign([]byte(info.Nonce))
	if err != nil {
		t.Fatal(err)
	}
	connect, err := json.Marshal(map[string]any{"verbose": false, "pedantic": false, "tls_required": true,
		"nkey": pub, "sig": base64.RawURLEncoding.EncodeToString(sig), "protocol": 1, "lang": "raw", "version": "0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(tc, "CONNECT %s\r\nPING\r\n", connect); err != nil {
		t.Fatal(err)
	}
	if l := readUntil(t, r, "PONG", "-ERR"); !strings.HasPrefix(l, "PONG") {
		t.Fatalf("authentication: %q", l)
	}
	if _, err := fmt.Fprintf(tc, "PUB %s %d\r\n", subj, size); err != nil {
		t.Fatal(err)
	}
	// The server may answer and close before the payload is written.
	_, _ = fmt.Fprintf(tc, "%s\r\nPING\r\n", strings.Repeat("x", size))
	return readUntil(t, r, "PONG", "-ERR")
}

// readUntil returns the first line from r that starts with one of
// prefixes, or the read error.
func readUntil(t *testing.T, r *bufio.Reader, prefixes ...string) string {
	t.Helper()
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return "read: " + err.Error()
		}
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				return strings.TrimSpace(l)
			}
		}
	}
}
