package sched_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/sched"
)

func mustDecimal(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ExampleSpendLimit limits LLM spend to 5.00 credits per hour. A call
// reserves its worst-case cost and commits what it really cost; a second
// call in the same hour is denied, and allowed once the first call's spend
// has left the window.
func ExampleSpendLimit() {
	ctx := context.Background()
	unit := mustDecimal("0.000001") // credits per unit of llm_spend
	catalog, err := bundle.NewCatalog(
		bundle.Resource{Name: "llm_spend", Unit: "micro-credit", Capacity: 5_000_000, Enforcement: bundle.ServiceLevel},
	)
	if err != nil {
		panic(err)
	}
	prices, err := sched.NewPriceTable(unit, map[string]sched.ModelPrice{
		"large": {Input: mustDecimal("0.00001"), Output: mustDecimal("0.00003")},
	})
	if err != nil {
		panic(err)
	}
	clk := clock.NewMock()
	clk.Set(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC))
	s, err := sched.New(catalog, sched.Options{Clock: clk,
		Spend: &sched.SpendLimit{Max: mustDecimal("5.00"), Window: time.Hour, Unit: unit}})
	if err != nil {
		panic(err)
	}
	// Two bundles one after the other, each of the whole capacity: the
	// calendar allows them, the spend window binds.
	for i, w := range []bundle.Window{
		{Start: clk.Now(), Duration: 30 * time.Minute},
		{Start: clk.Now().Add(30 * time.Minute), Duration: time.Hour},
	} {
		b := bundle.Bundle{Quantities: bundle.Quantities{"llm_spend": 5_000_000}, Window: w}
		if err := s.Schedule(ctx, fmt.Sprintf("bundle-%d", i+1), "agent-7", "", b); err != nil {
			panic(err)
		}
	}

	// call reserves the cost of up to maxOutput output tokens, then commits
	// the cost of the output tokens really produced.
	call := func(input, maxOutput, output int64) {
		worst, _ := prices.CostUnits("large", input, maxOutput)
		id, err := s.Reserve(ctx, "agent-7", "llm_spend", worst, time.Minute)
		var limit *sched.SpendLimitError
		if errors.As(err, &limit) {
			fmt.Printf("%s denied: %s spent, %s asked; retry at %s\n", clk.Now().Format("15:04"),
				prices.Credits(limit.Spent).Text('f'), prices.Credits(worst).Text('f'), limit.FreesAt.Format("15:04"))
			return
		} else if err != nil {
			panic(err)
		}
		actual, _ := prices.CostUnits("large", input, output)
		if err := s.Commit(ctx, id, actual); err != nil {
			panic(err)
		}
		st, _ := s.Spend()
		fmt.Printf("%s spent %s; %s in the last hour\n", clk.Now().Format("15:04"),
			prices.Credits(actual).Text('f'), prices.Credits(st.Spent).Text('f'))
	}

	call(150_000, 100_000, 50_000) // worst case 4.50, costs 3.00
	clk.Add(30 * time.Minute)
	call(100_000, 50_000, 10_000) // worst case 2.50: 3.00 + 2.50 > 5.00
	clk.Add(30 * time.Minute)
	if err := s.Advance(ctx); err != nil {
		panic(err)
	}
	call(100_000, 50_000, 10_000)
	// Output:
	// 09:00 spent 3.000000; 3.000000 in the last hour
	// 09:30 denied: 3.000000 spent, 2.500000 asked; retry at 10:00
	// 10:00 spent 1.300000; 1.300000 in the last hour
}
