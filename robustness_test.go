package scarcity_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
)

// flakyPublisher fails the publishes whose events match fail, while armed,
// storing nothing of them. It reads back its log, so that a market whose
// publish failed rebuilds itself from it.
type flakyPublisher struct {
	next  *events.Log
	mu    sync.Mutex
	fail  func(events.Event) bool
	count int
}

func (p *flakyPublisher) ReadAll(ctx context.Context) ([]events.Event, error) {
	return p.next.ReadAll(ctx)
}

var errTransport = errors.New("transport down")

func (p *flakyPublisher) Publish(ctx context.Context, evs ...events.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range evs {
		if p.fail != nil && p.fail(e) {
			p.count++
			return errTransport
		}
	}
	return p.next.Publish(ctx, evs...)
}

func (p *flakyPublisher) arm(fail func(events.Event) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = fail
}

// TestFailedRoundIsVoid fails the publish of a clearing round, at each
// kind of its events: none of the round happened, the market rebuilds
// itself from its stream with the bids back in the book, and the next
// round clears them.
func TestFailedRoundIsVoid(t *testing.T) {
	for _, failing := range []events.Type{events.TypeBundleScheduled, events.TypeHoldPlaced, events.TypeResourcesAllocated} {
		t.Run(string(failing), func(t *testing.T) {
			f := newFixture(t, scarcity.Config{})
			flaky := &flakyPublisher{next: f.log}
			m, err := scarcity.New(f.ctx, scarcity.Config{
				Resources: testResources, Clock: f.clk, Publisher: flaky, Correlation: "flaky",
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []string{"alice", "bob"} {
				if err := m.Open(f.ctx, a, apd.New(100, 0)); err != nil {
					t.Fatal(err)
				}
				if err := m.Bid(f.ctx, cpuBid(a+"-1", a, 10, "10")); err != nil {
					t.Fatal(err)
				}
			}
			flaky.arm(func(e events.Event) bool { return e.Type == failing && e.Subject == "alice" })
			if _, err := m.Clear(f.ctx); !errors.Is(err, errTransport) {
				t.Fatalf("Clear = %v, want the transport error", err)
			}
			flaky.arm(nil)
			if got := m.Orders(); len(got) != 2 {
				t.Fatalf("orders after the void round: %v, want both bids back", got)
			}
			if got := m.Scheduler().Active("bob"); len(got) != 0 {
				t.Errorf("bob's bundle of the void round runs: %v", got)
			}
			f.clk.Add(time.Minute)
			if err := m.Tick(f.ctx); err != nil {
				t.Fatalf("the round after the failure: %v", err)
			}
			for _, a := range []string{"alice", "bob"} {
				if got := m.Scheduler().Active(a); len(got) != 1 {
					t.Errorf("%s's bundle: %v", a, got)
				}
			}
			if sum := m.Ledger().Sum(); !sum.IsZero() {
				t.Errorf("sum of balances = %s", sum)
			}
			benchkit.AssertInvariants(t, f.log.Events(0))
		})
	}
}

// TestFailedExpiryIsRetried fails the publish of the Tick in which a leased
// bundle expires and is paid: the market rebuilds itself, the bundle still
// runs, and the next Tick expires and pays it.
func TestFailedExpiryIsRetried(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	flaky := &flakyPublisher{next: f.log}
	m, err := scarcity.New(f.ctx, scarcity.Config{Resources: testResources, Clock: f.clk, Publisher: flaky, Correlation: "pay"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Open(f.ctx, "alice", apd.New(100, 0)); err != nil {
		t.Fatal(err)
	}
	if err := m.Bid(f.ctx, cpuBid("a1", "alice", 10, "10")); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute)
	if err := m.Tick(f.ctx); err != nil {
		t.Fatal(err)
	}
	flaky.arm(func(e events.Event) bool { return e.Type == events.TypeHoldCaptured })
	f.clk.Add(10 * time.Minute)
	if err := m.Tick(f.ctx); !errors.Is(err, errTransport) {
		t.Fatalf("Tick with the payment failing = %v, want the transport error", err)
	}
	flaky.arm(nil)
	if b, _ := m.Ledger().Balance("alice"); b.Pending.IsZero() {
		t.Errorf("alice after the void expiry: %+v, want her lease still held", b)
	}
	if err := m.Tick(f.ctx); err != nil {
		t.Fatalf("Tick after the transport recovered: %v", err)
	}
	if b, _ := m.Ledger().Balance("alice"); !b.Pending.IsZero() || b.Posted.Cmp(apd.New(100, 0)) >= 0 {
		t.Errorf("alice after the retry: %+v, want paid and nothing pending", b)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

// TestFailedBidIsVoid fails the publish of a bid: its hold was never made
// and its id never spent, so the same bid goes in again.
func TestFailedBidIsVoid(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	flaky := &flakyPublisher{next: f.log}
	m, err := scarcity.New(f.ctx, scarcity.Config{Resources: testResources, Clock: f.clk, Publisher: flaky, Correlation: "bid"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Open(f.ctx, "alice", apd.New(100, 0)); err != nil {
		t.Fatal(err)
	}
	flaky.arm(func(e events.Event) bool { return e.Type == events.TypeBidPlaced })
	if err := m.Bid(f.ctx, cpuBid("a1", "alice", 10, "10")); !errors.Is(err, errTransport) {
		t.Fatalf("Bid = %v, want the transport error", err)
	}
	flaky.arm(nil)
	if err := m.Bid(f.ctx, cpuBid("a1", "alice", 10, "10")); err != nil {
		t.Fatalf("the same bid again: %v", err)
	}
	if b, _ := m.Ledger().Balance("alice"); b.Pending.Cmp(apd.New(10, 0)) != 0 {
		t.Errorf("alice holds %s, want the 10 of one bid", b.Pending)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func TestIDsAreValidated(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	for _, id := range []string{"", "a/b", "a.b", "a b", "a>", strings.Repeat("x", scarcity.MaxIDLen+1)} {
		if err := f.m.Open(f.ctx, id, apd.New(1, 0)); !errors.Is(err, scarcity.ErrInvalidID) {
			t.Errorf("Open(%q) = %v, want ErrInvalidID", id, err)
		}
	}
	f.open(t, "alice", 10)
	err := f.m.Bid(f.ctx, cpuBid("bundle/x", "alice", 1, "1"))
	var rej *scarcity.RejectedError
	if !errors.As(err, &rej) || !errors.Is(err, scarcity.ErrInvalidID) || rej.Reason != events.ReasonInvalidBundle {
		t.Errorf("Bid with id bundle/x = %v, want an invalid_bundle rejection for ErrInvalidID", err)
	}
	if err := f.m.Mint(f.ctx, "pay/x", "alice", apd.New(1, 0), "r"); !errors.Is(err, scarcity.ErrInvalidID) {
		t.Errorf("Mint with id pay/x = %v, want ErrInvalidID", err)
	}
}

func TestOpenRetryCompletesOrConflicts(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 10)
	if err := f.m.Open(f.ctx, "alice", apd.New(10, 0)); err != nil {
		t.Errorf("identical retry: %v", err)
	}
	if b := f.balance(t, "alice"); b.Posted.Cmp(dec("10")) != 0 {
		t.Errorf("balance after a retried open = %s, want 10", b.Posted)
	}
	if err := f.m.Open(f.ctx, "alice", apd.New(11, 0)); err == nil {
		t.Errorf("open again with other credits succeeded")
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	agents := []string{"a", "b", "c", "d"}
	for _, a := range agents {
		f.open(t, a, 100)
		err := f.m.Bid(f.ctx, scarcity.Bid{ID: a + "-0", Agent: a, Limit: dec("60"), Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": 10, "tokens": 2000}, Window: bundle.Window{Duration: 30 * time.Minute}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.tick(t, time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i, a := range agents {
		wg.Go(func() {
			for j := range 50 {
				err := f.m.Use(f.ctx, a, "tokens", 60)
				if err != nil && !errors.Is(err, sched.ErrServiceDenied) {
					errs <- err
				}
				if err := f.m.Bid(f.ctx, cpuBid(fmt.Sprintf("%s-%d", a, j+1), a, 1, "0.5")); err != nil && !errors.Is(err, scarcity.ErrBidRejected) {
					errs <- err
				}
				if _, err := f.m.Balance(f.ctx, a); err != nil {
					errs <- err
				}
			}
		})
		if i == 0 {
			wg.Go(func() {
				for range 5 {
					if _, err := f.m.Clear(f.ctx); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, a := range agents {
		if used := 2000 - f.m.Scheduler().Remaining(a, "tokens"); used > 2000 || used < 0 {
			t.Errorf("%s used %d tokens of 2000", a, used)
		}
	}
	if _, err := f.m.Clear(f.ctx); err != nil {
		t.Fatal(err)
	}
	if sum := f.m.Ledger().Sum(); !sum.IsZero() {
		t.Errorf("sum of balances = %s", sum)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func TestRunClearsOnTheClock(t *testing.T) {
	f := newFixture(t, scarcity.Config{ClearEvery: time.Minute})
	f.open(t, "alice", 100)
	if err := f.m.Bid(f.ctx, cpuBid("a1", "alice", 10, "10")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- f.m.Run(ctx) }()
	// Move the mock clock until Run has cleared three rounds; the wall-clock
	// bound only stops a broken Run from hanging the suite.
	deadline := time.After(10 * time.Second)
	for f.m.Round() < 3 {
		select {
		case <-deadline:
			t.Fatalf("Run cleared %d rounds", f.m.Round())
		default:
		}
		f.clk.Add(10 * time.Second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if got := f.types("alice"); !contains(got, events.TypeResourcesAllocated) {
		t.Errorf("alice's bid was not allocated by Run: %v", got)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func contains(ts []events.Type, want events.Type) bool {
	for _, t := range ts {
		if t == want {
			return true
		}
	}
	return false
}

func TestBenchkitCatchesTamperedMarketStreams(t *testing.T) {
	f := simulate(t, 11, 10)
	evs := f.log.Events(0)
	if err := benchkit.Check(evs); err != nil {
		t.Fatalf("untampered stream: %v", err)
	}
	tampers := map[string]func(events.Event) (events.Event, bool){
		"bid placed below the payment": func(e events.Event) (events.Event, bool) {
			p, ok := e.Data.(events.BidPlaced)
			p.TotalCost = "0.000001"
			e.Data = p
			return e, ok
		},
		"capture from another account": func(e events.Event) (events.Event, bool) {
			p, ok := e.Data.(events.HoldCaptured)
			p.AccountID = scarcity.OperatorAccount
			e.Data = p
			return e, ok
		},
	}
	for name, tamper := range tampers {
		t.Run(name, func(t *testing.T) {
			for i, e := range evs {
				bad, ok := tamper(e)
				if !ok {
					continue
				}
				if e.Type == events.TypeBidPlaced && !allocated(evs, e.Data.(events.BidPlaced).OrderID) {
					continue
				}
				changed := append(append([]events.Event{}, evs[:i]...), bad)
				changed = append(changed, evs[i+1:]...)
				if err := invariant.CheckAllocationsPaid(changed); !errors.Is(err, invariant.ErrViolation) {
					t.Fatalf("tampered event %s not caught: %v", e.ID, err)
				}
				return
			}
			t.Fatal("no event to tamper with")
		})
	}
}

func allocated(evs []events.Event, order string) bool {
	for _, e := range evs {
		if a, ok := e.Data.(events.ResourcesAllocated); ok && a.OrderID == order {
			return true
		}
	}
	return false
}
