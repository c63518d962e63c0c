package benchkit

import (
	"fmt"
	"math/big"
	"time"

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
	Spend *SpendLimit
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
	Limit SpendLimit   `json:"limit"`
	Use   []SpendPoint `json:"use"`
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
// it cannot use return an error wrapping ErrOptions.
func Metrics(evs []events.Event, o MetricsOptions) (MarketMetrics, error) {
	if o.Places == 0 {
		o.Places = DefaultPlaces
	}
	if o.Places < 0 || o.Places > MaxPlaces {
		return MarketMetrics{}, fmt.Errorf("%w: %d places, want 1 to %d", ErrOptions, o.Places, MaxPlaces)
	}
	if err := (Options{Spend: o.Spend}).validate(); err != nil {
		return MarketMetrics{}, err
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
	switch p := payload(e.Data).(type) {
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
