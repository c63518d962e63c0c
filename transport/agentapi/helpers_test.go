package agentapi

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// User is a NATS user of the unit tests' server: the market's, or an
// agent's whose Name is its agent id. The unit tests authenticate with
// passwords on one NATS account, with the permissions below; deployments
// give every user its own nkey and every agent its own account (package
// natsauth, whose tests play a hostile agent against them).
type User struct {
	Name     string
	Password string
}

// marketUser is the market's NATS user in tests.
var marketUser = User{Name: "market", Password: "market-secret"}

// agentUser returns the NATS user of agent in tests.
func agentUser(agent string) User { return User{Name: agent, Password: agent + "-secret"} }

// ConnectOptions returns the nats.Connect options of u in tests: its
// password and, for an agent, its inbox prefix.
func ConnectOptions(u User) []nats.Option {
	return []nats.Option{nats.UserInfo(u.Name, u.Password), nats.CustomInboxPrefix(InboxPrefix(u.Name))}
}

// agentPermissions returns the permissions of agent under prefix in tests:
// it may publish only its own commands and subscribe only to its own inbox
// and to the events about it.
func agentPermissions(prefix, agent string) *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{CommandSubjects(prefix, agent)}},
		Subscribe: &server.SubjectPermission{Allow: append([]string{InboxPrefix(agent) + ".>"}, EventSubjects(prefix, agent)...)},
	}
}

// startNATS starts an embedded NATS server whose users are the market (all
// rights) and agents (agentPermissions under DefaultPrefix).
func startNATS(tb testing.TB, agents ...string) *server.Server {
	tb.Helper()
	users := []*server.User{{Username: marketUser.Name, Password: marketUser.Password}}
	for _, a := range agents {
		u := agentUser(a)
		users = append(users, &server.User{Username: u.Name, Password: u.Password, Permissions: agentPermissions(DefaultPrefix, a)})
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, Users: users, NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		tb.Fatal("nats server not ready")
	}
	tb.Cleanup(ns.Shutdown)
	return ns
}

// connect connects to ns with opts.
func connect(tb testing.TB, ns *server.Server, opts ...nats.Option) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(ns.ClientURL(), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// testKey signs the chains of the test markets.
var testKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// newMarket returns a market on a mock clock that publishes to a log: cpu
// is OS-level, tokens service-level.
func newMarket(tb testing.TB) (*scarcity.Market, *clock.Mock, *events.Log) {
	tb.Helper()
	clk := clock.NewMock()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(context.Background(), scarcity.Config{
		Resources: []bundle.Resource{
			{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
			{Name: "tokens", Unit: "token", Capacity: 1000, Enforcement: bundle.ServiceLevel},
		},
		ClearEvery: time.Minute,
		Clock:      clk,
		Publisher:  log,
		SigningKey: testKey, // one key: markets of the same commands publish the same events
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m, clk, log
}

// remote is a market served over an embedded NATS server.
type remote struct {
	ns      *server.Server
	m       *scarcity.Market
	clk     *clock.Mock
	log     *events.Log
	srv     *Server
	clients map[string]*Client
}

// serveMarket serves a new market for agents and dials a client for each.
func serveMarket(tb testing.TB, agents ...string) *remote {
	tb.Helper()
	ns := startNATS(tb, agents...)
	m, clk, log := newMarket(tb)
	srv, err := Serve(context.Background(), connect(tb, ns, nats.UserInfo(marketUser.Name, marketUser.Password)), m, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	r := &remote{ns: ns, m: m, clk: clk, log: log, srv: srv, clients: map[string]*Client{}}
	for _, a := range agents {
		r.clients[a] = dialAgent(tb, ns, a)
	}
	return r
}

// dialAgent connects as agent and returns its client.
func dialAgent(tb testing.TB, ns *server.Server, agent string) *Client {
	tb.Helper()
	c, err := Dial(connect(tb, ns, ConnectOptions(agentUser(agent))...), agent, Options{Timeout: 2 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// codeOf returns the code of err as the server would send it, "ok" for
// nil.
func codeOf(err error) string {
	if err == nil {
		return "ok"
	}
	for _, c := range codes {
		if errors.Is(err, c.sentinel) {
			return c.code
		}
	}
	return "other: " + err.Error()
}

// dec parses a decimal literal.
func dec(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return d
}

// decimalEqual compares apd decimals by value.
func decimalEqual(a, b *apd.Decimal) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Cmp(b) == 0
}

// bidOf returns a ten-minute bid.
func bidOf(id, agent string, q map[string]int64, limit string) scarcity.Bid {
	return scarcity.Bid{ID: id, Agent: agent, Limit: dec(limit),
		Bundle: bundle.Bundle{Quantities: q, Window: bundle.Window{Duration: 10 * time.Minute}}}
}
