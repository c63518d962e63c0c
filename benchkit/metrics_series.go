package benchkit

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

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
		Welfare: p.Welfare, OptimalWelfare: p.OptimalWelfare, Efficiency: p.Efficiency}
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
func spendSeries(evs []events.Event, limit *SpendLimit) *SpendMetrics {
	if limit == nil {
		limits := spendLimits(evs)
		for _, e := range evs {
			if l, ok := limits[e.Correlation]; ok {
				limit = &l
				break
			}
		}
		if limit == nil {
			return nil
		}
	}
	out := &SpendMetrics{Limit: *limit, Use: []SpendPoint{}}
	w := &spendWindow{limit: *limit}
	for _, e := range evs {
		now := e.Time.UnixNano()
		switch p := payload(e.Data).(type) {
		case events.UsageRecorded:
			if p.Resource != limit.Resource {
				continue
			}
			w.evict(now)
			w.recs = append(w.recs, spent{at: now, units: p.Quantity})
			w.sum += p.Quantity
			out.Use = append(out.Use, SpendPoint{Time: e.Time, Spent: w.sum})
		case events.SpendLimitReached:
			if p.Resource != limit.Resource {
				continue
			}
			w.evict(now)
			out.Use = append(out.Use, SpendPoint{Time: e.Time, Spent: w.sum, Refused: p.Requested})
		}
	}
	return out
}
