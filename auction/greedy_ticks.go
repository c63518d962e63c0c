package auction

import (
	"math/bits"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
)

// tickPrices holds a set of prices as integers, to compute the cost of a
// bundle without decimal arithmetic where that is exactly equivalent.
// Price x is coeff[x] × 10^exp[x], in catalog order.
type tickPrices struct {
	coeff []uint64
	exp   []int32
	ok    []bool // coeff fits 64 bits and exp is at most 0
}

// newTickPrices returns prices, for the resources names, as integers.
func newTickPrices(names []string, prices bundle.Prices) tickPrices {
	t := tickPrices{coeff: make([]uint64, len(names)), exp: make([]int32, len(names)), ok: make([]bool, len(names))}
	for i, name := range names {
		p := prices[name]
		if p == nil || p.Form != apd.Finite || p.Negative || !p.Coeff.IsUint64() || p.Exponent > 0 {
			continue
		}
		t.coeff[i], t.exp[i], t.ok[i] = p.Coeff.Uint64(), p.Exponent, true
	}
	return t
}

// cost returns the cost of needs held for secs seconds, exactly as
// bundle.Cost computes it in the exact context, coefficient and exponent
// alike: Σ q × seconds × price, at the smallest exponent of its prices and
// 0, as sum × 10^exp. ok is false where a figure does not fit 64 bits (or
// the sum 63); the caller then uses bundle.Cost.
func (t tickPrices) cost(needs []need, secs int64) (sum uint64, exp int32, ok bool) {
	for _, q := range needs {
		if !t.ok[q.res] {
			return 0, 0, false
		}
		exp = min(exp, t.exp[q.res])
	}
	for _, q := range needs {
		term, ok := mul64(uint64(q.n), uint64(secs))
		if ok {
			term, ok = mul64(term, t.coeff[q.res])
		}
		for range t.exp[q.res] - exp {
			if ok {
				term, ok = mul64(term, 10)
			}
		}
		var carry uint64
		sum, carry = bits.Add64(sum, term, 0)
		if !ok || carry != 0 || sum > 1<<63-1 {
			return 0, 0, false
		}
	}
	return sum, exp, true
}

// mul64 returns x × y and whether it fits 64 bits.
func mul64(x, y uint64) (uint64, bool) {
	hi, lo := bits.Mul64(x, y)
	return lo, hi == 0
}

// costOf sets d to the cost of c's bundle at prices, by t where it can,
// and returns it, or a new decimal where it cannot.
func costOf(t tickPrices, c *candidate, prices bundle.Prices, d *apd.Decimal) (*apd.Decimal, error) {
	if sum, exp, ok := t.cost(c.need, c.bundle.Window.Seconds()); ok {
		d.Coeff.SetUint64(sum)
		d.Exponent = exp
		return d, nil
	}
	return bundle.Cost(exact, c.bundle, prices)
}
