package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/sched"
)

// maxCalls is the most calls an agent makes in a minute.
const maxCalls = 16

// callTTL is how long a reservation may stay open before it lapses.
const callTTL = time.Minute

// agent buys a minute of LLM spend at a time and spends it on calls.
type agent struct {
	id    string
	start int          // the minute it starts working
	value *apd.Decimal // what a unit of spend per second is worth to it
	rng   *rand.Rand
	bids  int
}

// tally counts what the agents did in one minute.
type tally struct {
	calls, deniedBundle, deniedLimit int
	reserved, committed              int64 // spend units
}

// bid asks for 200 to 500 units of llm_spend for the next minute, at its
// value per unit per second.
func (a *agent) bid(ctx context.Context, m *scarcity.Market) error {
	qty := int64(200 + 100*a.rng.IntN(4))
	var limit apd.Decimal
	if _, err := apd.BaseContext.WithPrecision(34).Mul(&limit, a.value, apd.New(qty*int64(roundEvery/time.Second), 0)); err != nil {
		return err
	}
	a.bids++
	err := m.Bid(ctx, scarcity.Bid{
		ID: fmt.Sprintf("%s-%d", a.id, a.bids), Agent: a.id, Limit: &limit,
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{spendResource: qty}, Window: bundle.Window{Duration: roundEvery}},
	})
	if errors.Is(err, scarcity.ErrBidRejected) {
		return nil // out of credits: it sits this minute out
	}
	return err
}

// work makes up to maxCalls LLM calls while it holds a bundle: each reserves
// its worst case (the prompt and the most output tokens it allows), then
// commits what the call really cost, and the rest goes back.
func (a *agent) work(ctx context.Context, m *scarcity.Market, prices *sched.PriceTable, t *tally) error {
	if len(m.Scheduler().Active(a.id)) == 0 {
		return nil
	}
	for range maxCalls {
		model := []string{"small", "large"}[a.rng.IntN(2)]
		input, maxOut := int64(1000+a.rng.IntN(4000)), int64(500+a.rng.IntN(1500))
		worst, err := prices.CostUnits(model, input, maxOut)
		if err != nil {
			return err
		}
		id, err := m.Reserve(ctx, a.id, spendResource, worst, callTTL)
		switch {
		case errors.Is(err, sched.ErrSpendLimit):
			t.deniedLimit++
			return nil
		case errors.Is(err, sched.ErrServiceDenied):
			t.deniedBundle++ // its bundle has less than the worst case left
			return nil
		case err != nil:
			return err
		}
		output := maxOut * int64(30+a.rng.IntN(71)) / 100
		actual, err := prices.CostUnits(model, input, output)
		if err != nil {
			return err
		}
		if err := m.Commit(ctx, a.id, id, actual); err != nil {
			return err
		}
		t.calls++
		t.reserved += worst
		t.committed += actual
	}
	return nil
}
