package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/examples/internal/watch"
	"github.com/scarcitylabs/scarcity/sched"
)

// roundEvery is the time between clearing rounds.
const roundEvery = time.Minute

// resources are what the market sells. The LLM spend limit is 5.00 credits
// an hour in units of 0.01: the capacity of llm_spend.
var resources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 400, Enforcement: bundle.OSLevel},
	{Name: "memory", Unit: "MiB", Capacity: 65536, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 1_000_000, Enforcement: bundle.ServiceLevel},
	{Name: "attention", Unit: "human", Capacity: 1, Enforcement: bundle.ServiceLevel},
	{Name: "llm_spend", Unit: "cent", Capacity: 500, Enforcement: bundle.ServiceLevel},
}

// run builds the market on the chosen transport, runs the agents for
// o.Duration, and reports to w. It fails if an invariant check fails. When
// ctx is done (SIGINT, SIGTERM) it stops after the round in progress and
// reports on the rounds run.
func run(ctx context.Context, w io.Writer, o options) error {
	stopped := ctx
	ctx = context.WithoutCancel(ctx) // a signal stops the run between rounds, never inside one
	cfg, err := config(o)
	if err != nil {
		return err
	}
	if err := checkOut(o.Out); err != nil {
		return err
	}
	stderr := cmp.Or[io.Writer](o.Stderr, io.Discard)
	warnUntradeable(stderr, cfg.Mechanism)
	if cfg.Logger, err = watch.Logger(stderr, cmp.Or(o.Log, "text"), o.Level); err != nil {
		return err
	}
	if o.Metrics != "" {
		metrics, err := watch.ServeMetrics(o.Metrics)
		if err != nil {
			return err
		}
		defer metrics.Close(context.Background())
		cfg.Meter = metrics.Provider
		fmt.Fprintf(stderr, "spotmarket: metrics at %s\n", metrics.URL())
	}
	stream, err := openStream(ctx, o.Transport, o.Data)
	if err != nil {
		return err
	}
	defer stream.Close()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	cfg.Clock, cfg.Publisher = clk, stream
	if cfg.Snapshots, err = stream.Snapshots(ctx); err != nil {
		return err
	}
	m, err := scarcity.New(ctx, cfg)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0))
	agents, err := openAgents(ctx, m, rng, o.Agents)
	if err != nil {
		return err
	}
	rounds := int(o.Duration / roundEvery)
	for round := range rounds {
		if stopped.Err() != nil {
			if o.Progress != nil {
				fmt.Fprintln(o.Progress)
			}
			fmt.Fprintf(w, "stopped by a signal after %d of %d rounds\n", round, rounds)
			break
		}
		if o.KillAt > 0 && round == int(o.KillAt/roundEvery) {
			if m, err = killAndReopen(ctx, w, cfg); err != nil {
				return err
			}
		}
		if err := actAll(ctx, m, agents); err != nil {
			return err
		}
		clk.Add(roundEvery)
		if err := m.Tick(ctx); err != nil && !errors.Is(err, sched.ErrAftermath) {
			return err
		}
		progress(o.Progress, round+1, rounds)
	}
	evs, err := stream.Events(ctx)
	if err != nil {
		return err
	}
	warnUntraded(stderr, evs)
	summarize(w, summary(ctx, m, agents, evs))
	checks := invariant.ResourceOptions(resources...)
	checks.Spend = &invariant.SpendLimit{Resource: "llm_spend", Limit: 500, Window: time.Hour}
	strategies := make(map[string]string, len(agents))
	for _, a := range agents {
		strategies[a.id] = a.strategy.String()
	}
	rep := report.FromRun(fmt.Sprintf("spotmarket: %d agents, %s, seed %d", o.Agents, o.Duration, o.Seed), evs, clk.Now(), report.Settings{
		Mechanism: o.Mechanism, Reserve: o.Reserve, Agents: o.Agents, Duration: o.Duration, Seed: o.Seed,
		Transport: o.Transport, SimulatedClock: true, Resources: report.ResourcesOf(resources...),
		Spend: checks.Spend, Strategies: strategies,
	})
	rep.Verdicts = report.InvariantVerdicts(evs, checks)
	if err := write(o.Out, evs, rep); err != nil {
		return err
	}
	if o.Out != "" {
		fmt.Fprintf(w, "wrote %s and %s\n", filepath.Join(o.Out, "events.jsonl"), filepath.Join(o.Out, "report.html"))
	}
	if err := invariant.CheckWith(evs, checks); err != nil {
		fmt.Fprintln(w, "benchkit: FAIL")
		return err
	}
	fmt.Fprintf(w, "benchkit: PASS (%d events: credits conserved, holds backed, allocations paid, capacity, usage and spend within limits, ids and sequences sound)\n", len(evs))
	return nil
}

// killAndReopen drops the market as a crash would — no last word, no
// snapshot on the way out — and reopens it from its stream: from its
// newest snapshot and the events after it.
func killAndReopen(ctx context.Context, w io.Writer, cfg scarcity.Config) (*scarcity.Market, error) {
	m, report, err := scarcity.Reopen(ctx, cfg)
	if err != nil {
		return nil, err
	}
	last, err := cfg.Publisher.(events.TailReader).LastSequence(ctx)
	if err != nil {
		return nil, err
	}
	from := "its whole stream"
	if !report.FullReplay() {
		from = fmt.Sprintf("snapshot %s", report.Snapshot.Name)
	}
	fmt.Fprintf(w, "killed the market at %s; reopened it from %s and %d events after it (the stream holds %d)\n",
		cfg.Clock.Now().Format("15:04"), from, report.Events, last)
	return m, nil
}

// config returns the market's configuration for o.
func config(o options) (scarcity.Config, error) {
	cfg := scarcity.Config{
		Resources: resources,
		Reserve: map[string]string{"cpu": "0.0002", "memory": "0.000001", "tokens": "0.000001",
			"attention": "0.005", "llm_spend": "0.000002"},
		ClearEvery:    roundEvery,
		Correlation:   fmt.Sprintf("spotmarket-%d", o.Seed),
		SnapshotEvery: 5_000, SnapshotInterval: 5 * time.Minute,
		Spend: &sched.SpendLimit{Resource: "llm_spend", Max: apd.New(5, 0), Window: time.Hour, Unit: apd.New(1, -2)},
	}
	mechanisms := map[string]auction.Mechanism{
		"auto":       auction.Auto{},
		"exact":      auction.Exact{},
		"improved":   auction.Improved{},
		"greedy":     auction.Greedy{},
		"density":    auction.Greedy{Order: auction.ByDensity},
		"critical":   auction.Greedy{Order: auction.ByDensity, Payment: auction.PayCriticalValue},
		"pay-as-bid": auction.Greedy{Payment: auction.PayAsBid},
		"kda":        auction.CallMarket{Rule: auction.KDA{}},
	}
	mech, ok := mechanisms[o.Mechanism]
	if !ok {
		return cfg, fmt.Errorf("unknown mechanism %q", o.Mechanism)
	}
	cfg.Mechanism = mech
	switch o.Reserve {
	case "utilisation":
		cfg.ReserveRule = auction.UtilisationRule{}
	case "fixed":
		cfg.ReserveRule = fixedReserve{}
	default:
		return cfg, fmt.Errorf("unknown reserve rule %q", o.Reserve)
	}
	if o.Agents <= 0 || o.Duration < roundEvery {
		return cfg, errors.New("need at least one agent and one minute")
	}
	return cfg, nil
}

// fixedReserve keeps every reserve price where it is.
type fixedReserve struct{}

func (fixedReserve) Next(old, _ *apd.Decimal, _ int32) (*apd.Decimal, error) {
	return new(apd.Decimal).Set(old), nil
}

// openAgents opens n agents, the strategies in turn, with 20 to 120
// credits each.
func openAgents(ctx context.Context, m *scarcity.Market, rng *rand.Rand, n int) ([]*agent, error) {
	agents := make([]*agent, n)
	for i := range agents {
		a := newAgent(fmt.Sprintf("agent-%03d", i), strategy(i)%strategies, rand.New(rand.NewPCG(rng.Uint64(), uint64(i))))
		if err := m.Open(ctx, a.id, apd.New(int64(20+rng.IntN(101)), 0)); err != nil {
			return nil, err
		}
		agents[i] = a
	}
	return agents, nil
}

// actAll lets every agent act once, in order.
func actAll(ctx context.Context, m *scarcity.Market, agents []*agent) error {
	for _, a := range agents {
		if err := a.act(ctx, m); err != nil {
			return fmt.Errorf("%s: %w", a.id, err)
		}
	}
	return nil
}

// progress draws a progress bar of done out of total rounds on w.
func progress(w io.Writer, done, total int) {
	if w == nil {
		return
	}
	const width = 40
	filled := done * width / total
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if i < filled {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(w, "\r[%s] round %d/%d", bar, done, total)
	if done == total {
		fmt.Fprintln(w)
	}
}
