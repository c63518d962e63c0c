package ledger

import (
	"math/bits"

	"github.com/cockroachdb/apd/v3"
)

// pow10 holds the powers of ten that fit in a uint64.
var pow10 = [...]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// addExact sets d to x+y, or x-y if subtract, and reports whether it could
// do so in uint64 arithmetic with exactly the result c.Add or c.Sub would
// give: both finite, their coefficients aligned to the smaller exponent
// fitting in 64 bits, as does their sum, and the result inside c's
// precision and exponent range, so that c would neither round nor raise a
// condition. Otherwise it leaves d alone and returns false. It is the fast
// path of the balances of the common case; d may be x or y.
func addExact(c *apd.Context, d, x, y *apd.Decimal, subtract bool) bool {
	if x.Form != apd.Finite || y.Form != apd.Finite || !x.Coeff.IsUint64() || !y.Coeff.IsUint64() {
		return false
	}
	a, b, exp, ok := align(x.Coeff.Uint64(), x.Exponent, y.Coeff.Uint64(), y.Exponent)
	if !ok {
		return false
	}
	coeff, neg, ok := addSigned(a, x.Negative, b, y.Negative != subtract, c.Rounding)
	if !ok {
		return false
	}
	n := numDigits(coeff)
	if adj := int64(exp) + n - 1; n > int64(c.Precision) || adj < int64(c.MinExponent) || adj > int64(c.MaxExponent) {
		return false
	}
	d.Form, d.Negative, d.Exponent = apd.Finite, neg, exp
	d.Coeff.SetUint64(coeff)
	return true
}

// align returns the coefficients a (exponent ae) and b (exponent be) scaled
// to the smaller exponent, and that exponent; false if one does not fit.
func align(a uint64, ae int32, b uint64, be int32) (uint64, uint64, int32, bool) {
	switch {
	case ae == be:
		return a, b, ae, true
	case ae > be:
		a, ok := scale(a, int64(ae)-int64(be))
		return a, b, be, ok
	}
	b, ok := scale(b, int64(be)-int64(ae))
	return a, b, ae, ok
}

// scale returns v * 10^n, false if it does not fit in a uint64.
func scale(v uint64, n int64) (uint64, bool) {
	if n >= int64(len(pow10)) {
		return 0, v == 0
	}
	hi, lo := bits.Mul64(v, pow10[n])
	return lo, hi == 0
}

// addSigned returns the magnitude and sign of (±a) + (±b), as apd's
// addition sets them: a zero difference is negative only when rounding
// toward floor. It is false if the sum overflows.
func addSigned(a uint64, aNeg bool, b uint64, bNeg bool, r apd.Rounder) (uint64, bool, bool) {
	switch {
	case aNeg == bNeg:
		sum, carry := bits.Add64(a, b, 0)
		return sum, aNeg, carry == 0
	case a > b:
		return a - b, aNeg, true
	case a < b:
		return b - a, !aNeg, true
	}
	return 0, r == apd.RoundFloor, true
}

// numDigits returns the number of decimal digits of v, 1 for zero.
func numDigits(v uint64) int64 {
	n := int64(1)
	for n < int64(len(pow10)) && v >= pow10[n] {
		n++
	}
	return n
}

// addInto sets d to x+y in c, by addExact when it can.
func addInto(c *apd.Context, d, x, y *apd.Decimal) error {
	if addExact(c, d, x, y, false) {
		return nil
	}
	_, err := c.Add(d, x, y)
	return err
}

// subInto sets d to x-y in c, by addExact when it can.
func subInto(c *apd.Context, d, x, y *apd.Decimal) error {
	if addExact(c, d, x, y, true) {
		return nil
	}
	_, err := c.Sub(d, x, y)
	return err
}
