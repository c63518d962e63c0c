package scarcity_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
)

var testResources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	{Name: "memory", Unit: "MiB", Capacity: 4096, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 10_000, Enforcement: bundle.ServiceLevel},
}

// fixture is a market on a mock clock publishing to an in-memory log.
type fixture struct {
	cfg scarcity.Config // the market's configuration, for Restore
	m   *scarcity.Market
	clk *clock.Mock
	log *events.Log
	ctx context.Context
}

// tb is the part of testing.TB that both *testing.T and *rapid.T have.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func newFixture(tb tb, cfg scarcity.Config) *fixture {
	tb.Helper()
	f := &fixture{clk: clock.NewMock(), log: events.NewLog(events.LogOptions{}), ctx: context.Background()}
	f.clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if cfg.Resources == nil {
		cfg.Resources = testResources
	}
	if cfg.Reserve == nil {
		cfg.Reserve = map[string]string{"cpu": "0.001", "memory": "0.00001", "tokens": "0.00001"}
	}
	cfg.Clock, cfg.Publisher = f.clk, f.log
	if cfg.SigningKey == nil { // kept, so that Restore with cfg goes on with it
		_, cfg.SigningKey, _ = ed25519.GenerateKey(rand.Reader)
	}
	f.cfg = cfg
	m, err := scarcity.New(f.ctx, cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	f.m = m
	return f
}

func (f *fixture) open(tb testing.TB, agent string, credits int64) {
	tb.Helper()
	if err := f.m.Open(f.ctx, agent, apd.New(credits, 0)); err != nil {
		tb.Fatalf("Open(%s): %v", agent, err)
	}
}

// tick advances the clock by d and ticks the market.
func (f *fixture) tick(tb testing.TB, d time.Duration) {
	tb.Helper()
	f.clk.Add(d)
	if err := f.m.Tick(f.ctx); err != nil {
		tb.Fatalf("Tick: %v", err)
	}
}

func (f *fixture) balance(tb testing.TB, account string) ledger.Balance {
	tb.Helper()
	b, err := f.m.Ledger().Balance(account)
	if err != nil {
		tb.Fatalf("Balance(%s): %v", account, err)
	}
	return b
}

// types returns the types of the log's events about subject, in order.
func (f *fixture) types(subject string) []events.Type {
	var out []events.Type
	for _, e := range f.log.Events(0) {
		if e.Subject == subject {
			out = append(out, e.Type)
		}
	}
	return out
}

func dec(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return d
}

func cpuBid(id, agent string, cpu int64, limit string) scarcity.Bid {
	return scarcity.Bid{
		ID: id, Agent: agent, Limit: dec(limit),
		Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": cpu},
			Window:     bundle.Window{Duration: 10 * time.Minute},
		},
	}
}

func TestMarketClearsSettlesAndSchedules(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 100)
	f.open(t, "bob", 100)
	f.open(t, "carol", 100)
	// 60 % + 30 % fit; carol's 50 % does not and she bids least.
	for _, b := range []scarcity.Bid{
		cpuBid("a1", "alice", 60, "50"),
		cpuBid("b1", "bob", 30, "20"),
		cpuBid("c1", "carol", 50, "31"),
	} {
		if err := f.m.Bid(f.ctx, b); err != nil {
			t.Fatalf("Bid(%s): %v", b.ID, err)
		}
	}
	if got := f.balance(t, "alice"); got.Available.Cmp(dec("50")) != 0 {
		t.Errorf("alice available while bid held = %s, want 50", got.Available)
	}
	f.tick(t, time.Minute)

	if got := f.m.Scheduler().Active("alice"); len(got) != 1 {
		t.Errorf("alice active bundles = %v, want one", got)
	}
	if got := f.m.Scheduler().Active("carol"); len(got) != 0 {
		t.Errorf("carol active bundles = %v, want none", got)
	}
	if got := f.balance(t, "carol"); got.Posted.Cmp(dec("100")) != 0 || got.Pending.Sign() != 0 {
		t.Errorf("carol balance = %+v, want 100 posted, none pending", got)
	}
	// The winners' payments are held by their leases while the bundles run.
	leased := new(apd.Decimal)
	for _, a := range []string{"alice", "bob"} {
		b := f.balance(t, a)
		if b.Posted.Cmp(dec("100")) != 0 || b.Pending.Sign() <= 0 || b.Pending.Cmp(dec("50")) > 0 {
			t.Errorf("%s balance = %+v, want its payment held by its lease", a, b)
		}
		_, _ = apd.BaseContext.Add(leased, leased, b.Pending)
	}
	if op := f.balance(t, scarcity.OperatorAccount); !op.Posted.IsZero() {
		t.Errorf("operator received %s before the bundles ran", op.Posted)
	}
	// Carol's density (31/50) sets the price above the reserve.
	if p := f.m.Prices()["cpu"]; p.Cmp(dec("0.001")) <= 0 {
		t.Errorf("cpu price = %s, want above the 0.001 reserve under contention", p)
	}
	wantAlice := []events.Type{
		events.TypeAccountOpened, events.TypeCreditsMinted, events.TypeHoldPlaced, events.TypeBidPlaced,
		events.TypeHoldReleased, events.TypeHoldPlaced, // the bid's hold becomes the lease's
		events.TypeBundleScheduled, events.TypeBundleActivated, events.TypeAgentAwake,
		events.TypeResourcesAllocated,
	}
	if diff := cmp.Diff(wantAlice, f.types("alice")); diff != "" {
		t.Errorf("alice's events (-want +got):\n%s", diff)
	}
	wantCarol := []events.Type{
		events.TypeAccountOpened, events.TypeCreditsMinted, events.TypeHoldPlaced, events.TypeBidPlaced,
		events.TypeHoldReleased, events.TypeBidRejected,
	}
	if diff := cmp.Diff(wantCarol, f.types("carol")); diff != "" {
		t.Errorf("carol's events (-want +got):\n%s", diff)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))

	// The bundles expire after their 10 minutes, the agents go dormant and
	// the leases pay the operator in full.
	f.tick(t, 10*time.Minute)
	if got := f.m.Scheduler().Active("alice"); len(got) != 0 {
		t.Errorf("alice active after expiry = %v", got)
	}
	if got := f.types("alice"); !slices.Contains(got, events.TypeAgentDormant) || got[len(got)-1] != events.TypeHoldCaptured {
		t.Errorf("alice's events end %v, want agent_dormant then the lease's hold_captured", got[len(got)-3:])
	}
	if op := f.balance(t, scarcity.OperatorAccount); op.Posted.Cmp(leased) != 0 {
		t.Errorf("operator received %s, the leases held %s", op.Posted, leased)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func TestBidRejections(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 10)
	future := f.clk.Now().Add(-time.Second)
	tests := []struct {
		name   string
		bid    scarcity.Bid
		reason events.RejectReason
	}{
		{"insufficient balance", cpuBid("x1", "alice", 10, "11"), events.ReasonInsufficientBalance},
		{"unknown resource", scarcity.Bid{ID: "x2", Agent: "alice", Limit: dec("1"), Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"gpu": 1}, Window: bundle.Window{Duration: time.Minute}}}, events.ReasonInvalidBundle},
		{"fractional seconds", scarcity.Bid{ID: "x3", Agent: "alice", Limit: dec("1"), Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Duration: 1500 * time.Millisecond}}}, events.ReasonInvalidBundle},
		{"over capacity", cpuBid("x4", "alice", 101, "1"), events.ReasonExceedsCapacity},
		{"zero limit", cpuBid("x5", "alice", 1, "0"), events.ReasonInvalidBundle},
		{"negative limit", cpuBid("x6", "alice", 1, "-1"), events.ReasonInvalidBundle},
		{"limit finer than the scale", cpuBid("x7", "alice", 1, "0.0000001"), events.ReasonInvalidBundle},
		{"window in the past", scarcity.Bid{ID: "x8", Agent: "alice", Limit: dec("1"), Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Start: future, Duration: time.Minute}}}, events.ReasonExpired},
		{"empty id", cpuBid("", "alice", 1, "1"), events.ReasonInvalidBundle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.m.Ledger().Balances()
			n := f.log.Len()
			err := f.m.Bid(f.ctx, tt.bid)
			var rej *scarcity.RejectedError
			if !errors.Is(err, scarcity.ErrBidRejected) || !errors.As(err, &rej) || rej.Reason != tt.reason {
				t.Fatalf("Bid = %v, want a %s rejection", err, tt.reason)
			}
			if diff := cmp.Diff(before, f.m.Ledger().Balances(), cmp.Comparer(decEqual)); diff != "" {
				t.Errorf("balances changed (-before +after):\n%s", diff)
			}
			evs := f.log.Events(n + 1)
			if len(evs) != 1 || evs[0].Type != events.TypeBidRejected || evs[0].Data.(events.BidRejected).Reason != tt.reason {
				t.Errorf("events = %v, want one bid_rejected %s", evs, tt.reason)
			}
		})
	}
}

func decEqual(a, b *apd.Decimal) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Cmp(b) == 0
}

func TestBidErrorsWithoutEvents(t *testing.T) {
	f := newFixture(t, scarcity.Config{MaxBids: 1})
	f.open(t, "alice", 100)
	if err := f.m.Bid(f.ctx, cpuBid("b1", "nobody", 1, "1")); !errors.Is(err, scarcity.ErrUnknownAgent) {
		t.Errorf("unknown agent: %v", err)
	}
	if err := f.m.Bid(f.ctx, cpuBid("b1", "operator", 1, "1")); !errors.Is(err, scarcity.ErrUnknownAgent) {
		t.Errorf("operator as agent: %v", err)
	}
	if err := f.m.Bid(f.ctx, cpuBid("b1", "alice", 1, "1")); err != nil {
		t.Fatalf("Bid: %v", err)
	}
	n := f.log.Len()
	if err := f.m.Bid(f.ctx, cpuBid("b1", "alice", 1, "1")); err != nil {
		t.Errorf("retried identical bid: %v", err)
	}
	if err := f.m.Bid(f.ctx, cpuBid("b1", "alice", 2, "1")); !errors.Is(err, scarcity.ErrDuplicateOrder) {
		t.Errorf("same id, other bundle: %v", err)
	}
	if err := f.m.Bid(f.ctx, cpuBid("b2", "alice", 1, "1")); !errors.Is(err, scarcity.ErrBookFull) {
		t.Errorf("beyond MaxBids: %v", err)
	}
	if f.log.Len() != n {
		t.Errorf("errors published %d events", f.log.Len()-n)
	}
	f.tick(t, time.Minute)
	if err := f.m.Bid(f.ctx, cpuBid("b1", "alice", 1, "1")); !errors.Is(err, scarcity.ErrDuplicateOrder) {
		t.Errorf("order id reused after clearing: %v", err)
	}
}

func TestCancelReleasesHold(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 100)
	if err := f.m.Bid(f.ctx, cpuBid("a1", "alice", 10, "40")); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Cancel(f.ctx, "bob", "a1"); !errors.Is(err, scarcity.ErrUnknownOrder) {
		t.Errorf("cancel by another agent: %v", err)
	}
	if err := f.m.Cancel(f.ctx, "alice", "a1"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if b := f.balance(t, "alice"); b.Available.Cmp(dec("100")) != 0 {
		t.Errorf("available after cancel = %s, want 100", b.Available)
	}
	if err := f.m.Cancel(f.ctx, "alice", "a1"); !errors.Is(err, scarcity.ErrUnknownOrder) {
		t.Errorf("second cancel: %v", err)
	}
	f.tick(t, time.Minute)
	if got := f.m.Scheduler().Active("alice"); len(got) != 0 {
		t.Errorf("cancelled bid was allocated: %v", got)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func TestRejectReleasesHold(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 100)
	if err := f.m.Bid(f.ctx, cpuBid("a1", "alice", 10, "40")); err != nil {
		t.Fatal(err)
	}
	before := f.log.Len()
	for _, bad := range []struct {
		agent, id string
		reason    events.RejectReason
		detail    string
		want      error
	}{
		{"bob", "a1", events.ReasonOutbid, "", scarcity.ErrUnknownOrder},
		{"alice", "a1", "Not A Word", "", scarcity.ErrInvalidRejection},
		{"alice", "a1", "", "", scarcity.ErrInvalidRejection},
		{"alice", "a1", events.ReasonOutbid, strings.Repeat("x", scarcity.MaxDetailLen+1), scarcity.ErrInvalidRejection},
	} {
		if err := f.m.Reject(f.ctx, bad.agent, bad.id, bad.reason, bad.detail); !errors.Is(err, bad.want) {
			t.Errorf("Reject(%q, %q, %q): %v, want %v", bad.agent, bad.id, bad.reason, err, bad.want)
		}
	}
	if f.log.Len() != before || len(f.m.Orders()) != 1 {
		t.Fatalf("a refused Reject changed something: %d events, %d orders", f.log.Len()-before, len(f.m.Orders()))
	}
	if err := f.m.Reject(f.ctx, "alice", "a1", events.ReasonInsufficientBalance, "operator"); err != nil {
		t.Fatalf("Reject: %v", err)
	}
	if b := f.balance(t, "alice"); b.Available.Cmp(dec("100")) != 0 {
		t.Errorf("available after reject = %s, want 100", b.Available)
	}
	var rejected []events.BidRejected
	for _, e := range f.log.Events(before) {
		if p, ok := e.Data.(events.BidRejected); ok {
			rejected = append(rejected, p)
		}
	}
	if len(rejected) != 1 || rejected[0].Reason != events.ReasonInsufficientBalance || rejected[0].Detail != "operator" {
		t.Errorf("bid_rejected published: %+v", rejected)
	}
	f.tick(t, time.Minute)
	if got := f.m.Scheduler().Active("alice"); len(got) != 0 {
		t.Errorf("rejected bid was allocated: %v", got)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
	restored, err := scarcity.Restore(f.ctx, f.cfg, f.log.Events(0))
	if err != nil || len(restored.Orders()) != 0 {
		t.Errorf("restored after a rejection: %v, %d orders", err, len(restored.Orders()))
	}
}

func TestUseAndReportEnforceBundles(t *testing.T) {
	exec := &recordingExecutor{}
	f := newFixture(t, scarcity.Config{Executor: exec})
	f.open(t, "alice", 100)
	err := f.m.Bid(f.ctx, scarcity.Bid{ID: "a1", Agent: "alice", Limit: dec("50"), Bundle: bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 20, "tokens": 1000}, Window: bundle.Window{Duration: 5 * time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.Use(f.ctx, "alice", "tokens", 1); !errors.Is(err, sched.ErrServiceDenied) {
		t.Errorf("use before the bundle is active: %v", err)
	}
	f.tick(t, time.Minute)
	if err := f.m.Use(f.ctx, "alice", "tokens", 800); err != nil {
		t.Errorf("use within the bundle: %v", err)
	}
	if err := f.m.Use(f.ctx, "alice", "tokens", 201); !errors.Is(err, sched.ErrServiceDenied) {
		t.Errorf("use beyond the bundle: %v", err)
	}
	if err := f.m.Use(f.ctx, "alice", "tokens", 200); err != nil {
		t.Errorf("use of the rest: %v", err)
	}
	if err := f.m.Report(f.ctx, "alice", "cpu", 20); err != nil {
		t.Errorf("cpu at the envelope: %v", err)
	}
	if err := f.m.Report(f.ctx, "alice", "cpu", 21); !errors.Is(err, sched.ErrTerminated) {
		t.Errorf("cpu beyond the envelope: %v", err)
	}
	if diff := cmp.Diff([]string{"alice"}, exec.agents); diff != "" {
		t.Errorf("terminated agents (-want +got):\n%s", diff)
	}
	if got := f.m.Scheduler().Active("alice"); len(got) != 0 {
		t.Errorf("terminated agent still active: %v", got)
	}
}

type recordingExecutor struct{ agents []string }

func (r *recordingExecutor) Terminate(_ context.Context, agent, _ string) error {
	r.agents = append(r.agents, agent)
	return nil
}

func TestSettlementBurn(t *testing.T) {
	f := newFixture(t, scarcity.Config{Settlement: scarcity.SettleBurn})
	f.open(t, "alice", 100)
	if err := f.m.Bid(f.ctx, cpuBid("a1", "alice", 10, "40")); err != nil {
		t.Fatal(err)
	}
	f.tick(t, time.Minute)
	f.tick(t, 10*time.Minute) // the bundle expires and pays
	burned := f.balance(t, ledger.BurnAccount).Posted
	spent := new(apd.Decimal)
	_, _ = apd.BaseContext.Sub(spent, dec("100"), f.balance(t, "alice").Posted)
	if burned.Sign() <= 0 || burned.Cmp(spent) != 0 {
		t.Errorf("burned %s, alice spent %s", burned, spent)
	}
	if op := f.balance(t, scarcity.OperatorAccount).Posted; !op.IsZero() {
		t.Errorf("operator received %s under SettleBurn", op)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func TestPricesFollowDemand(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	for _, a := range []string{"a", "b", "c"} {
		f.open(t, a, 1000)
	}
	limits := map[string]string{"a": "30", "b": "25", "c": "28"}
	var prices []*apd.Decimal
	round := 0
	// bidRound has each agent bid for cpu % over one minute, clears, and
	// records the cpu price.
	bidRound := func(agents string, cpu int64) {
		t.Helper()
		for _, r := range agents {
			agent := string(r)
			b := cpuBid(fmt.Sprintf("%s-%d", agent, round), agent, cpu, limits[agent])
			b.Bundle.Window.Duration = time.Minute
			if err := f.m.Bid(f.ctx, b); err != nil {
				t.Fatalf("Bid: %v", err)
			}
		}
		round++
		f.tick(t, time.Minute)
		prices = append(prices, f.m.Prices()["cpu"])
	}
	bidRound("a", 60)   // fits: the reserve
	bidRound("ab", 60)  // b is outbid and sets the price
	bidRound("abc", 60) // c, outbid at a higher value, sets it higher
	for range 4 {
		bidRound("a", 5) // 5 % utilisation: back to the reserve, which falls
	}
	for i, want := range []int{+1, +1, -1, -1, -1, -1} {
		if got := prices[i+1].Cmp(prices[i]); got != want {
			t.Errorf("round %d: price %s after %s, want direction %+d", i+2, prices[i+1], prices[i], want)
		}
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := map[string]scarcity.Config{
		"no resources":       {Resources: []bundle.Resource{}},
		"duplicate resource": {Resources: []bundle.Resource{{Name: "a", Capacity: 1}, {Name: "a", Capacity: 1}}},
		"zero reserve":       {Reserve: map[string]string{"cpu": "0"}},
		"NaN reserve":        {Reserve: map[string]string{"cpu": "NaN"}},
		"reserve too fine":   {Reserve: map[string]string{"cpu": "0.0000001"}},
		"unknown reserve":    {Reserve: map[string]string{"gpu": "1"}},
		"sub-second rounds":  {ClearEvery: 1500 * time.Millisecond},
		"bad settlement":     {Settlement: 7},
		"negative scale":     {Scale: -1},
		"negative retention": {Retention: -time.Second},
		"negative bundles":   {MaxBundles: -1},
		"negative history":   {MaxHistory: -1},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			if cfg.Resources == nil {
				cfg.Resources = testResources
			}
			if _, err := scarcity.New(context.Background(), cfg); !errors.Is(err, scarcity.ErrInvalidOptions) {
				t.Errorf("New = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

func TestReleaseRefundsUnusedTime(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 100)
	if err := f.m.Bid(f.ctx, cpuBid("a1", "alice", 10, "40")); err != nil {
		t.Fatal(err)
	}
	f.tick(t, time.Minute)
	price := f.balance(t, "alice").Pending // the lease holds the bundle's price
	if _, _, err := f.m.Release(f.ctx, "bob", "bundle/a1/1"); !errors.Is(err, scarcity.ErrUnknownBundle) {
		t.Errorf("Release of another agent's bundle = %v, want ErrUnknownBundle", err)
	}
	f.clk.Add(150 * time.Second) // a quarter of the 10 minutes
	unused, total, err := f.m.Release(f.ctx, "alice", "bundle/a1/1")
	if err != nil || unused != 450 || total != 600 {
		t.Fatalf("Release = %d, %d, %v; want 450, 600, nil", unused, total, err)
	}
	quarter := new(apd.Decimal)
	_, _ = apd.BaseContext.WithPrecision(20).Quo(quarter, price, dec("4"))
	if op := f.balance(t, scarcity.OperatorAccount).Posted; op.Cmp(quarter) != 0 {
		t.Errorf("operator received %s for a quarter of a %s bundle, want %s", op, price, quarter)
	}
	if b := f.balance(t, "alice"); !b.Pending.IsZero() {
		t.Errorf("alice still has %s held after the release", b.Pending)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}
