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

// strategy is how an agent turns its private value of a bundle into a bid.
type strategy int

const (
	truthful   strategy = iota // bids its value
	shading                    // bids 60-90 % of its value
	zeroIntel                  // bids a random amount up to twice its value
	hoarding                   // bids rarely, and only at half its value
	strategies                 // the number of strategies
)

func (s strategy) String() string {
	return [...]string{"truthful", "shading", "zero-intelligence", "hoarding"}[s]
}

// agent is a trader with a strategy and private values per unit per second
// of each resource. When it holds no bundle it bids for one; while it holds
// one it uses it: tokens and LLM spend (sometimes beyond what it bought) and
// CPU samples (now and then above its share, which terminates it).
type agent struct {
	id         string
	strategy   strategy
	rng        *rand.Rand
	values     bundle.Prices
	bids       int
	calls      int
	terminated bool
}

func newAgent(id string, s strategy, rng *rand.Rand) *agent {
	return &agent{id: id, strategy: s, rng: rng, values: bundle.Prices{
		"cpu":       apd.New(int64(300+rng.IntN(2701)), -6),
		"memory":    apd.New(int64(10+rng.IntN(91)), -7),
		"tokens":    apd.New(int64(5+rng.IntN(46)), -7),
		"attention": apd.New(int64(50+rng.IntN(151)), -4),
		"llm_spend": apd.New(int64(5+rng.IntN(46)), -6),
	}}
}

// act takes the agent's turn.
func (a *agent) act(ctx context.Context, m *scarcity.Market) error {
	if a.terminated {
		return nil
	}
	active := m.Scheduler().Active(a.id)
	if len(active) == 0 {
		if a.strategy == hoarding && a.rng.IntN(4) != 0 {
			return nil // a hoarder sits most rounds out
		}
		return a.bid(ctx, m)
	}
	info, _ := m.Scheduler().Bundle(active[0])
	return a.work(ctx, m, info.Bundle)
}

// bid asks for a bundle of one to three resources for two to ten minutes.
func (a *agent) bid(ctx context.Context, m *scarcity.Market) error {
	b := a.wants()
	exact := apd.BaseContext.WithPrecision(34)
	value, err := bundle.Cost(exact, b, a.values)
	if err != nil {
		return err
	}
	limit, err := a.limit(value)
	if err != nil || limit.Sign() <= 0 {
		return err
	}
	a.bids++
	err = m.Bid(ctx, scarcity.Bid{ID: fmt.Sprintf("%s-%d", a.id, a.bids), Agent: a.id, Bundle: b, Limit: limit})
	if errors.Is(err, scarcity.ErrBidRejected) {
		return nil // refused (too poor, or below the reserve): it tries again later
	}
	return err
}

// wants draws the bundle the agent bids for.
func (a *agent) wants() bundle.Bundle {
	q := bundle.Quantities{"cpu": int64(5 + a.rng.IntN(26))}
	if a.rng.IntN(2) == 0 {
		q["memory"] = int64(512 * (1 + a.rng.IntN(8)))
	}
	if a.rng.IntN(2) == 0 {
		q["tokens"] = int64(5000 * (1 + a.rng.IntN(6)))
	}
	if a.rng.IntN(3) == 0 {
		q["llm_spend"] = int64(10 * (1 + a.rng.IntN(10)))
	}
	if a.rng.IntN(20) == 0 {
		q = bundle.Quantities{"attention": 1} // a human's undivided attention
	}
	return bundle.Bundle{Quantities: q, Window: bundle.Window{Duration: time.Duration(2+a.rng.IntN(9)) * time.Minute}}
}

// limit is the bid the strategy makes for a bundle worth value, to the
// micro-credit.
func (a *agent) limit(value *apd.Decimal) (*apd.Decimal, error) {
	var percent int64
	switch a.strategy {
	case truthful:
		percent = 100
	case shading:
		percent = int64(60 + a.rng.IntN(31))
	case zeroIntel:
		percent = int64(1 + a.rng.IntN(200))
	case hoarding:
		percent = 50
	}
	exact := apd.BaseContext.WithPrecision(34)
	limit := new(apd.Decimal)
	if _, err := exact.Mul(limit, value, apd.New(percent, -2)); err != nil {
		return nil, err
	}
	exact.Rounding = apd.RoundDown
	_, err := exact.Quantize(limit, limit, -6)
	return limit, err
}

// work uses what the agent bought.
func (a *agent) work(ctx context.Context, m *scarcity.Market, b bundle.Bundle) error {
	if n := b.Quantities["tokens"]; n > 0 {
		err := m.Use(ctx, a.id, "tokens", int64(1000+a.rng.IntN(int(n/2))))
		if err != nil && !errors.Is(err, sched.ErrServiceDenied) {
			return err
		}
	}
	if n := b.Quantities["llm_spend"]; n > 0 {
		if err := a.llmCall(ctx, m, n); err != nil {
			return err
		}
	}
	level := b.Quantities["cpu"] - int64(a.rng.IntN(5))
	if a.rng.IntN(40) == 0 {
		level = b.Quantities["cpu"] + 1 // a runaway process
	}
	err := m.Report(ctx, a.id, "cpu", max(level, 0))
	if errors.Is(err, sched.ErrTerminated) {
		a.terminated = true
		return nil
	}
	return err
}

// llmCall reserves the worst case of an LLM call against the agent's spend
// bundle and the system-wide limit, then commits what it cost.
func (a *agent) llmCall(ctx context.Context, m *scarcity.Market, bought int64) error {
	worst := max(bought/3, 1)
	id, err := m.Reserve(ctx, a.id, "llm_spend", worst, time.Minute)
	if errors.Is(err, sched.ErrServiceDenied) {
		return nil // the bundle or the spend limit is exhausted
	}
	if err != nil {
		return err
	}
	a.calls++
	return m.Commit(ctx, a.id, id, a.rng.Int64N(worst+1))
}
