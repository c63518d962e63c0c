package report

import (
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// DefaultPlaces is the number of decimal places of the ratios [Metrics]
// computes (efficiency, volatility, Gini) when MetricsOptions.Places is 0.
const DefaultPlaces = 6

// MaxPlaces bounds MetricsOptions.Places.
const MaxPlaces = 30

// MetricsOptions configures [Metrics]. The zero value means the defaults.
type MetricsOptions struct {
	// Places is the number of decimal places of computed ratios, each
	// rounded half to even from its exact value; 0 means DefaultPlaces.
	Places int32
	// Spend is the spend limit whose use is measured; nil means the limit
	// the stream's first spend_limit_reached states, and no spend series
	// without one.
	Spend *invariant.SpendLimit
}

// MarketMetrics measures one run of a market from its stream. Every amount
// and ratio is an exact decimal string; it encodes as JSON for a report.
type MarketMetrics struct {
	// Rounds are the clearing rounds, in stream order.
	Rounds []RoundMetrics `json:"rounds"`
	// Efficiency is the allocative efficiency over all rounds: the sum of
	// the rounds' welfare over the sum of their optimal welfare, counting
	// the rounds that report both; empty if that sum is not above zero.
	Efficiency events.Decimal `json:"efficiency,omitempty"`
	// Prices holds, per resource, its price path and volatility.
	Prices map[string]PriceMetrics `json:"prices"`
	// Utilisation holds, per resource, the utilisation each market_cleared
	// reports, over time.
	Utilisation map[string][]Sample `json:"utilisation"`
	// Balances are the agents' posted balances at the end of the stream:
	// the last balance a ledger event reports for each account opened with
	// kind "agent".
	Balances map[string]events.Decimal `json:"balances"`
	// Gini is the Gini coefficient of Balances: Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n Σ x);
	// empty if there are no agents or their balances do not sum above zero.
	Gini events.Decimal `json:"gini,omitempty"`
	// Agents counts the agents awake (their last agent_awake/agent_dormant
	// was agent_awake) and dormant (it was agent_dormant) after each
	// instant at which one changes.
	Agents []AgentCount `json:"agents"`
	// Spend is the spend in the sliding window after each usage_recorded
	// of the spend resource and at each spend_limit_reached; nil without a
	// spend limit.
	Spend *SpendMetrics `json:"spend,omitempty"`
}

// RoundMetrics is what one market_cleared reports of its round.
type RoundMetrics struct {
	Round     uint64    `json:"round"`
	Time      time.Time `json:"time"`
	Mechanism string    `json:"mechanism"`
	Bids      int       `json:"bids"`
	Winners   int       `json:"winners"`
	// Welfare, OptimalWelfare and Efficiency as reported; Efficiency is
	// computed as Welfare / OptimalWelfare where the event reports both
	// but not it, and is empty where neither says.
	Welfare        events.Decimal `json:"welfare,omitempty"`
	OptimalWelfare events.Decimal `json:"optimal_welfare,omitempty"`
	Efficiency     events.Decimal `json:"efficiency,omitempty"`
	// GreedyWelfare as reported: the welfare of the greedy allocation an
	// improving mechanism started from.
	GreedyWelfare events.Decimal `json:"greedy_welfare,omitempty"`
}

// PriceMetrics is a resource's price path and volatility.
type PriceMetrics struct {
	// Path starts with the old price of the resource's first price_update
	// and follows each update's new price.
	Path []PricePoint `json:"path"`
	// Volatility is the mean absolute relative price change per clearing
	// round: Σ |new − old| / old over the resource's price_update events
	// (those with old above zero), divided by the number of market_cleared
	// events (a round without an update changed nothing), or by the number
	// of updates if the stream has no market_cleared.
	Volatility events.Decimal `json:"volatility"`
}

// PricePoint is a price from a round on.
type PricePoint struct {
	Round uint64         `json:"round"`
	Time  time.Time      `json:"time"`
	Price events.Decimal `json:"price"`
}

// Sample is a value at an instant.
type Sample struct {
	Time  time.Time      `json:"time"`
	Value events.Decimal `json:"value"`
}

// AgentCount is the number of agents awake and dormant from an instant on.
type AgentCount struct {
	Time    time.Time `json:"time"`
	Awake   int       `json:"awake"`
	Dormant int       `json:"dormant"`
}

// SpendMetrics is the use of the spend limit over time.
type SpendMetrics struct {
	Limit invariant.SpendLimit `json:"limit"`
	Use   []SpendPoint         `json:"use"`
}

// SpendPoint is the units spent in the window (t−Window, t] at time t.
// Refused marks a spend_limit_reached, with the units it refused.
type SpendPoint struct {
	Time    time.Time `json:"time"`
	Spent   int64     `json:"spent"`
	Refused int64     `json:"refused,omitempty"`
}

// Metrics measures the run whose stream is evs. The stream holds one run
// (one correlation); a malformed decimal it needs returns an error. Options
// it cannot use return an error wrapping invariant.ErrInvalidOptions.
func Metrics(evs []events.Event, o MetricsOptions) (MarketMetrics, error) {
	if o.Places == 0 {
		o.Places = DefaultPlaces
	}
	if o.Places < 0 || o.Places > MaxPlaces {
		return MarketMetrics{}, fmt.Errorf("%w: %d places, want 1 to %d", invariant.ErrInvalidOptions, o.Places, MaxPlaces)
	}
	if o.Spend != nil {
		if err := stream.SpendLimit(*o.Spend).Validate(); err != nil {
			return MarketMetrics{}, fmt.Errorf("%w: %v", invariant.ErrInvalidOptions, err)
		}
	}
	m := &metering{o: o, out: MarketMetrics{
		Prices: make(map[string]PriceMetrics), Utilisation: make(map[string][]Sample),
		Balances: make(map[string]events.Decimal),
	}, agents: make(map[string]bool), awake: make(map[string]bool)}
	for _, e := range evs {
		if err := m.apply(e); err != nil {
			return MarketMetrics{}, fmt.Errorf("benchkit: metrics: event %s: %w", e.ID, err)
		}
	}
	if err := m.finish(evs); err != nil {
		return MarketMetrics{}, fmt.Errorf("benchkit: metrics: %w", err)
	}
	return m.out, nil
}

// metering accumulates the metrics of a stream.
type metering struct {
	o        MetricsOptions
	out      MarketMetrics
	welfare  big.Rat
	optimal  big.Rat
	changes  map[string]*big.Rat // Σ |new − old| / old per resource
	updates  map[string]int
	agents   map[string]bool // accounts of kind agent
	awake    map[string]bool // agents whose last was awake (true) or dormant (false)
	asleep   int
	balances map[string]events.Decimal // last posted balance per account
}

func (m *metering) apply(e events.Event) error {
	switch p := stream.Payload(e.Data).(type) {
	case events.MarketCleared:
		return m.cleared(e, p)
	case events.PriceUpdate:
		return m.price(e, p)
	case events.AgentAwake:
		m.wake(e, p.AgentID, true)
	case events.AgentDormant:
		m.wake(e, p.AgentID, false)
	case events.AccountOpened:
		if p.Kind == "agent" {
			m.agents[p.AccountID] = true
		}
	default:
		m.balance(p)
	}
	return nil
}

// rat returns the exact value of d.
func rat(d events.Decimal) (*big.Rat, error) {
	if _, err := d.Apd(); err != nil {
		return nil, err
	}
	r, ok := new(big.Rat).SetString(string(d))
	if !ok {
		return nil, fmt.Errorf("%w: %q", events.ErrBadDecimal, d)
	}
	return r, nil
}

// decimalOfRat returns r rounded half to even to places decimal places.
func decimalOfRat(r *big.Rat, places int32) events.Decimal {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	q, rem := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	twice := new(big.Int).Abs(rem)
	twice.Lsh(twice, 1)
	if c := twice.Cmp(r.Denom()); c > 0 || (c == 0 && q.Bit(0) == 1) {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	return events.DecimalOf(apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(q), -places))
}

func (m *metering) cleared(e events.Event, p events.MarketCleared) error {
	rm := RoundMetrics{Round: p.Round, Time: e.Time, Mechanism: p.Mechanism, Bids: p.Bids, Winners: p.Winners,
		Welfare: p.Welfare, OptimalWelfare: p.OptimalWelfare, Efficiency: p.Efficiency, GreedyWelfare: p.GreedyWelfare}
	if p.Welfare != "" && p.OptimalWelfare != "" {
		w, err := rat(p.Welfare)
		if err != nil {
			return err
		}
		opt, err := rat(p.OptimalWelfare)
		if err != nil {
			return err
		}
		m.welfare.Add(&m.welfare, w)
		m.optimal.Add(&m.optimal, opt)
		if rm.Efficiency == "" && opt.Sign() > 0 {
			rm.Efficiency = decimalOfRat(new(big.Rat).Quo(w, opt), m.o.Places)
		}
	}
	m.out.Rounds = append(m.out.Rounds, rm)
	for res, u := range p.Utilisation {
		m.out.Utilisation[res] = append(m.out.Utilisation[res], Sample{Time: e.Time, Value: u})
	}
	return nil
}

func (m *metering) price(e events.Event, p events.PriceUpdate) error {
	old, err := rat(p.Old)
	if err != nil {
		return err
	}
	cur, err := rat(p.New)
	if err != nil {
		return err
	}
	pm := m.out.Prices[p.Resource]
	if len(pm.Path) == 0 {
		pm.Path = append(pm.Path, PricePoint{Round: p.Round, Time: e.Time, Price: p.Old})
	}
	pm.Path = append(pm.Path, PricePoint{Round: p.Round, Time: e.Time, Price: p.New})
	m.out.Prices[p.Resource] = pm
	if m.changes == nil {
		m.changes, m.updates = make(map[string]*big.Rat), make(map[string]int)
	}
	m.updates[p.Resource]++
	if m.changes[p.Resource] == nil {
		m.changes[p.Resource] = new(big.Rat)
	}
	if old.Sign() > 0 {
		change := new(big.Rat).Sub(cur, old)
		change.Abs(change).Quo(change, old)
		m.changes[p.Resource].Add(m.changes[p.Resource], change)
	}
	return nil
}

// wake records an agent waking or going dormant, coalescing the counts of
// one instant.
func (m *metering) wake(e events.Event, agent string, awake bool) {
	was, seen := m.awake[agent]
	m.awake[agent] = awake
	switch {
	case !seen && !awake:
		m.asleep++
	case seen && was && !awake:
		m.asleep++
	case seen && !was && awake:
		m.asleep--
	}
	c := AgentCount{Time: e.Time, Awake: len(m.awake) - m.asleep, Dormant: m.asleep}
	if n := len(m.out.Agents); n > 0 && m.out.Agents[n-1].Time.Equal(e.Time) {
		m.out.Agents[n-1] = c
		return
	}
	m.out.Agents = append(m.out.Agents, c)
}

// balance records the posted balances a ledger event reports.
func (m *metering) balance(p events.Payload) {
	if m.balances == nil {
		m.balances = make(map[string]events.Decimal)
	}
	set := func(account string, d events.Decimal) {
		if d != "" {
			m.balances[account] = d
		}
	}
	switch p := p.(type) {
	case events.CreditsTransferred:
		set(p.From, p.FromBalance)
		set(p.To, p.ToBalance)
	case events.CreditsMinted:
		set(p.From, p.FromBalance)
		set(p.To, p.ToBalance)
	case events.CreditsBurned:
		set(p.From, p.FromBalance)
		set(p.To, p.ToBalance)
	case events.HoldCaptured:
		set(p.AccountID, p.FromBalance)
		set(p.To, p.ToBalance)
	case events.HoldPlaced:
		set(p.AccountID, p.Balance)
	case events.BalanceQueried:
		set(p.AccountID, p.Balance)
	}
}

// finish computes what needs the whole stream: overall efficiency,
// volatility, balances and Gini, spend.
func (m *metering) finish(evs []events.Event) error {
	places := m.o.Places
	if m.optimal.Sign() > 0 {
		m.out.Efficiency = decimalOfRat(new(big.Rat).Quo(&m.welfare, &m.optimal), places)
	}
	for res, pm := range m.out.Prices {
		rounds := len(m.out.Rounds)
		if rounds == 0 {
			rounds = m.updates[res]
		}
		pm.Volatility = decimalOfRat(new(big.Rat).Quo(m.changes[res], big.NewRat(int64(rounds), 1)), places)
		m.out.Prices[res] = pm
	}
	var xs []*big.Rat
	for agent := range m.agents {
		b := m.balances[agent]
		if b == "" {
			b = "0"
		}
		m.out.Balances[agent] = b
		x, err := rat(b)
		if err != nil {
			return fmt.Errorf("balance of %q: %w", agent, err)
		}
		xs = append(xs, x)
	}
	if g, ok := gini(xs); ok {
		m.out.Gini = decimalOfRat(g, places)
	}
	m.out.Spend = spendSeries(evs, m.o.Spend)
	return nil
}

// gini returns the Gini coefficient of xs, Σᵢ (2i − n − 1) x₍ᵢ₎ / (n Σ x)
// over xs sorted ascending (i from 1), which equals Σᵢ Σⱼ |xᵢ − xⱼ| /
// (2 n Σ x); false if xs is empty or sums to zero or less.
func gini(xs []*big.Rat) (*big.Rat, bool) {
	slices.SortFunc(xs, func(a, b *big.Rat) int { return a.Cmp(b) })
	n := int64(len(xs))
	sum, weighted := new(big.Rat), new(big.Rat)
	for i, x := range xs {
		sum.Add(sum, x)
		weighted.Add(weighted, new(big.Rat).Mul(x, big.NewRat(2*int64(i+1)-n-1, 1)))
	}
	if n == 0 || sum.Sign() <= 0 {
		return nil, false
	}
	return weighted.Quo(weighted, sum.Mul(sum, big.NewRat(n, 1))), true
}

// spendSeries returns the spend in the window after each usage of the
// spend resource and at each refusal; nil without a limit.
func spendSeries(evs []events.Event, given *invariant.SpendLimit) *SpendMetrics {
	var limit stream.SpendLimit
	switch {
	case given != nil:
		limit = stream.SpendLimit(*given)
	default:
		limits, found := stream.SpendLimits(evs), false
		for _, e := range evs {
			if limit, found = limits[e.Correlation]; found {
				break
			}
		}
		if !found {
			return nil
		}
	}
	out := &SpendMetrics{Limit: invariant.SpendLimit(limit), Use: []SpendPoint{}}
	w := &stream.Window{Limit: limit}
	for _, e := range evs {
		now := e.Time.UnixNano()
		switch p := stream.Payload(e.Data).(type) {
		case events.UsageRecorded:
			if p.Resource != limit.Resource {
				continue
			}
			w.Evict(now)
			w.Add(stream.Spent{At: now, Units: p.Quantity})
			out.Use = append(out.Use, SpendPoint{Time: e.Time, Spent: w.Sum})
		case events.SpendLimitReached:
			if p.Resource != limit.Resource {
				continue
			}
			w.Evict(now)
			out.Use = append(out.Use, SpendPoint{Time: e.Time, Spent: w.Sum, Refused: p.Requested})
		}
	}
	return out
}
