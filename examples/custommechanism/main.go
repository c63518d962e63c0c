// Command custommechanism plugs a clearing mechanism written outside the
// library into a scarcity.Market: a proportional-share lottery, the way the
// Tycoon system allocates resources, adapted to all-or-nothing bundles.
//
// In a pure proportional-share market each bidder of a resource receives
// capacity in proportion to its bid. A scarcity bundle is all or nothing,
// so it cannot be scaled down; instead every round is a lottery in which
// each bid holds tickets in proportion to its limit:
//
//   - a bid whose limit is below its bundle's cost at the reserve prices is
//     rejected (below_reserve);
//   - the other bids are drawn one at a time, each with probability
//     proportional to its tickets among the bids not yet drawn;
//   - a drawn bid is admitted whole if its bundle fits in the capacity left,
//     and rejected (exceeds_capacity) otherwise;
//   - a winner pays its bid, as a Tycoon bidder spends what it bids.
//
// A bid is drawn first with probability equal to its share of the tickets,
// so when capacity is contended (here two bundles fit, for ten bidders)
// an agent's share of the wins over many rounds follows its share of the
// tickets, roughly: losers of the first draw take part in the next, and
// over a long run the rising reserve prices the lowest bids out. A resource's clearing price is its reserve price
// times the average markup its winners paid over the reserve cost of their
// bundles, so prices rise with contention; between rounds the market's
// reserve rule moves the reserves slowly with utilisation.
//
// The mechanism uses the public API only (auction.Mechanism, the round's
// calendar, auction.Summarize) and reaches the market through
// Config.Mechanism. The market checks every result with auction.Verify
// before applying it; at the end, benchkit.Check verifies the event stream.
//
//	go run ./examples/custommechanism [-rounds N] [-agents N] [-seed N]
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
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// options are the command's flags.
type options struct {
	Rounds int
	Agents int
	Seed   uint64
}

func main() {
	var o options
	flag.IntVar(&o.Rounds, "rounds", 30, "clearing rounds")
	flag.IntVar(&o.Agents, "agents", 10, "number of agents")
	flag.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed gives the same run")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "custommechanism:", err)
		os.Exit(1)
	}
}

// roundEvery is the time between clearing rounds, and the length of every
// bundle: a winner holds its bundle until the next round.
const roundEvery = time.Minute

var resources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	{Name: "memory", Unit: "GiB", Capacity: 16, Enforcement: bundle.OSLevel},
}

// want is every agent's bundle: half the machine for one round, so at most
// two bids win a round.
var want = bundle.Quantities{"cpu": 50, "memory": 8}

// reserveRule lets reserve prices creep up while the machine is full, so
// that the lottery, not the reserve, decides who wins.
var reserveRule = auction.UtilisationRule{Target: "0.9", MaxChange: "0.05"}

// agent bids the same limit every round.
type agent struct {
	id    string
	limit *apd.Decimal
	bids  int
	wins  int
}

// run builds the market with the proportional-share mechanism, runs
// o.Rounds rounds, and reports to w. It fails if an invariant check fails.
func run(ctx context.Context, w io.Writer, o options) error {
	if o.Rounds < 1 || o.Agents < 1 {
		return fmt.Errorf("need at least one round and one agent")
	}
	clk := clock.NewMock()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources:   resources,
		Reserve:     map[string]string{"cpu": "0.0005", "memory": "0.002"},
		ClearEvery:  roundEvery,
		Mechanism:   proportionalShare{Seed: o.Seed},
		ReserveRule: reserveRule,
		Clock:       clk,
		Publisher:   log,
		Correlation: fmt.Sprintf("custommechanism-%d", o.Seed),
	})
	if err != nil {
		return err
	}
	agents, err := openAgents(ctx, m, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "mechanism: %s, %d agents bidding for half the machine each round\n\n", proportionalShare{}.Name(), o.Agents)
	fmt.Fprintf(w, "%-5s %-4s %-4s %-10s %-10s %-10s %s\n", "round", "bids", "won", "revenue", "cpu", "memory", "winners")
	for range o.Rounds {
		if err := bidAll(ctx, m, agents); err != nil {
			return err
		}
		clk.Add(roundEvery)
		from := log.Len() + 1
		if err := m.Tick(ctx); err != nil {
			return err
		}
		printRound(w, log.Events(from), agents)
	}
	return report(w, agents, log.Events(0))
}

// openAgents opens o.Agents agents, each with a limit of 3 to 12 whole
// credits per round and enough credits to pay it every round.
func openAgents(ctx context.Context, m *scarcity.Market, o options) ([]*agent, error) {
	rng := rand.New(rand.NewPCG(o.Seed, 0))
	agents := make([]*agent, o.Agents)
	for i := range agents {
		limit := apd.New(int64(3+rng.IntN(10)), 0)
		a := &agent{id: fmt.Sprintf("agent-%02d", i), limit: limit}
		if err := m.Open(ctx, a.id, apd.New(int64(12*o.Rounds), 0)); err != nil {
			return nil, err
		}
		agents[i] = a
	}
	return agents, nil
}

// bidAll places one bid per agent for the next round.
func bidAll(ctx context.Context, m *scarcity.Market, agents []*agent) error {
	for _, a := range agents {
		a.bids++
		err := m.Bid(ctx, scarcity.Bid{
			ID: fmt.Sprintf("%s-%d", a.id, a.bids), Agent: a.id, Limit: a.limit,
			Bundle: bundle.Bundle{Quantities: want, Window: bundle.Window{Duration: roundEvery}},
		})
		if err != nil {
			return fmt.Errorf("%s: %w", a.id, err)
		}
	}
	return nil
}

// printRound prints the round whose events are evs and counts the wins.
func printRound(w io.Writer, evs []events.Event, agents []*agent) {
	byID := map[string]*agent{}
	for _, a := range agents {
		byID[a.id] = a
	}
	var winners string
	for _, e := range evs {
		if e.Type == events.TypeResourcesAllocated {
			byID[e.Subject].wins++
			winners += " " + e.Subject[len("agent-"):]
		}
	}
	for _, e := range evs {
		if mc, ok := e.Data.(events.MarketCleared); ok {
			fmt.Fprintf(w, "%-5d %-4d %-4d %-10s %-10s %-10s%s\n", mc.Round, mc.Bids, mc.Winners,
				mc.Revenue, mc.Prices["cpu"], mc.Prices["memory"], winners)
		}
	}
}

// report prints each agent's share of the bids and of the wins, then the
// verdict of benchkit over the whole stream.
func report(w io.Writer, agents []*agent, evs []events.Event) error {
	tickets, wins := new(apd.Decimal), 0
	for _, a := range agents {
		_, _ = apd.BaseContext.Add(tickets, tickets, a.limit)
		wins += a.wins
	}
	fmt.Fprintln(w, "\nagent     limit  tickets  wins  share of wins")
	for _, a := range agents {
		fmt.Fprintf(w, "%-9s %-6s %6s%%  %4d  %12s%%\n", a.id, a.limit.Text('f'), share(a.limit, tickets), a.wins,
			share(apd.New(int64(a.wins), 0), apd.New(int64(max(wins, 1)), 0)))
	}
	if err := benchkit.Check(evs); err != nil {
		fmt.Fprintln(w, "benchkit: FAIL")
		return err
	}
	fmt.Fprintf(w, "\n%d events; every round verified by auction.Verify\n", len(evs))
	fmt.Fprintln(w, "benchkit: PASS (credits conserved, every allocation paid, sequences gap-free)")
	return nil
}

// share returns part/whole as a percentage with one decimal place, rounded
// down.
func share(part, whole *apd.Decimal) string {
	ctx := apd.BaseContext.WithPrecision(34)
	ctx.Rounding = apd.RoundDown
	var q apd.Decimal
	_, _ = ctx.Quo(&q, part, whole)
	q.Exponent += 2
	_, _ = ctx.Quantize(&q, &q, -1)
	return q.Text('f')
}
