package scarcity_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/events"
)

// marketCleared returns the payloads of the market_cleared events so far.
func (f *fixture) marketCleared() []events.MarketCleared {
	var out []events.MarketCleared
	for _, e := range f.log.Events(0) {
		if mc, ok := e.Data.(events.MarketCleared); ok {
			out = append(out, mc)
		}
	}
	return out
}

func TestMarketClearedReportsWelfare(t *testing.T) {
	// Reserve costs at 0.001 per cpu-second over 600 s: small 6, big 57.
	// By value big (60) ranks first and small no longer fits: welfare 3.
	// By density small (20²/10 = 40) ranks above big (60²/95 ≈ 37.9) and
	// big no longer fits: welfare 14, the optimum.
	tests := []struct {
		name      string
		mechanism auction.Mechanism
		want      events.MarketCleared
	}{{
		name:      "greedy by value",
		mechanism: auction.Greedy{},
		want:      events.MarketCleared{Welfare: "3.000", OptimalWelfare: "14.000", Efficiency: "0.2142"},
	}, {
		name:      "greedy by density",
		mechanism: auction.Greedy{Order: auction.ByDensity, Payment: auction.PayCriticalValue},
		want:      events.MarketCleared{Welfare: "14.000", OptimalWelfare: "14.000", Efficiency: "1.0000"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, scarcity.Config{Mechanism: tt.mechanism})
			for _, b := range []scarcity.Bid{
				cpuBid("s1", "sam", 10, "20"),
				cpuBid("b1", "bea", 95, "60"),
			} {
				f.open(t, b.Agent, 100)
				if err := f.m.Bid(f.ctx, b); err != nil {
					t.Fatalf("Bid(%s): %v", b.ID, err)
				}
			}
			f.tick(t, time.Minute)
			mcs := f.marketCleared()
			if len(mcs) == 0 {
				t.Fatal("no market_cleared")
			}
			got := mcs[len(mcs)-1]
			got = events.MarketCleared{Welfare: got.Welfare, OptimalWelfare: got.OptimalWelfare, Efficiency: got.Efficiency}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("market_cleared welfare (-want +got):\n%s", diff)
			}
		})
	}
}
