package report

import (
	"cmp"
	"maps"
	"math/big"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// MaxLorenzPoints bounds the points of Summary.Lorenz: a run of more agents
// has its curve sampled at MaxLorenzPoints evenly spaced numbers of agents.
const MaxLorenzPoints = 1000

// Strategy groups of Summary.Strategies when Settings do not name an
// agent's strategy.
const (
	AllAgents       = "all agents" // no Settings.Strategies
	UnknownStrategy = "unknown"    // an agent Settings.Strategies does not name
)

// Summary is what a run amounted to, computed from its stream (and from
// the strategies and the spend limit its Settings give). Amounts are exact
// decimal strings; ratios are rounded half to even to DefaultPlaces, as
// [Metrics] computes them.
type Summary struct {
	// Events is the number of events; Start and End the times of the
	// first and the last, on the market's clock.
	Events int       `json:"events"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	// Rounds is the number of clearing rounds (market_cleared events).
	Rounds int `json:"rounds"`
	// Resources are, per resource named by a market_cleared, in name
	// order, the quantity the rounds allocated and their clearing prices.
	Resources []ResourceSummary `json:"resources"`
	// Revenue is the sum of the rounds' revenue, in credits.
	Revenue events.Decimal `json:"revenue"`
	// Efficiency is the allocative efficiency over all rounds (see
	// MarketMetrics.Efficiency); empty if no round reports its welfare.
	Efficiency events.Decimal `json:"efficiency,omitempty"`
	// RoundEfficiency is the efficiency of each round that reports it, or
	// reports the welfare it is computed from.
	RoundEfficiency []RoundValue `json:"round_efficiency"`
	// Rejections counts bid_rejected events by reason.
	Rejections Tally `json:"rejections"`
	// Denials counts service_denied events by resource.
	Denials Tally `json:"denials"`
	// Terminations counts agent_terminated events by reason.
	Terminations Tally `json:"terminations"`
	// Spend is the use of the spend limit; nil without one.
	Spend *SpendSummary `json:"spend,omitempty"`
	// Strategies are, per strategy in name order, its agents, how many
	// survived and the credits they hold at the end.
	Strategies []StrategySummary `json:"strategies"`
	// Gini is the Gini coefficient of the agents' final balances (see
	// MarketMetrics.Gini), Lorenz their Lorenz curve: from (0, 0), the
	// share of all agents' credits held by the poorest share of agents,
	// to (1, 1). Both empty if the balances do not sum above zero.
	Gini   events.Decimal `json:"gini,omitempty"`
	Lorenz []LorenzPoint  `json:"lorenz,omitempty"`
	// Problem says why the figures that need [Metrics] (efficiency,
	// spend, balances, Gini) are missing: a decimal of the stream it could
	// not read, or an unusable Settings.Spend. Empty if they are not.
	Problem string `json:"problem,omitempty"`
}

// ResourceSummary is what the rounds did with one resource.
type ResourceSummary struct {
	Name string `json:"name"`
	// Volume is the quantity allocated, summed over the rounds.
	Volume int64 `json:"volume"`
	// Low, High and Last are the least, the greatest and the last
	// clearing price, in credits per unit per second.
	Low  events.Decimal `json:"low,omitempty"`
	High events.Decimal `json:"high,omitempty"`
	Last events.Decimal `json:"last,omitempty"`
}

// RoundValue is a value of one clearing round.
type RoundValue struct {
	Round uint64         `json:"round"`
	Value events.Decimal `json:"value"`
}

// Tally counts events, in total and by a field (a reason, a resource).
type Tally struct {
	Total int            `json:"total"`
	By    map[string]int `json:"by,omitempty"`
}

func (t *Tally) add(key string) {
	t.Total++
	if t.By == nil {
		t.By = make(map[string]int)
	}
	t.By[key]++
}

// Keys returns the keys of t.By, the most frequent first, then by name.
func (t Tally) Keys() []string {
	return slices.SortedFunc(maps.Keys(t.By), func(a, b string) int {
		return cmp.Or(cmp.Compare(t.By[b], t.By[a]), cmp.Compare(a, b))
	})
}

// SpendSummary is the use of the spend limit.
type SpendSummary struct {
	Limit invariant.SpendLimit `json:"limit"`
	// Peak is the most spent in one window, in units of the resource.
	Peak int64 `json:"peak"`
	// Refusals counts the spend_limit_reached events, Refused the units
	// they refused.
	Refusals int   `json:"refusals"`
	Refused  int64 `json:"refused"`
	// Use is the spend in the window over time (MarketMetrics.Spend).
	Use []SpendPoint `json:"use"`
}

// StrategySummary is how the agents of one strategy fared. An agent
// survived if it was never terminated and ends with a balance above zero.
type StrategySummary struct {
	Strategy   string         `json:"strategy"`
	Agents     int            `json:"agents"`
	Survivors  int            `json:"survivors"`
	Terminated int            `json:"terminated"`
	Credits    events.Decimal `json:"credits"`
}

// LorenzPoint is a point of a Lorenz curve: the poorest Agents share of
// the agents hold the Credits share of the credits.
type LorenzPoint struct {
	Agents  events.Decimal `json:"agents"`
	Credits events.Decimal `json:"credits"`
}

// summarise returns the summary of evs with the strategies and spend
// limit of s (nil for none).
func summarise(evs []events.Event, s *Settings) *Summary {
	sum := &Summary{Events: len(evs), Revenue: "0", RoundEfficiency: []RoundValue{}, Strategies: []StrategySummary{}}
	t := tallier{sum: sum, resources: map[string]*resourceTally{}, terminated: map[string]bool{}, revenue: new(apd.Decimal)}
	for _, e := range evs {
		t.add(e)
	}
	sum.Revenue = events.DecimalOf(t.revenue)
	sum.Resources = t.resourceSummaries()
	m, err := Metrics(evs, MetricsOptions{Spend: s.spend()})
	if err != nil {
		sum.Problem = err.Error()
		return sum
	}
	for _, r := range m.Rounds {
		if r.Efficiency != "" {
			sum.RoundEfficiency = append(sum.RoundEfficiency, RoundValue{Round: r.Round, Value: r.Efficiency})
		}
	}
	sum.Efficiency, sum.Gini = m.Efficiency, m.Gini
	sum.Spend = spendSummary(m.Spend)
	sum.Strategies = strategySummaries(m.Balances, s.strategies(), t.terminated)
	sum.Lorenz = lorenz(m.Balances)
	return sum
}

// tallier counts the events of a stream.
type tallier struct {
	sum        *Summary
	resources  map[string]*resourceTally
	terminated map[string]bool
	revenue    *apd.Decimal
}

type resourceTally struct {
	volume          int64
	low, high, last *apd.Decimal
}

func (t *tallier) add(e events.Event) {
	if t.sum.Start.IsZero() || e.Time.Before(t.sum.Start) {
		t.sum.Start = e.Time
	}
	if e.Time.After(t.sum.End) {
		t.sum.End = e.Time
	}
	switch p := stream.Payload(e.Data).(type) {
	case events.MarketCleared:
		t.cleared(p)
	case events.BidRejected:
		t.sum.Rejections.add(string(p.Reason))
	case events.ServiceDenied:
		t.sum.Denials.add(p.Resource)
	case events.AgentTerminated:
		t.sum.Terminations.add(p.Reason)
		t.terminated[p.AgentID] = true
	}
}

// cleared counts one round. A decimal it cannot read is left out.
func (t *tallier) cleared(p events.MarketCleared) {
	t.sum.Rounds++
	if d, ok := decimal(p.Revenue); ok {
		exact.Context.Add(t.revenue, t.revenue, d)
	}
	for name, q := range p.Volume {
		t.resource(name).volume += q
	}
	for _, name := range slices.Sorted(maps.Keys(p.Prices)) {
		d, ok := decimal(p.Prices[name])
		if !ok {
			continue
		}
		r := t.resource(name)
		if r.low == nil || d.Cmp(r.low) < 0 {
			r.low = d
		}
		if r.high == nil || d.Cmp(r.high) > 0 {
			r.high = d
		}
		r.last = d
	}
}

func (t *tallier) resource(name string) *resourceTally {
	r, ok := t.resources[name]
	if !ok {
		r = &resourceTally{}
		t.resources[name] = r
	}
	return r
}

func (t *tallier) resourceSummaries() []ResourceSummary {
	out := []ResourceSummary{}
	for _, name := range slices.Sorted(maps.Keys(t.resources)) {
		r := t.resources[name]
		out = append(out, ResourceSummary{Name: name, Volume: r.volume,
			Low: decimalOrEmpty(r.low), High: decimalOrEmpty(r.high), Last: decimalOrEmpty(r.last)})
	}
	return out
}

func decimalOrEmpty(d *apd.Decimal) events.Decimal {
	if d == nil {
		return ""
	}
	return events.DecimalOf(d)
}

// spendSummary returns the summary of the spend metrics m; nil for none.
func spendSummary(m *SpendMetrics) *SpendSummary {
	if m == nil {
		return nil
	}
	s := &SpendSummary{Limit: m.Limit, Use: m.Use}
	for _, p := range m.Use {
		s.Peak = max(s.Peak, p.Spent)
		if p.Refused > 0 {
			s.Refusals++
			s.Refused += p.Refused
		}
	}
	return s
}

// strategySummaries groups the agents of balances (and those strategies
// names) by strategy.
func strategySummaries(balances map[string]events.Decimal, strategies map[string]string, terminated map[string]bool) []StrategySummary {
	agents := slices.Sorted(maps.Keys(balances))
	for id := range strategies {
		if _, ok := balances[id]; !ok {
			agents = append(agents, id)
		}
	}
	byName := map[string]*StrategySummary{}
	credits := map[string]*apd.Decimal{}
	for _, id := range agents {
		name := AllAgents
		if strategies != nil {
			name = cmp.Or(strategies[id], UnknownStrategy)
		}
		s, ok := byName[name]
		if !ok {
			s = &StrategySummary{Strategy: name}
			byName[name], credits[name] = s, new(apd.Decimal)
		}
		s.Agents++
		b, ok := decimal(balances[id])
		switch {
		case terminated[id]:
			s.Terminated++
		case ok && b.Sign() > 0:
			s.Survivors++
		}
		if ok {
			exact.Context.Add(credits[name], credits[name], b)
		}
	}
	out := []StrategySummary{}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		s := byName[name]
		s.Credits = events.DecimalOf(credits[name])
		out = append(out, *s)
	}
	return out
}

// lorenz returns the Lorenz curve of balances, at most MaxLorenzPoints+1
// points; nil if they do not sum above zero.
func lorenz(balances map[string]events.Decimal) []LorenzPoint {
	xs := make([]*big.Rat, 0, len(balances))
	total := new(big.Rat)
	for _, b := range balances {
		x, err := rat(cmp.Or(b, "0"))
		if err != nil {
			return nil
		}
		xs = append(xs, x)
		total.Add(total, x)
	}
	if total.Sign() <= 0 {
		return nil
	}
	slices.SortFunc(xs, func(a, b *big.Rat) int { return a.Cmp(b) })
	n := len(xs)
	marks := min(n, MaxLorenzPoints)
	out := make([]LorenzPoint, 0, marks+1)
	cum, next := new(big.Rat), 0
	for k := 0; k <= marks; k++ {
		i := k * n / marks // agents counted so far
		for ; next < i; next++ {
			cum.Add(cum, xs[next])
		}
		out = append(out, LorenzPoint{
			Agents:  decimalOfRat(big.NewRat(int64(i), int64(n)), DefaultPlaces),
			Credits: decimalOfRat(new(big.Rat).Quo(cum, total), DefaultPlaces),
		})
	}
	return out
}
