package auction

import (
	"fmt"
	"math/bits"
)

// Fraction is an exact rational number Num/Den.
type Fraction struct {
	Num, Den int64
}

// KDA is the uniform-price k-double auction: every efficient trade happens,
// at one price a fraction K of the way from the low end to the high end of
// the interval of market-clearing prices. Its zero value uses K = 1/2.
//
// Let q be the efficient volume (see [Call]), b_q and s_q the prices of the
// q-th buy and sell units, and b_{q+1}, s_{q+1} those of the next units,
// where they exist. Every price in
//
//	[lo, hi] = [max(s_q, b_{q+1}), min(b_q, s_{q+1})]
//
// clears the market (an absent b_{q+1} or s_{q+1} drops out of its max or
// min); the interval is never empty, since s_q <= b_q and b_{q+1} < s_{q+1}.
// The price is
//
//	p = lo + ⌊K × (hi − lo)⌋,
//
// computed exactly and rounded down to a whole tick, so lo <= p <= hi: no
// trading buyer pays more than its price, no trading seller receives less,
// and both sides pay and receive p (strongly budget balanced). All q
// efficient lots trade, so truthful orders reach the optimal welfare; the
// rule is not truthful (a marginal trader may shade its price to move p).
// Lots at the margin go by time priority ([Order.Before]).
type KDA struct {
	// K is in [0, 1]: 0 prices at lo, 1 at hi. A zero Fraction means 1/2.
	K Fraction
}

var _ CallRule = KDA{}

// Name returns "kda".
func (KDA) Name() string { return "kda" }

// k returns K, or 1/2 for the zero Fraction, checked to be in [0, 1].
func (a KDA) k() (Fraction, error) {
	k := a.K
	if k == (Fraction{}) {
		return Fraction{1, 2}, nil
	}
	if k.Den <= 0 || k.Num < 0 || k.Num > k.Den {
		return Fraction{}, fmt.Errorf("%w: k = %d/%d is not in [0, 1]", ErrInvalidArgument, k.Num, k.Den)
	}
	return k, nil
}

// ClearCall clears orders as the type's documentation describes. It returns
// an error wrapping ErrInvalidArgument if K is out of range, or
// ErrInvalidOrder for invalid orders (see [CallRule]).
func (a KDA) ClearCall(orders []Order) (Call, error) {
	k, err := a.k()
	if err != nil {
		return Call{}, err
	}
	b, err := newCallBook(orders)
	if err != nil {
		return Call{}, err
	}
	m := b.efficient()
	if m.q == 0 {
		return b.call(m, 0, 0, -1, 0, 0), nil
	}
	lo, hi := m.ask, m.bid
	if m.hasNextBid {
		lo = max(lo, m.nextBid)
	}
	if m.hasNextAsk {
		hi = min(hi, m.nextAsk)
	}
	p := lo + k.floorTimes(hi-lo)
	return b.call(m, m.q, m.q, -1, p, p), nil
}

// floorTimes returns ⌊f × d⌋ for f in [0, 1] and d >= 0, exactly: the
// 128-bit product divided by Den cannot overflow since it is at most d.
func (f Fraction) floorTimes(d int64) int64 {
	hi, lo := bits.Mul64(uint64(f.Num), uint64(d))
	q, _ := bits.Div64(hi, lo, uint64(f.Den))
	return int64(q)
}

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
	b, err := newCallBook(orders)
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

// SBBA is the strongly budget balanced double auction of Segal-Halevi,
// Hassidim and Aumann (2016), at the level of lots: everyone who trades
// trades at one price, so buyers pay exactly what sellers receive.
//
// Let q be the efficient volume (see [Call]), b_q the price of the q-th buy
// unit, and s_{q+1} that of the (q+1)-th sell unit, +∞ where it does not
// exist. The price is p = min(b_q, s_{q+1}).
//
//   - If p = s_{q+1} <= b_q, the price is set by the (q+1)-th sell unit,
//     which does not trade: all q efficient lots trade at p.
//   - Otherwise p = b_q, set by the q-th buy unit, which does not trade: the
//     q−1 highest buy lots trade at p with q−1 of the q lowest sell lots.
//     The sell lot left out is drawn uniformly at random by Rand(q), the
//     position of the lot in the sellers' priority order (a seller of m of
//     those lots loses one with probability m/q).
//
// No buyer pays above its price and no seller receives below its price. At
// most one lot of the efficient allocation is lost. With traders of one lot
// each, truthful reporting is a dominant strategy (in expectation over the
// draw for the q lowest sellers).
type SBBA struct {
	// Rand returns a uniformly random integer in [0, n) for n >= 2, for
	// example (*rand.Rand).Int64N of math/rand/v2 with a seeded source. It
	// is called at most once per call, only when the price is set by a
	// buyer and q >= 2, so a seeded source gives reproducible rounds.
	Rand func(n int64) int64
}

var _ CallRule = SBBA{}

// Name returns "sbba".
func (SBBA) Name() string { return "sbba" }

// ClearCall clears orders as the type's documentation describes. It returns
// an error wrapping ErrInvalidArgument if Rand is nil or returns a number
// out of range, or ErrInvalidOrder for invalid orders (see [CallRule]).
func (s SBBA) ClearCall(orders []Order) (Call, error) {
	if s.Rand == nil {
		return Call{}, fmt.Errorf("%w: SBBA without a source of randomness", ErrInvalidArgument)
	}
	b, err := newCallBook(orders)
	if err != nil {
		return Call{}, err
	}
	m := b.efficient()
	switch {
	case m.q == 0:
		return b.call(m, 0, 0, -1, 0, 0), nil
	case m.hasNextAsk && m.nextAsk <= m.bid:
		return b.call(m, m.q, m.q, -1, m.nextAsk, m.nextAsk), nil
	case m.q == 1:
		return b.call(m, 0, 0, -1, 0, 0), nil
	}
	skip := s.Rand(m.q)
	if skip < 0 || skip >= m.q {
		return Call{}, fmt.Errorf("%w: Rand(%d) returned %d", ErrInvalidArgument, m.q, skip)
	}
	return b.call(m, m.q-1, m.q, skip, m.bid, m.bid), nil
}
