// Command quickstart runs a small market end to end, in memory: 20 agents
// with random needs and valuations compete for CPU, memory and LLM tokens
// over 10 simulated minutes on a mock clock. It prints the clearing prices
// and utilisation of every round, then the agents' balances and the verdict
// of the benchkit invariant checks over the event log.
//
//	go run ./examples/quickstart [-seed N] [-agents N] [-minutes N] [-events FILE.jsonl]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// options are the command's flags.
type options struct {
	Seed    uint64
	Agents  int
	Minutes int
	Events  string // a file to write the stream to, as JSON lines; empty for none
}

func main() {
	var o options
	flag.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed gives the same run")
	flag.IntVar(&o.Agents, "agents", 20, "number of agents")
	flag.IntVar(&o.Minutes, "minutes", 10, "simulated minutes")
	flag.StringVar(&o.Events, "events", "", "write the event stream to this file, one JSON event per line")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// roundEvery is the time between clearing rounds.
const roundEvery = 30 * time.Second

var resources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	{Name: "memory", Unit: "MiB", Capacity: 16384, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 200_000, Enforcement: bundle.ServiceLevel},
}

// run builds the market, runs the agents for o.Minutes, and reports to w.
// It fails if an invariant check fails.
func run(ctx context.Context, w io.Writer, o options) error {
	clk := clock.NewMock()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources:   resources,
		Reserve:     map[string]string{"cpu": "0.0005", "memory": "0.000002", "tokens": "0.000001"},
		ClearEvery:  roundEvery,
		Clock:       clk,
		Publisher:   log,
		Correlation: fmt.Sprintf("quickstart-%d", o.Seed),
	})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0))
	agents, err := openAgents(ctx, m, rng, o.Agents)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%-5s %-22s %-22s %-22s %s\n", "round", "cpu", "memory", "tokens", "won/bids")
	for range o.Minutes * int(time.Minute/roundEvery) {
		if err := actAll(ctx, m, agents); err != nil {
			return err
		}
		clk.Add(roundEvery)
		from := log.Len() + 1
		if err := m.Tick(ctx); err != nil {
			return err
		}
		printRound(w, log.Events(from))
	}
	if err := writeEvents(o.Events, log.Events(0)); err != nil {
		return err
	}
	return report(ctx, w, m, agents, log.Events(0))
}

// writeEvents writes evs to the file path as JSON lines; an empty path
// writes nothing.
func writeEvents(path string, evs []events.Event) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := benchkit.WriteJSONL(f, evs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// openAgents opens n agents with 50 to 150 credits each.
func openAgents(ctx context.Context, m *scarcity.Market, rng *rand.Rand, n int) ([]*agent, error) {
	agents := make([]*agent, n)
	for i := range agents {
		a := newAgent(fmt.Sprintf("agent-%02d", i), rand.New(rand.NewPCG(rng.Uint64(), uint64(i))))
		if err := m.Open(ctx, a.id, apd.New(int64(50+rng.IntN(101)), 0)); err != nil {
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

// printRound prints the prices, utilisation and volume of the round whose
// events are evs.
func printRound(w io.Writer, evs []events.Event) {
	for _, e := range evs {
		mc, ok := e.Data.(events.MarketCleared)
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%-5d", mc.Round)
		for _, r := range resources {
			fmt.Fprintf(w, " %-22s", fmt.Sprintf("%s (%s%%)", mc.Prices[r.Name], percent(mc.Utilisation[r.Name])))
		}
		fmt.Fprintf(w, " %d/%d\n", mc.Winners, mc.Bids)
	}
}

// report prints the balances, the enforcement tally and the verdict.
func report(ctx context.Context, w io.Writer, m *scarcity.Market, agents []*agent, evs []events.Event) error {
	counts := map[events.Type]int{}
	perAgent := map[string]map[events.Type]int{}
	for _, e := range evs {
		counts[e.Type]++
		if perAgent[e.Subject] == nil {
			perAgent[e.Subject] = map[events.Type]int{}
		}
		perAgent[e.Subject][e.Type]++
	}
	fmt.Fprintln(w, "\nagent     balance      bids  won  denied  terminated")
	for _, a := range agents {
		b, err := m.Balance(ctx, a.id)
		if err != nil {
			return err
		}
		c := perAgent[a.id]
		fmt.Fprintf(w, "%-9s %-12s %4d  %3d  %6d  %v\n", a.id, b.Posted.Text('f'), a.bids,
			c[events.TypeResourcesAllocated], c[events.TypeServiceDenied], a.terminated)
	}
	fmt.Fprintf(w, "\nevents: %d (allocations %d, rejections %d, denials %d, terminations %d, price updates %d)\n",
		len(evs), counts[events.TypeResourcesAllocated], counts[events.TypeBidRejected],
		counts[events.TypeServiceDenied], counts[events.TypeAgentTerminated], counts[events.TypePriceUpdate])
	if err := benchkit.Check(evs); err != nil {
		fmt.Fprintln(w, "benchkit: FAIL")
		return err
	}
	fmt.Fprintln(w, "benchkit: PASS (credits conserved, every allocation paid)")
	return nil
}

// percent renders a 0..1 decimal as a percentage with one decimal place.
func percent(d events.Decimal) string {
	v, err := d.Apd()
	if err != nil {
		return "?"
	}
	v.Exponent += 2
	var out apd.Decimal
	_, _ = apd.BaseContext.WithPrecision(34).Quantize(&out, v, -1)
	return out.Text('f')
}
