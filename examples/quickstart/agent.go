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

// agent is a simple strategy: it has a private value per unit per second
// of each resource; when it holds no bundle it bids for one with random
// needs at about its value; while it holds one it uses tokens and reports
// its CPU, now and then beyond what it bought.
type agent struct {
	id         string
	rng        *rand.Rand
	values     bundle.Prices
	bids       int
	terminated bool
}

// newAgent draws the agent's private values: cpu 0.0003-0.003, memory
// 0.000001-0.00001 and tokens 0.0000005-0.000005 credits per unit per second.
func newAgent(id string, rng *rand.Rand) *agent {
	return &agent{id: id, rng: rng, values: bundle.Prices{
		"cpu":    apd.New(int64(300+rng.IntN(2701)), -6),
		"memory": apd.New(int64(10+rng.IntN(91)), -7),
		"tokens": apd.New(int64(5+rng.IntN(46)), -7),
	}}
}

// act takes one turn.
func (a *agent) act(ctx context.Context, m *scarcity.Market) error {
	if a.terminated {
		return nil
	}
	active := m.Scheduler().Active(a.id)
	if len(active) == 0 {
		return a.bid(ctx, m)
	}
	info, _ := m.Scheduler().Bundle(active[0])
	return a.work(ctx, m, info.Bundle)
}

// bid asks for 10-40 % CPU, 1-4 GiB and 5-20k tokens for one or two
// minutes, at 80 % to 120 % of its private value.
func (a *agent) bid(ctx context.Context, m *scarcity.Market) error {
	b := bundle.Bundle{
		Quantities: bundle.Quantities{
			"cpu":    int64(10 + a.rng.IntN(31)),
			"memory": int64(1024 * (1 + a.rng.IntN(4))),
			"tokens": int64(5000 * (1 + a.rng.IntN(4))),
		},
		Window: bundle.Window{Duration: time.Duration(1+a.rng.IntN(2)) * time.Minute},
	}
	exact := apd.BaseContext.WithPrecision(34)
	value, err := bundle.Cost(exact, b, a.values)
	if err != nil {
		return err
	}
	var limit apd.Decimal
	if _, err := exact.Mul(&limit, value, apd.New(int64(80+a.rng.IntN(41)), -2)); err != nil {
		return err
	}
	if _, err := exact.Quantize(&limit, &limit, -6); err != nil {
		return err
	}
	a.bids++
	err = m.Bid(ctx, scarcity.Bid{ID: fmt.Sprintf("%s-%d", a.id, a.bids), Agent: a.id, Bundle: b, Limit: &limit})
	if errors.Is(err, scarcity.ErrBidRejected) {
		return nil // rejected for lack of credit: the agent waits for a cheaper round
	}
	return err
}

// work uses tokens (sometimes more than the bundle has left) and reports
// CPU (one time in 25 more than it bought).
func (a *agent) work(ctx context.Context, m *scarcity.Market, b bundle.Bundle) error {
	err := m.Use(ctx, a.id, "tokens", int64(1000+a.rng.IntN(8000)))
	if err != nil && !errors.Is(err, sched.ErrServiceDenied) {
		return err
	}
	level := b.Quantities["cpu"] - int64(a.rng.IntN(5))
	if a.rng.IntN(25) == 0 {
		level = b.Quantities["cpu"] + 1
	}
	err = m.Report(ctx, a.id, "cpu", level)
	if errors.Is(err, sched.ErrTerminated) {
		a.terminated = true
		return nil
	}
	return err
}
