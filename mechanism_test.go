package scarcity_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
)

// lowestFirst is a mechanism of the test's own, standing for any mechanism
// a user writes: it clears with Greedy under its own name.
type lowestFirst struct{}

func (lowestFirst) Name() string { return "lowest_first" }

func (lowestFirst) Clear(r auction.Round) (auction.Result, error) {
	res, err := auction.Greedy{}.Clear(r)
	res.Mechanism = "lowest_first"
	return res, err
}

// doubling is a reserve rule of the test's own: it doubles the reserve
// after every round with any utilisation and keeps it otherwise.
type doubling struct{}

func (doubling) Next(old, utilisation *apd.Decimal, _ int32) (*apd.Decimal, error) {
	if utilisation.Sign() == 0 {
		return new(apd.Decimal).Set(old), nil
	}
	d := new(apd.Decimal)
	_, err := apd.BaseContext.Add(d, old, old)
	return d, err
}

func TestMarketTakesAnyMechanismAndReserveRule(t *testing.T) {
	f := newFixture(t, scarcity.Config{Mechanism: lowestFirst{}, ReserveRule: doubling{}})
	f.open(t, "alice", 200)
	// Each round books 10 % of cpu, so the rule doubles the reserve after
	// each, and the next uncontested round clears at it.
	for _, id := range []string{"a1", "a2", "a3"} {
		if err := f.m.Bid(f.ctx, cpuBid(id, "alice", 10, "30")); err != nil {
			t.Fatal(err)
		}
		f.tick(t, time.Minute)
	}
	var mechanisms []string
	var prices []*apd.Decimal
	for _, e := range f.log.Events(0) {
		switch p := e.Data.(type) {
		case events.MarketCleared:
			mechanisms = append(mechanisms, p.Mechanism)
		case events.PriceUpdate:
			if p.Resource == "cpu" {
				prices = append(prices, dec(string(p.New)))
			}
		}
	}
	if len(mechanisms) != 3 || mechanisms[0] != "lowest_first" {
		t.Errorf("market_cleared mechanisms = %v, want lowest_first three times", mechanisms)
	}
	want := []*apd.Decimal{dec("0.002"), dec("0.004")}
	if len(prices) != len(want) || prices[0].Cmp(want[0]) != 0 || prices[1].Cmp(want[1]) != 0 {
		t.Errorf("cpu price updates = %v, want %v", prices, want)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

func TestMarketSpendLimitAndReservations(t *testing.T) {
	limit := &sched.SpendLimit{Resource: "llm_spend", Max: dec("5"), Window: time.Hour, Unit: dec("0.01")}
	resources := append(append([]bundle.Resource(nil), testResources...),
		bundle.Resource{Name: "llm_spend", Unit: "cent", Capacity: 500, Enforcement: bundle.ServiceLevel})
	f := newFixture(t, scarcity.Config{Resources: resources, Spend: limit,
		Reserve: map[string]string{"cpu": "0.001", "memory": "0.00001", "tokens": "0.00001", "llm_spend": "0.000001"}})
	f.open(t, "alice", 100)
	spend := func(id string, d time.Duration) {
		t.Helper()
		b := scarcity.Bid{ID: id, Agent: "alice", Limit: dec("20"), Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"llm_spend": 500}, Window: bundle.Window{Duration: d}}}
		if err := f.m.Bid(f.ctx, b); err != nil {
			t.Fatal(err)
		}
		f.tick(t, time.Minute)
	}
	spend("s1", 30*time.Minute)
	// A call that may cost up to 4.00 is reserved and costs 3.00; 2.00 more
	// is used: the bundle's 5.00 are spent.
	id, err := f.m.Reserve(f.ctx, "alice", "llm_spend", 400, time.Minute)
	if err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	if err := f.m.Commit(f.ctx, "bob", id, 1); !errors.Is(err, sched.ErrUnknownReservation) {
		t.Fatalf("Commit of alice's reservation by bob = %v, want ErrUnknownReservation", err)
	}
	if err := f.m.CancelReservation(f.ctx, "bob", id); !errors.Is(err, sched.ErrUnknownReservation) {
		t.Fatalf("CancelReservation of alice's reservation by bob = %v, want ErrUnknownReservation", err)
	}
	if err := f.m.Commit(f.ctx, "alice", id, 300); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := f.m.Use(f.ctx, "alice", "llm_spend", 200); err != nil {
		t.Fatalf("Use: %v", err)
	}
	// Half an hour later a new bundle holds 5.00 more, but the hour's
	// limit is spent: use is denied until the window frees.
	f.clk.Add(30 * time.Minute)
	spend("s2", time.Hour)
	if err := f.m.Use(f.ctx, "alice", "llm_spend", 1); !errors.Is(err, sched.ErrSpendLimit) {
		t.Fatalf("Use within the spent hour = %v, want ErrSpendLimit", err)
	}
	f.clk.Add(30 * time.Minute) // an hour after the first spends
	if err := f.m.Use(f.ctx, "alice", "llm_spend", 100); err != nil {
		t.Fatalf("Use once the window freed: %v", err)
	}
	var reached int
	for _, e := range f.log.Events(0) {
		if e.Type == events.TypeSpendLimitReached {
			reached++
		}
	}
	if reached != 1 {
		t.Errorf("%d spend_limit_reached events, want 1", reached)
	}
	benchkit.AssertInvariants(t, f.log.Events(0))
}

// TestAutoRecordsTheMechanismOfEachRound runs a market with auction.Auto:
// each round's market_cleared names the mechanism that cleared it.
func TestAutoRecordsTheMechanismOfEachRound(t *testing.T) {
	f := newFixture(t, scarcity.Config{Mechanism: auction.Auto{ExactUpTo: 2}})
	f.open(t, "alice", 100)
	f.open(t, "bob", 100)
	f.open(t, "carol", 100)
	mustBid := func(b scarcity.Bid) {
		t.Helper()
		if err := f.m.Bid(f.ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	mustBid(cpuBid("a1", "alice", 30, "40")) // one bid: Exact
	f.tick(t, time.Minute)
	for _, a := range []string{"alice", "bob", "carol"} { // three: Greedy
		mustBid(cpuBid(a+"-2", a, 20, "30"))
	}
	f.tick(t, time.Minute)
	var got []string
	for _, mc := range f.marketCleared() {
		got = append(got, mc.Mechanism)
	}
	want := []string{"exact/vcg", auction.Greedy{Order: auction.ByDensity, Payment: auction.PayCriticalValue}.Name()}
	if !slices.Equal(got, want) {
		t.Errorf("market_cleared mechanisms %v, want %v", got, want)
	}
}

// TestImprovedRecordsItsGainOverGreedy checks that market_cleared carries
// the welfare of the greedy allocation an improving mechanism started
// from, and that greedy clearing, which has no such start, leaves it out.
func TestImprovedRecordsItsGainOverGreedy(t *testing.T) {
	for _, tc := range []struct {
		mechanism     auction.Mechanism
		greedyWelfare events.Decimal
	}{
		// a (all the cpu) blocks b and c, together worth more: values
		// 10000 − 60 and 6000 − 30 each. Greedy admits a; Improved
		// exchanges it for b and c.
		{auction.Improved{}, "9940.000"},
		{auction.Greedy{}, ""},
	} {
		t.Run(tc.mechanism.Name(), func(t *testing.T) {
			f := newFixture(t, scarcity.Config{Mechanism: tc.mechanism})
			for _, b := range []scarcity.Bid{cpuBid("a", "alice", 100, "10000"), cpuBid("b", "bob", 50, "6000"), cpuBid("c", "carol", 50, "6000")} {
				f.open(t, b.Agent, 20_000)
				if err := f.m.Bid(f.ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			f.tick(t, time.Minute)
			mcs := f.marketCleared()
			if len(mcs) != 1 {
				t.Fatalf("%d market_cleared, want 1", len(mcs))
			}
			mc := mcs[0]
			if mc.GreedyWelfare != tc.greedyWelfare {
				t.Errorf("greedy_welfare %q, want %q (welfare %s)", mc.GreedyWelfare, tc.greedyWelfare, mc.Welfare)
			}
			if tc.greedyWelfare != "" && mc.Welfare != "11940.000" {
				t.Errorf("welfare %s, want 11940.000 (b and c)", mc.Welfare)
			}
		})
	}
}
