package scarcity_test

import (
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
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
