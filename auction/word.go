package auction

import (
	"math/bits"

	"github.com/cockroachdb/apd/v3"
)

// word is a finite decimal d >= 0 as coeff × 10^exp, held where its
// coefficient fits 64 bits (ok), so that clearing reads its figures from
// the candidate rather than from decimals spread over memory.
type word struct {
	coeff uint64
	exp   int32
	ok    bool
}

// wordOf returns d as a word, not ok if d is nil, not finite, negative or
// too large.
func wordOf(d *apd.Decimal) word {
	if d == nil || d.Form != apd.Finite || d.Negative || !d.Coeff.IsUint64() {
		return word{}
	}
	return word{coeff: d.Coeff.Uint64(), exp: d.Exponent, ok: true}
}

// decimal returns the decimal w holds, which must be ok, as a new decimal.
func (w word) decimal() *apd.Decimal {
	d := new(apd.Decimal)
	d.Coeff.SetUint64(w.coeff)
	d.Exponent = w.exp
	return d
}

// tally is an exact running sum of finite non-negative decimals, from
// zero, as units of 10^exp: exp is the smallest exponent added, and at
// most 0, so that the sum is the one the exact context computes,
// coefficient and exponent alike. over is set once a figure does not fit
// 64 bits.
type tally struct {
	units uint64
	exp   int32
	over  bool
}

// add adds the decimal w holds to t.
func (t *tally) add(w word) {
	if t.over || !w.ok {
		t.over = true
		return
	}
	to := min(t.exp, w.exp)
	a, ok1 := align(t.units, t.exp, to)
	b, ok2 := align(w.coeff, w.exp, to)
	sum, carry := bits.Add64(a, b, 0)
	t.units, t.exp, t.over = sum, to, !ok1 || !ok2 || carry != 0
}

// less returns t − o, at the smaller of their exponents as the exact
// context subtracts, and whether it is exact: neither is over, the
// figures fit and t is at least o.
func (t tally) less(o tally) (tally, bool) {
	to := min(t.exp, o.exp)
	a, ok1 := align(t.units, t.exp, to)
	b, ok2 := align(o.units, o.exp, to)
	if t.over || o.over || !ok1 || !ok2 || b > a {
		return tally{}, false
	}
	return tally{units: a - b, exp: to}, true
}

// decimal returns t as a new decimal.
func (t tally) decimal() *apd.Decimal { return word{coeff: t.units, exp: t.exp}.decimal() }

// align returns u units of 10^exp in units of 10^to, to at most exp, and
// whether it fits 64 bits.
func align(u uint64, exp, to int32) (uint64, bool) {
	ok := true
	for ; exp > to && ok && u != 0; exp-- {
		u, ok = mul64(u, 10)
	}
	return u, ok
}
