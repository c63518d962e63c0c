package scarcity_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/ledger"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// callRecorder publishes to a log and keeps the events of each call.
type callRecorder struct {
	*events.Log
	mu    sync.Mutex
	calls [][]events.Event
}

func (r *callRecorder) Publish(ctx context.Context, evs ...events.Event) error {
	r.mu.Lock()
	r.calls = append(r.calls, slices.Clone(evs))
	r.mu.Unlock()
	return r.Log.Publish(ctx, evs...)
}

// since returns the calls made after the first n.
func (r *callRecorder) since(n int) [][]events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls[n:])
}

// TestEachCommandIsOneUnit runs every kind of command, one at a time: each
// reaches the publisher as one call holding every event it caused, the
// ledger's and the scheduler's with the market's, sealed once, at its end.
func TestEachCommandIsOneUnit(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	rec := &callRecorder{Log: f.log}
	cfg := f.cfg
	cfg.Publisher, cfg.Correlation = rec, "units"
	m, err := scarcity.New(f.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := f.ctx
	var bundleID, reservation string
	steps := []struct {
		name string
		run  func() error
		want []events.Type
	}{
		{"open", func() error { return m.Open(ctx, "alice", apd.New(100, 0)) }, []events.Type{events.TypeAccountOpened, events.TypeCreditsMinted}},
		{"open bob", func() error { return m.Open(ctx, "bob", apd.New(100, 0)) }, []events.Type{events.TypeCreditsMinted}},
		{"mint", func() error { return m.Mint(ctx, "g1", "alice", apd.New(5, 0), "grant") }, []events.Type{events.TypeCreditsMinted}},
		{"transfer", func() error { return m.Transfer(ctx, "t1", "alice", "bob", apd.New(1, 0)) }, []events.Type{events.TypeCreditsTransferred}},
		{"bid", func() error { return m.Bid(ctx, tokensBid("a1", "alice", "10")) }, []events.Type{events.TypeHoldPlaced, events.TypeBidPlaced}},
		{"bid bob", func() error { return m.Bid(ctx, cpuBid("b1", "bob", 10, "10")) }, []events.Type{events.TypeBidPlaced}},
		{"cancel", func() error { return m.Cancel(ctx, "bob", "b1") }, []events.Type{events.TypeHoldReleased, events.TypeOrderCancelled}},
		{"bid bob again", func() error { return m.Bid(ctx, cpuBid("b2", "bob", 10, "10")) }, []events.Type{events.TypeBidPlaced}},
		{"reject", func() error { return m.Reject(ctx, "bob", "b2", events.ReasonOutbid, "") }, []events.Type{events.TypeHoldReleased, events.TypeBidRejected}},
		{"round", func() error {
			res, err := m.Clear(ctx)
			if err == nil && len(res.Allocations) == 1 {
				bundleID = "bundle/a1/1"
			}
			return err
		}, []events.Type{events.TypeHoldReleased, events.TypeHoldPlaced, events.TypeBundleScheduled, events.TypeResourcesAllocated, events.TypeMarketCleared}},
		{"report", func() error { return m.Report(ctx, "alice", "cpu", 1) }, []events.Type{events.TypeUsageRecorded}},
		{"reserve", func() (err error) {
			reservation, err = m.Reserve(ctx, "alice", "tokens", 2, time.Minute)
			return err
		}, []events.Type{events.TypeUsageReserved}},
		{"commit", func() error { return m.Commit(ctx, "alice", reservation, 1) }, []events.Type{events.TypeReservationReleased}},
		{"reserve again", func() (err error) {
			reservation, err = m.Reserve(ctx, "alice", "tokens", 2, time.Minute)
			return err
		}, []events.Type{events.TypeUsageReserved}},
		{"cancel reservation", func() error { return m.CancelReservation(ctx, "alice", reservation) }, []events.Type{events.TypeReservationReleased}},
		{"emit", func() error {
			return m.Emit(ctx, "alice", events.Reflection{AgentID: "alice", Content: "cpu was cheap"})
		}, []events.Type{events.TypeReflection}},
		{"judge", func() error {
			return m.EmitJudgement(ctx, "judge", events.JudgeEvaluation{Judge: "judge", AgentID: "alice", Scenario: "s", Overall: "1", Passed: true})
		}, []events.Type{events.TypeJudgeEvaluation}},
		{"release", func() error {
			f.clk.Add(time.Minute) // a minute of the bundle is paid for, the rest returned
			_, _, err := m.Release(ctx, "alice", bundleID)
			return err
		}, []events.Type{events.TypeBundleReleased, events.TypeHoldCaptured}},
	}
	for _, s := range steps {
		before := len(rec.since(0))
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		calls := rec.since(before)
		if len(calls) != 1 {
			t.Fatalf("%s: %d publishes, want one", s.name, len(calls))
		}
		checkUnit(t, s.name, calls[0], s.want)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

// tokensBid is a bid of agent for a CPU share and 1,000 tokens for ten
// minutes.
func tokensBid(id, agent, limit string) scarcity.Bid {
	b := cpuBid(id, agent, 1, limit)
	b.Bundle.Quantities["tokens"] = 1000
	return b
}

// checkUnit checks that unit is one sealed group holding the types want.
func checkUnit(t *testing.T, name string, unit []events.Event, want []events.Type) {
	t.Helper()
	var got []events.Type
	for i, e := range unit {
		got = append(got, e.Type)
		if e.Seal != (i == len(unit)-1) {
			t.Errorf("%s: event %d of %d (%s) sealed %v", name, i+1, len(unit), e.Type, e.Seal)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: unit %v lacks %s", name, got, w)
		}
	}
}

// TestConcurrentAgentsOverJetStream runs 64 agents, each bidding, using,
// emitting and cancelling in its own goroutine, against rounds cleared as
// they go, over JetStream on an embedded server: every command is
// answered, each agent's commands are in the stream in the order it made
// them, and the stream passes every invariant and its signed chain.
func TestConcurrentAgentsOverJetStream(t *testing.T) {
	const agents, perAgent = 64, 6
	srv := natstest.StartServer(t)
	tr, err := natstransport.Open(t.Context(), natstransport.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_, key, _ := ed25519.GenerateKey(nil)
	m, err := scarcity.New(t.Context(), scarcity.Config{
		Resources: testResources, Clock: clk, Publisher: tr, SigningKey: key,
		Reserve: map[string]string{"cpu": "0.001", "memory": "0.00001", "tokens": "0.00001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	names := make([]string, agents)
	for i := range names {
		names[i] = fmt.Sprintf("agent%02d", i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, agents*perAgent*4+16)
	made := make([][]string, agents)
	for i, a := range names {
		wg.Go(func() {
			var err error
			made[i], err = trade(ctx, m, a, perAgent)
			errs <- err
		})
	}
	stop := make(chan struct{})
	clearing := sync.WaitGroup{}
	clearing.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := m.Clear(ctx); err != nil {
				errs <- fmt.Errorf("clear: %w", err)
			}
		}
	})
	wg.Wait()
	close(stop)
	clearing.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	evs, err := tr.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := invariant.CheckWith(evs, invariant.Options{PublicKey: key.Public().(ed25519.PublicKey)}); err != nil {
		t.Errorf("stream: %v", err)
	}
	checkAgentOrder(t, evs, names, made)
}

// trade is one agent's session: it opens its account, then n times bids,
// uses what it holds, reflects and cancels every other bid. It returns
// the bids placed and the reflections emitted, in order.
func trade(ctx context.Context, m *scarcity.Market, agent string, n int) ([]string, error) {
	if err := m.Open(ctx, agent, apd.New(1000, 0)); err != nil {
		return nil, err
	}
	var made []string
	for j := range n {
		id := fmt.Sprintf("%s-%d", agent, j)
		switch err := m.Bid(ctx, tokensBid(id, agent, "60")); {
		case err == nil:
			made = append(made, "bid "+id)
		case !errors.Is(err, scarcity.ErrBidRejected): // prices rise as the rounds fill
			return made, fmt.Errorf("bid %s: %w", id, err)
		}
		if err := m.Use(ctx, agent, "tokens", 1); err != nil && !errors.Is(err, sched.ErrServiceDenied) {
			return made, fmt.Errorf("use: %w", err)
		}
		if err := m.Emit(ctx, agent, events.Reflection{AgentID: agent, Content: id}); err != nil {
			return made, fmt.Errorf("emit %s: %w", id, err)
		}
		made = append(made, "reflect "+id)
		if j%2 == 1 {
			if err := m.Cancel(ctx, agent, id); err != nil && !errors.Is(err, scarcity.ErrUnknownOrder) {
				return made, fmt.Errorf("cancel %s: %w", id, err)
			}
		}
	}
	return made, nil
}

// checkAgentOrder checks that each agent's bids and reflections are in the
// stream, each once, in the order the agent made them.
func checkAgentOrder(t *testing.T, evs []events.Event, agents []string, made [][]string) {
	t.Helper()
	seen := map[string][]string{}
	for _, e := range evs {
		switch p := e.Data.(type) {
		case events.BidPlaced:
			seen[p.AgentID] = append(seen[p.AgentID], "bid "+p.OrderID)
		case events.Raw: // read back from a stream, a reflection is raw data
			if r, err := events.DecodeAgentPayload(p.Type, p.JSON); err == nil && p.Type == events.TypeReflection {
				seen[e.Subject] = append(seen[e.Subject], "reflect "+r.(events.Reflection).Content)
			}
		}
	}
	for i, a := range agents {
		if !slices.Equal(seen[a], made[i]) {
			t.Errorf("%s's commands in the stream: %v, want %v", a, seen[a], made[i])
		}
	}
}

// gatedLog holds every publish until it is opened.
type gatedLog struct {
	*events.Log
	entered chan struct{} // receives once per publish held
	open    chan struct{}
}

func (g *gatedLog) Publish(ctx context.Context, evs ...events.Event) error {
	g.entered <- struct{}{}
	<-g.open
	return g.Log.Publish(ctx, evs...)
}

// TestWhatACallerSees holds a bid's publish: queries show the bid applied,
// a balance asked meanwhile waits for it to be acknowledged, and then
// reports its hold.
func TestWhatACallerSees(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	gate := &gatedLog{Log: f.log, entered: make(chan struct{}, 16), open: make(chan struct{})}
	cfg := f.cfg
	cfg.Publisher, cfg.Correlation = gate, "gated"
	close(gate.open)
	m, err := scarcity.New(f.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Open(f.ctx, "alice", apd.New(100, 0)); err != nil {
		t.Fatal(err)
	}
	for len(gate.entered) > 0 {
		<-gate.entered
	}
	gate.open = make(chan struct{})
	bid := make(chan error, 1)
	go func() { bid <- m.Bid(f.ctx, cpuBid("a1", "alice", 10, "10")) }()
	<-gate.entered // the bid's unit is being published
	if got := m.Orders(); len(got) != 1 {
		t.Errorf("orders while the bid is published: %v, want it applied", got)
	}
	balance := make(chan ledger.Balance, 1)
	go func() {
		b, err := m.Balance(f.ctx, "alice")
		if err != nil {
			t.Error(err)
		}
		balance <- b
	}()
	select {
	case b := <-balance:
		t.Fatalf("Balance answered %+v before the bid before it was acknowledged", b)
	case <-time.After(20 * time.Millisecond):
	}
	close(gate.open)
	if err := <-bid; err != nil {
		t.Fatal(err)
	}
	if b := <-balance; b.Pending.Cmp(apd.New(10, 0)) != 0 {
		t.Errorf("balance after the bid: %+v, want 10 held", b)
	}
}
