// Command llmbudget shows agents sharing one system-wide LLM spend limit.
//
// The limit (-limit credits in any five-minute window) is a sched.SpendLimit
// on the llm_spend resource, whose capacity is the limit in units of 0.001
// credits. Agents buy minutes of llm_spend in the market, so the right to
// spend is priced and allocated like any scarce resource, and make "LLM
// calls" priced per model by a sched.PriceTable: each call reserves its
// worst case (prompt tokens plus the most output tokens it allows), then
// commits the tokens it really used, and the rest of the reservation goes
// back to the agent's bundle and to the spend window.
//
// Agents join one after another, so demand grows: the clearing price of
// llm_spend rises, and once the spend in the sliding window reaches the
// limit, calls are denied (spend_limit_reached, sched.ErrSpendLimit) even
// to agents holding a bundle: the calendar bounds spend bought at any
// instant, the window bounds what is actually spent. Everything runs on a
// mock clock, so a seed gives the same run every time. The command prints a
// table per minute, a summary and the benchkit verdict over the stream.
//
//	go run ./examples/llmbudget [-agents N] [-minutes N] [-limit CREDITS] [-seed N]
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
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
)

// options are the command's flags.
type options struct {
	Agents  int
	Minutes int
	Limit   string // credits per spend window
	Seed    uint64
}

func main() {
	var o options
	flag.IntVar(&o.Agents, "agents", 8, "number of agents")
	flag.IntVar(&o.Minutes, "minutes", 15, "simulated minutes")
	flag.StringVar(&o.Limit, "limit", "2", "LLM spend limit in credits per five-minute window")
	flag.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed gives the same run")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "llmbudget:", err)
		os.Exit(1)
	}
}

const (
	// roundEvery is the time between clearing rounds and the length of a
	// bundle.
	roundEvery = time.Minute
	// spendWindow is the length of the spend limit's sliding window.
	spendWindow = 5 * time.Minute
	// spendResource is the resource that meters LLM spend.
	spendResource = "llm_spend"
)

// unit is the price of one unit of llm_spend: 0.001 credits.
var unit = apd.New(1, -3)

// modelPrices are the credits per token of each model.
var modelPrices = map[string]sched.ModelPrice{
	"small": {Input: apd.New(2, -7), Output: apd.New(8, -7)},
	"large": {Input: apd.New(3, -6), Output: apd.New(15, -6)},
}

// run builds the market, runs the agents for o.Minutes, and reports to w.
// It fails if an invariant check fails.
func run(ctx context.Context, w io.Writer, o options) error {
	limit, units, err := parseLimit(o.Limit)
	if err != nil {
		return err
	}
	prices, err := sched.NewPriceTable(unit, modelPrices)
	if err != nil {
		return err
	}
	clk := clock.NewMock()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources:   []bundle.Resource{{Name: spendResource, Unit: "milli-credit", Capacity: units, Enforcement: bundle.ServiceLevel}},
		Reserve:     map[string]string{spendResource: "0.000002"},
		ClearEvery:  roundEvery,
		Scale:       9,
		Spend:       &sched.SpendLimit{Resource: spendResource, Max: limit, Window: spendWindow, Unit: unit},
		Clock:       clk,
		Publisher:   log,
		Correlation: fmt.Sprintf("llmbudget-%d", o.Seed),
	})
	if err != nil {
		return err
	}
	agents, err := openAgents(ctx, m, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "LLM spend limit: %s credits per %v (%d units of %s credits)\n\n", limit.Text('f'), spendWindow, units, unit.Text('f'))
	fmt.Fprintf(w, "%-6s %-6s %-12s %-7s %-5s %-13s %-12s %s\n", "minute", "agents", "price", "won", "calls", "denied:bundle", "denied:limit", "spent in window")
	var sum summary
	for minute := range o.Minutes {
		row, err := playMinute(ctx, m, clk, log, agents, prices, minute)
		if err != nil {
			return err
		}
		sum.add(row)
		printRow(w, m, row, minute, prices)
	}
	return report(w, sum, prices, log.Events(0))
}

// parseLimit returns the limit in credits and in units.
func parseLimit(s string) (*apd.Decimal, int64, error) {
	limit, _, err := apd.NewFromString(s)
	if err != nil || limit.Sign() <= 0 {
		return nil, 0, fmt.Errorf("limit %q: want a positive number of credits", s)
	}
	units, err := (&sched.SpendLimit{Max: limit, Window: spendWindow, Unit: unit}).Units()
	if err != nil {
		return nil, 0, fmt.Errorf("limit %q: want a whole number of %s credits: %w", s, unit.Text('f'), err)
	}
	return limit, units, nil
}

// openAgents opens o.Agents agents with 100 credits each; agent i starts
// work at minute i × Minutes / (2 × Agents), so that all work in the second
// half of the run.
func openAgents(ctx context.Context, m *scarcity.Market, o options) ([]*agent, error) {
	rng := rand.New(rand.NewPCG(o.Seed, 0))
	agents := make([]*agent, o.Agents)
	for i := range agents {
		a := &agent{
			id:    fmt.Sprintf("agent-%02d", i),
			start: i * o.Minutes / (2 * o.Agents),
			value: apd.New(int64(4+rng.IntN(17)), -6), // 0.000004 to 0.00002
			rng:   rand.New(rand.NewPCG(rng.Uint64(), uint64(i))),
		}
		if err := m.Open(ctx, a.id, apd.New(100, 0)); err != nil {
			return nil, err
		}
		agents[i] = a
	}
	return agents, nil
}

// row is one minute of the table.
type row struct {
	tally
	active, won, bids int
	price             string
}

// playMinute lets the agents that have started bid, clears the round, and
// lets the winners make their calls.
func playMinute(ctx context.Context, m *scarcity.Market, clk *clock.Mock, log *events.Log, agents []*agent, prices *sched.PriceTable, minute int) (row, error) {
	var r row
	for _, a := range agents {
		if a.start > minute {
			continue
		}
		r.active++
		if err := a.bid(ctx, m); err != nil {
			return r, fmt.Errorf("%s: %w", a.id, err)
		}
	}
	clk.Add(roundEvery)
	from := log.Len() + 1
	if err := m.Tick(ctx); err != nil {
		return r, err
	}
	for _, e := range log.Events(from) {
		if mc, ok := e.Data.(events.MarketCleared); ok {
			r.won, r.bids, r.price = mc.Winners, mc.Bids, string(mc.Prices[spendResource])
		}
	}
	for _, a := range agents {
		if err := a.work(ctx, m, prices, &r.tally); err != nil {
			return r, fmt.Errorf("%s: %w", a.id, err)
		}
	}
	return r, nil
}

// printRow prints one minute of the table.
func printRow(w io.Writer, m *scarcity.Market, r row, minute int, prices *sched.PriceTable) {
	st, _ := m.Scheduler().Spend()
	fmt.Fprintf(w, "%-6d %-6d %-12s %-7s %-5d %-13d %-12d %s / %s\n", minute+1, r.active, r.price,
		fmt.Sprintf("%d/%d", r.won, r.bids), r.calls, r.deniedBundle, r.deniedLimit,
		prices.Credits(st.Spent).Text('f'), prices.Credits(st.Limit).Text('f'))
}
