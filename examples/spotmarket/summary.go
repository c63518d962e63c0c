package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
)

// totals is what the run amounted to.
type totals struct {
	rounds       int
	volume       map[string]int64
	low, high    map[string]*apd.Decimal // clearing price range per resource
	efficiency   []*apd.Decimal          // of the rounds that report it
	denials      int
	spendLimited int
	terminations int
	survivors    map[strategy]int
	agents       map[strategy]int
	wealth       map[strategy]*apd.Decimal
}

// summary tallies the stream evs of market m.
func summary(ctx context.Context, m *scarcity.Market, agents []*agent, evs []events.Event) totals {
	t := totals{volume: map[string]int64{}, low: map[string]*apd.Decimal{}, high: map[string]*apd.Decimal{},
		survivors: map[strategy]int{}, agents: map[strategy]int{}, wealth: map[strategy]*apd.Decimal{}}
	for _, e := range evs {
		t.add(e)
	}
	for _, a := range agents {
		t.agents[a.strategy]++
		b, err := m.Balance(ctx, a.id)
		if err != nil {
			continue
		}
		if !a.terminated && b.Posted.Sign() > 0 {
			t.survivors[a.strategy]++
		}
		if t.wealth[a.strategy] == nil {
			t.wealth[a.strategy] = new(apd.Decimal)
		}
		_, _ = apd.BaseContext.WithPrecision(34).Add(t.wealth[a.strategy], t.wealth[a.strategy], b.Posted)
	}
	return t
}

// add counts one event.
func (t *totals) add(e events.Event) {
	switch p := e.Data.(type) {
	case events.MarketCleared:
		t.rounds++
		for name, q := range p.Volume {
			t.volume[name] += q
		}
		for name, price := range p.Prices {
			t.price(name, price)
		}
		if d, err := p.Efficiency.Apd(); err == nil && p.Efficiency != "" {
			t.efficiency = append(t.efficiency, d)
		}
	case events.ServiceDenied:
		t.denials++
	case events.SpendLimitReached:
		t.spendLimited++
	case events.AgentTerminated:
		t.terminations++
	}
}

// price widens the price range of resource name to p.
func (t *totals) price(name string, p events.Decimal) {
	d, err := p.Apd()
	if err != nil {
		return
	}
	if t.low[name] == nil || d.Cmp(t.low[name]) < 0 {
		t.low[name] = d
	}
	if t.high[name] == nil || d.Cmp(t.high[name]) > 0 {
		t.high[name] = d
	}
}

// summarize prints t.
func summarize(w io.Writer, t totals) {
	fmt.Fprintf(w, "\n%d rounds\n\n%-10s %12s  %-24s\n", t.rounds, "resource", "volume", "clearing price range")
	for _, r := range resources {
		fmt.Fprintf(w, "%-10s %12d  %s .. %s\n", r.Name, t.volume[r.Name], text(t.low[r.Name]), text(t.high[r.Name]))
	}
	fmt.Fprintf(w, "\nefficiency: %s (mean of the %d rounds small enough to compute the optimum)\n",
		mean(t.efficiency), len(t.efficiency))
	fmt.Fprintf(w, "denials: %d service_denied, %d spend_limit_reached; terminations: %d\n\n",
		t.denials, t.spendLimited, t.terminations)
	fmt.Fprintf(w, "%-18s %7s %10s %14s\n", "strategy", "agents", "survivors", "credits left")
	var ss []strategy
	for s := range t.agents {
		ss = append(ss, s)
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i] < ss[j] })
	for _, s := range ss {
		fmt.Fprintf(w, "%-18s %7d %10d %14s\n", s, t.agents[s], t.survivors[s], text(t.wealth[s]))
	}
	fmt.Fprintln(w)
}

// text renders d, or "-" for none.
func text(d *apd.Decimal) string {
	if d == nil {
		return "-"
	}
	return d.Text('f')
}

// mean returns the mean of ds to four places, or "n/a".
func mean(ds []*apd.Decimal) string {
	if len(ds) == 0 {
		return "n/a"
	}
	ctx := apd.BaseContext.WithPrecision(34)
	sum := new(apd.Decimal)
	for _, d := range ds {
		_, _ = ctx.Add(sum, sum, d)
	}
	_, _ = ctx.Quo(sum, sum, apd.New(int64(len(ds)), 0))
	_, _ = ctx.Quantize(sum, sum, -4)
	return sum.Text('f')
}
