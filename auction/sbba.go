package auction

import "fmt"

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
	b, err := newBook(orders)
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
