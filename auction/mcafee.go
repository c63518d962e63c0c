package auction

// McAfee is McAfee's trade reduction double auction (1992), at the level of
// lots. Its zero value is ready to use.
//
// Let q be the efficient volume (see [Call]), b_q and s_q the prices of the
// q-th buy and sell units, and b_{q+1}, s_{q+1} those of the next units.
// When both next units exist, the candidate price is
//
//	p = ⌊(b_{q+1} + s_{q+1}) / 2⌋,
//
// the midpoint rounded down to a whole tick when it falls on a half tick
// (b_{q+1} < s_{q+1}, so b_{q+1} <= p < s_{q+1} still holds). If
// s_q <= p <= b_q, all q lots trade at p. Otherwise, or when a next unit
// does not exist, the trade is reduced: the q−1 highest buy lots pay b_q
// and the q−1 lowest sell lots receive s_q, and the surplus
// (b_q − s_q) × (q−1) stays with the market (weakly budget balanced).
//
// No buyer pays above its price and no seller receives below its price. At
// most one lot of the efficient allocation is lost. With traders of one lot
// each, truthful reporting is a dominant strategy; with multi-lot orders it
// is not (a buyer of several lots may set b_q for its own other lots).
type McAfee struct{}

var _ CallRule = McAfee{}

// Name returns "mcafee".
func (McAfee) Name() string { return "mcafee" }

// ClearCall clears orders as the type's documentation describes. It returns
// an error wrapping ErrInvalidOrder for invalid orders (see [CallRule]).
func (McAfee) ClearCall(orders []Order) (Call, error) {
	b, err := newBook(orders)
	if err != nil {
		return Call{}, err
	}
	m := b.efficient()
	if m.q == 0 {
		return b.call(m, 0, 0, -1, 0, 0), nil
	}
	if m.hasNextBid && m.hasNextAsk {
		if p := (m.nextBid + m.nextAsk) / 2; m.ask <= p && p <= m.bid {
			return b.call(m, m.q, m.q, -1, p, p), nil
		}
	}
	return b.call(m, m.q-1, m.q-1, -1, m.bid, m.ask), nil
}
