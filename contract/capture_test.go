package contract_test

import (
	"context"
	"crypto/ed25519"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// The subject prefixes of the market's stream and commands, and of the
// side stream a bare ledger publishes to (see closeAccount).
const (
	prefix       = "contract"
	ledgerPrefix = "contractledger"
)

// The agents of the scenario, and the human who rewards them.
const (
	alice = "alice"
	bob   = "bob"
	carol = "carol"
	human = "hana"
)

// message is one message seen on the NATS server.
type message struct {
	Subject string
	Reply   string
	Data    []byte
}

// traffic is every message the recorder saw: the command requests, the
// messages on inboxes (replies among them) by subject, and the events on
// the streams' subjects.
type traffic struct {
	Requests []message
	Inbox    map[string][]byte
	Events   []message
}

// recorder captures traffic on its own plain NATS connection.
type recorder struct {
	nc *nats.Conn
	mu sync.Mutex
	t  traffic
}

// record subscribes a new connection to url to the command subjects of
// prefix, to every inbox and to the subjects of the streams of prefixes.
func record(tb testing.TB, url string, prefixes ...string) *recorder {
	tb.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	r := &recorder{nc: nc, t: traffic{Inbox: map[string][]byte{}}}
	subscribe(tb, nc, prefix+".cmd.v1.>", r.request)
	subscribe(tb, nc, "_INBOX.>", r.inbox)
	for _, p := range prefixes {
		for _, s := range natstransport.StreamSubjects(p) {
			subscribe(tb, nc, s, r.event)
		}
	}
	if err := nc.Flush(); err != nil {
		tb.Fatal(err)
	}
	return r
}

// subscribe subscribes nc to subject with handle.
func subscribe(tb testing.TB, nc *nats.Conn, subject string, handle nats.MsgHandler) {
	tb.Helper()
	if _, err := nc.Subscribe(subject, handle); err != nil {
		tb.Fatal(err)
	}
}

// request records a command request.
func (r *recorder) request(m *nats.Msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Requests = append(r.t.Requests, message{Subject: m.Subject, Reply: m.Reply, Data: m.Data})
}

// inbox records a message on an inbox.
func (r *recorder) inbox(m *nats.Msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Inbox[m.Subject] = m.Data
}

// event records an event.
func (r *recorder) event(m *nats.Msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Events = append(r.t.Events, message{Subject: m.Subject, Data: m.Data})
}

// settle waits until every request has its reply and at least events
// events were seen, and returns a copy of the traffic.
func (r *recorder) settle(tb testing.TB, events int) traffic {
	tb.Helper()
	if err := r.nc.Flush(); err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // a hang, not a slow machine
	for !r.complete(events) {
		if time.Now().After(deadline) {
			tb.Fatalf("capture incomplete after a minute: %d requests, %d events of %d", len(r.t.Requests), len(r.t.Events), events)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return traffic{Requests: slices.Clone(r.t.Requests), Inbox: maps.Clone(r.t.Inbox), Events: slices.Clone(r.t.Events)}
}

// complete reports whether every request has its reply and at least
// events events were seen.
func (r *recorder) complete(events int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.t.Requests {
		if _, ok := r.t.Inbox[q.Reply]; !ok {
			return false
		}
	}
	return len(r.t.Events) >= events
}

// live holds the traffic of the scenario, run once for all the tests.
var live struct {
	once sync.Once
	t    traffic
	ok   bool
}

// liveTraffic runs the scenario the first time it is called and returns
// what it captured; it fails tb if the scenario failed.
func liveTraffic(tb testing.TB) traffic {
	tb.Helper()
	live.once.Do(func() {
		live.t = capture(tb)
		live.ok = true
	})
	if !live.ok {
		tb.Fatal("the scenario failed in an earlier test")
	}
	return live.t
}

// harness is a market served over an embedded NATS server.
type harness struct {
	ctx     context.Context
	url     string
	tr      *natstransport.Transport
	m       *scarcity.Market
	clk     *clock.Mock
	clients map[string]*agentapi.Client
}

// capture starts the server, the market and its API, drives the scenario
// and returns every message it caused.
func capture(tb testing.TB) traffic {
	tb.Helper()
	srv, err := natsembed.Start(natsembed.Options{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Shutdown)
	h := &harness{ctx: context.Background(), url: srv.ClientURL(), clients: map[string]*agentapi.Client{}}
	rec := record(tb, h.url, prefix, ledgerPrefix)
	h.start(tb)
	h.play(tb)
	n := h.stored(tb, h.tr) + h.closeAccount(tb)
	return rec.settle(tb, n)
}

// resources are what the scenario's market sells; llm_spend is metered by
// the spend limit.
var resources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "token", Capacity: 10_000, Enforcement: bundle.ServiceLevel},
	{Name: "llm_spend", Unit: "cent", Capacity: 100, Enforcement: bundle.ServiceLevel},
}

// start opens the transport, builds the market and serves its API.
func (h *harness) start(tb testing.TB) {
	tb.Helper()
	nc := h.connect(tb)
	tr, err := natstransport.Open(h.ctx, natstransport.Options{Conn: nc, Prefix: prefix, Stream: "CONTRACT"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tr.Close() })
	h.tr = tr
	h.clk = clock.NewMock()
	h.clk.Set(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	h.m = h.market(tb)
	api, err := agentapi.Serve(h.ctx, nc, h.m, agentapi.Options{Prefix: prefix, Humans: func(id string) bool { return id == human }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = api.Close() })
	for _, id := range []string{alice, bob, carol, human} {
		h.dial(tb, id)
	}
}

// market builds the market: signed, snapshotting to the stream's store,
// spend-limited on llm_spend, paying into the burn, rewards allowed.
func (h *harness) market(tb testing.TB) *scarcity.Market {
	tb.Helper()
	store, err := h.tr.Snapshots(h.ctx)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := scarcity.New(h.ctx, scarcity.Config{
		Resources:     resources,
		ClearEvery:    time.Minute,
		Reserve:       map[string]string{"cpu": "0.001", "tokens": "0.00001", "llm_spend": "0.00001"},
		Clock:         h.clk,
		Publisher:     h.tr,
		SigningKey:    ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Correlation:   "contract",
		Settlement:    scarcity.SettleBurn,
		Spend:         &sched.SpendLimit{Resource: "llm_spend", Max: apd.New(1, 0), Window: time.Hour, Unit: apd.New(1, -2)},
		RewardBudget:  "100",
		Snapshots:     store,
		SnapshotEvery: 40,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// connect returns a new connection to the server.
func (h *harness) connect(tb testing.TB, opts ...nats.Option) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(h.url, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// dial connects as id, on its own inbox, and keeps its client.
func (h *harness) dial(tb testing.TB, id string) {
	tb.Helper()
	nc := h.connect(tb, nats.CustomInboxPrefix(agentapi.InboxPrefix(id)))
	c, err := agentapi.Dial(nc, id, agentapi.Options{Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	h.clients[id] = c
}

// stored returns how many events tr's stream holds.
func (h *harness) stored(tb testing.TB, tr *natstransport.Transport) int {
	tb.Helper()
	n, err := tr.LastSequence(h.ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return int(n)
}

// closeAccount opens, empties and closes an account of a bare ledger that
// publishes to a side stream on the same server, and returns how many
// events that stream holds. A Market never closes an account (no operator
// or agent verb does), so account_closed comes from the ledger's own
// Close: the only path that writes it.
func (h *harness) closeAccount(tb testing.TB) int {
	tb.Helper()
	ctx := h.ctx
	tr, err := natstransport.Open(ctx, natstransport.Options{URL: h.url, Prefix: ledgerPrefix, Stream: "CONTRACTLEDGER"})
	if err != nil {
		tb.Fatal(err)
	}
	defer tr.Close()
	l, err := ledger.New(ctx, ledger.Options{Publisher: tr, Correlation: "contract-ledger"})
	if err != nil {
		tb.Fatal(err)
	}
	must(tb, l.Open(ctx, "dave", ledger.KindAgent))
	must(tb, l.Close(ctx, "dave"))
	return h.stored(tb, tr)
}

// must fails tb if err is not nil.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// refused fails tb unless err is an error (an error reply).
func refused(tb testing.TB, what string, err error) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("%s succeeded, want an error reply", what)
	}
}

// dec returns the decimal s.
func dec(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return d
}

// bid returns agent's bid id for quantities over duration from start
// (zero: as soon as it clears), up to limit.
func bid(id, agent string, q bundle.Quantities, start time.Time, duration time.Duration, limit string) scarcity.Bid {
	return scarcity.Bid{ID: id, Agent: agent, Limit: dec(limit),
		Bundle: bundle.Bundle{Quantities: q, Window: bundle.Window{Start: start, Duration: duration}}}
}

// bundleOf returns the id of the bundle agent won with order.
func (h *harness) bundleOf(tb testing.TB, agent, order string) string {
	tb.Helper()
	for _, b := range h.m.Scheduler().Bundles(agent) {
		if b.OrderID == order {
			return b.ID
		}
	}
	tb.Fatalf("%s has no bundle of order %s", agent, order)
	return ""
}

// tick moves the clock by d and ticks the market.
func (h *harness) tick(tb testing.TB, d time.Duration) {
	tb.Helper()
	h.clk.Add(d)
	if err := h.m.Tick(h.ctx); err != nil {
		tb.Fatalf("tick at %v: %v", h.clk.Now(), err)
	}
}

// play drives every verb of the API, and the operator, through the
// market's life: accounts, bids, a clearing, use, reservations, agent
// events, a reward, a judgement, termination, release, expiry, a use
// beyond the spend limit and a snapshot.
func (h *harness) play(tb testing.TB) {
	tb.Helper()
	h.accounts(tb)
	h.orders(tb)
	h.tick(tb, time.Minute)
	h.usage(tb)
	h.reservations(tb)
	h.emits(tb)
	h.rewards(tb)
	h.tick(tb, 5*time.Minute)
	h.terminate(tb)
	h.release(tb)
	h.tick(tb, 10*time.Minute)
	refused(tb, "a use beyond the spend limit", h.clients[alice].Use(h.ctx, alice, "llm_spend", 10))
	if _, err := h.m.Snapshot(h.ctx); err != nil {
		tb.Fatal(err)
	}
}

// accounts opens accounts by the operator and by the API, mints, moves
// and reads credits.
func (h *harness) accounts(tb testing.TB) {
	tb.Helper()
	ctx, c := h.ctx, h.clients
	must(tb, h.m.Open(ctx, alice, apd.New(1000, 0)))
	must(tb, h.m.Open(ctx, bob, apd.New(1000, 0)))
	must(tb, h.m.Mint(ctx, "grant-1", alice, apd.New(50, 0), "grant"))
	must(tb, c[alice].OpenAccount(ctx, alice))
	must(tb, c[carol].OpenAccount(ctx, carol))
	must(tb, c[bob].Transfer(ctx, "t1", bob, carol, dec("10.5")))
	refused(tb, "a transfer beyond the balance", c[carol].Transfer(ctx, "t2", carol, bob, apd.New(1_000_000, 0)))
	if _, err := c[alice].Balance(ctx, alice); err != nil {
		tb.Fatal(err)
	}
	if _, err := c[bob].QueryPrices(ctx); err != nil {
		tb.Fatal(err)
	}
}

// orders places bids, cancels and rejects some, and refuses bad ones.
func (h *harness) orders(tb testing.TB) {
	tb.Helper()
	ctx, c, now := h.ctx, h.clients, h.clk.Now()
	must(tb, c[alice].Bid(ctx, bid("a1", alice, bundle.Quantities{"cpu": 40, "tokens": 1000, "llm_spend": 100}, time.Time{}, 10*time.Minute, "100")))
	must(tb, c[alice].Bid(ctx, bid("a3", alice, bundle.Quantities{"llm_spend": 20}, now.Add(12*time.Minute), 10*time.Minute, "20")))
	must(tb, c[alice].Bid(ctx, bid("a2", alice, bundle.Quantities{"tokens": 500}, time.Time{}, 30*time.Minute, "50.25")))
	must(tb, c[bob].Bid(ctx, bid("b1", bob, bundle.Quantities{"cpu": 30}, now.Add(5*time.Minute), 5*time.Minute, "60")))
	must(tb, c[bob].Bid(ctx, bid("b2", bob, bundle.Quantities{"cpu": 10}, time.Time{}, time.Minute, "5")))
	must(tb, c[bob].Cancel(ctx, bob, "b2"))
	must(tb, c[carol].Bid(ctx, bid("c1", carol, bundle.Quantities{"cpu": 10}, time.Time{}, time.Minute, "1")))
	must(tb, h.m.Reject(ctx, carol, "c1", events.ReasonBelowReserve, "operator says no"))
	refused(tb, "a cancel of an unknown order", c[bob].Cancel(ctx, bob, "nope"))
	refused(tb, "a bid beyond the balance", c[carol].Bid(ctx, bid("c2", carol, bundle.Quantities{"cpu": 10}, time.Time{}, time.Minute, "5000")))
	refused(tb, "a bid of an unknown resource", c[carol].Bid(ctx, bid("c3", carol, bundle.Quantities{"gpu": 1}, time.Time{}, time.Minute, "1")))
}

// usage uses and reports within the bundles, and beyond them; it spends
// the whole hour's spend limit.
func (h *harness) usage(tb testing.TB) {
	tb.Helper()
	ctx, c := h.ctx, h.clients
	must(tb, c[alice].Use(ctx, alice, "tokens", 100))
	must(tb, c[alice].Report(ctx, alice, "cpu", 35))
	must(tb, c[alice].Use(ctx, alice, "llm_spend", 100))
	refused(tb, "a use beyond the bundles", c[alice].Use(ctx, alice, "tokens", 5000))
	refused(tb, "a use without a bundle", c[bob].Use(ctx, bob, "tokens", 1))
	refused(tb, "a use of nothing", c[alice].Use(ctx, alice, "tokens", 0))
}

// reservations reserves and commits, reserves and cancels, and refuses
// an unknown reservation.
func (h *harness) reservations(tb testing.TB) {
	tb.Helper()
	ctx, c := h.ctx, h.clients
	id, err := c[alice].Reserve(ctx, alice, "tokens", 200, time.Minute)
	must(tb, err)
	must(tb, c[alice].Commit(ctx, alice, id, 150))
	id, err = c[alice].Reserve(ctx, alice, "tokens", 100, time.Minute)
	must(tb, err)
	must(tb, c[alice].CancelReservation(ctx, alice, id))
	refused(tb, "a commit of an unknown reservation", c[alice].Commit(ctx, alice, "nope", 1))
	refused(tb, "a cancel of an unknown reservation", c[alice].CancelReservation(ctx, alice, "nope"))
}

// emits publishes every agent type of the taxonomy and an agent-defined
// one, and one the server refuses.
func (h *harness) emits(tb testing.TB) {
	tb.Helper()
	ctx, a := h.ctx, h.clients[alice]
	must(tb, a.Emit(ctx, alice, events.ReasoningTrace{Decision: "bid", Content: "cpu is cheap"}))
	must(tb, a.Emit(ctx, alice, events.ToolCallInitiated{CallID: "call-1", ToolName: "search", Arguments: map[string]string{"q": "prices"}}))
	must(tb, a.Emit(ctx, alice, events.ToolCallCompleted{CallID: "call-1", ToolName: "search", Status: events.StatusSucceeded, Result: "3 hits"}))
	must(tb, a.Emit(ctx, alice, events.ServiceInvoked{ServiceName: "llm", Provider: "acme", Cost: events.DecimalOf(dec("0.25")), Status: events.StatusSucceeded}))
	must(tb, a.Emit(ctx, alice, events.AgentEvent{Type: "plan_revised", Data: map[string]any{"step": 2, "why": "prices moved"}}))
	// The schema bounds no text's length: a trace beyond MaxAgentTextLen
	// conforms, and the server refuses it (invalid_request).
	long := strings.Repeat("x", events.MaxAgentTextLen+1)
	refused(tb, "an emit of too long a trace", a.Emit(ctx, alice, events.ReasoningTrace{Content: long}))
}

// rewards rewards alice by the human and refuses a reward by an agent;
// a judge evaluates alice.
func (h *harness) rewards(tb testing.TB) {
	tb.Helper()
	ctx := h.ctx
	must(tb, h.clients[human].Reward(ctx, "r1", human, alice, dec("2.5"), "good plan"))
	refused(tb, "a reward by an agent", h.clients[bob].Reward(ctx, "r2", bob, alice, apd.New(1, 0), "self-dealing"))
	must(tb, h.m.EmitJudgement(ctx, "judge-1", events.JudgeEvaluation{AgentID: alice, Scenario: "contract",
		Criteria: map[string]events.Decimal{"thrift": events.DecimalOf(dec("4"))}, Overall: events.DecimalOf(dec("4")),
		Threshold: events.DecimalOf(dec("3")), Passed: true, Comment: "sound"}))
}

// terminate reports bob beyond his bundle once it is active.
func (h *harness) terminate(tb testing.TB) {
	tb.Helper()
	refused(tb, "a report beyond the bundle", h.clients[bob].Report(h.ctx, bob, "cpu", 90))
}

// release releases alice's second bundle early, and refuses an unknown
// one.
func (h *harness) release(tb testing.TB) {
	tb.Helper()
	ctx, a := h.ctx, h.clients[alice]
	if _, _, err := a.Release(ctx, alice, h.bundleOf(tb, alice, "a2")); err != nil && !strings.Contains(err.Error(), "pending") {
		tb.Fatal(err)
	}
	if _, _, err := a.Release(ctx, alice, "nope"); err == nil {
		tb.Fatal("a release of an unknown bundle succeeded")
	}
}
