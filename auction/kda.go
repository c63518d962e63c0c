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
	b, err := newBook(orders)
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
