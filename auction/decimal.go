package auction

import (
	"fmt"
	"math/bits"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

const (
	// MaxScale is the largest Round.Scale and reserve rule scale: prices and
	// payments have at most 18 decimal places.
	MaxScale = 18
	// MaxDigits bounds limits and prices: at most 34 significant digits, and
	// less than 10^34. Within these bounds every computation of the package
	// is exact.
	MaxDigits = exact.MaxDigits // 34
	// UtilisationPlaces is the number of decimal places of
	// Result.Utilisation.
	UtilisationPlaces = 4
)

// checkBounded reports whether d is a finite positive decimal within
// MaxDigits significant digits and below 10^MaxDigits.
func checkBounded(d *apd.Decimal) error {
	switch {
	case d == nil:
		return fmt.Errorf("missing")
	case d.Form != apd.Finite:
		return fmt.Errorf("%s is not finite", d)
	case d.Sign() <= 0:
		return fmt.Errorf("%s is not positive", d.Text('f'))
	case d.Coeff.IsUint64() && d.Exponent <= MaxDigits-20:
		return nil // at most 20 digits, the highest below 10^MaxDigits
	}
	var r apd.Decimal
	r.Reduce(d)
	if r.NumDigits() > MaxDigits || adjusted(&r) >= MaxDigits {
		return fmt.Errorf("%s has more than %d digits", d.Text('f'), MaxDigits)
	}
	return nil
}

// onScale reports whether the finite d has no non-zero digit beyond scale
// decimal places.
func onScale(d *apd.Decimal, scale int32) bool {
	if d.Exponent >= -scale {
		return true
	}
	var r apd.Decimal
	r.Reduce(d)
	return r.IsZero() || r.Exponent >= -scale
}

// tick returns the smallest positive price at scale, 10^-scale.
func tick(scale int32) *apd.Decimal { return apd.New(1, -scale) }

// adjusted returns the exponent of d's most significant digit.
func adjusted(d *apd.Decimal) int64 {
	return int64(d.Exponent) + d.NumDigits() - 1
}

// quoFloor returns num/den rounded toward zero to scale decimal places,
// exactly, for num >= 0 and den > 0. The quotient is first truncated to
// enough significant digits to reach the last place (at least 34), then
// quantized toward zero: two truncations compose into the exact floor.
func quoFloor(num, den *apd.Decimal, scale int32) (*apd.Decimal, error) {
	q := new(apd.Decimal)
	precision := max(34, adjusted(num)-adjusted(den)+2+int64(scale))
	ctx := apd.BaseContext.WithPrecision(uint32(precision))
	ctx.Rounding = apd.RoundDown
	if _, err := ctx.Quo(q, num, den); err != nil {
		return nil, fmt.Errorf("auction: %s / %s: %w", num.Text('f'), den.Text('f'), err)
	}
	if _, err := ctx.Quantize(q, q, -scale); err != nil {
		return nil, fmt.Errorf("auction: %s / %s: %w", num.Text('f'), den.Text('f'), err)
	}
	return q, nil
}

// floorTo sets dst to d rounded toward zero to scale decimal places, as
// quoFloor(d, 1, scale) computes it, coefficient and exponent alike, for a
// finite d >= 0, and returns dst. w is d as a word: it computes on
// integers where w is ok and the result fits 64 bits, and reads d only
// where not; d may be nil where w is ok.
func floorTo(dst *apd.Decimal, w word, d *apd.Decimal, scale int32) (*apd.Decimal, error) {
	if u, ok := floorUnits(w, scale); ok {
		dst.Coeff.SetUint64(u)
		dst.Exponent, dst.Form, dst.Negative = -scale, apd.Finite, false
		return dst, nil
	}
	if d == nil {
		d = w.decimal()
	}
	q, err := quoFloor(d, apd.New(1, 0), scale)
	if err != nil {
		return nil, err
	}
	return dst.Set(q), nil
}

// floorUnits returns the decimal w holds in whole units of 10^-scale,
// rounded toward zero, if w is ok and the result fits 64 bits.
func floorUnits(w word, scale int32) (uint64, bool) {
	if !w.ok {
		return 0, false
	}
	u, shift := w.coeff, int64(w.exp)+int64(scale)
	if shift < -19 {
		return 0, true
	}
	for ; shift < 0; shift++ {
		u /= 10
	}
	ok := true
	for ; shift > 0 && ok; shift-- {
		u, ok = mul64(u, 10)
	}
	return u, ok
}

// quoHalfEven returns num/den rounded half to even to scale decimal places,
// exactly, for num >= 0 and den > 0: it takes the floor, then compares the
// exact remainder with half a tick.
func quoHalfEven(num, den *apd.Decimal, scale int32) (*apd.Decimal, error) {
	f, err := quoFloor(num, den, scale)
	if err != nil {
		return nil, err
	}
	// rem = num - f×den >= 0; round up when 2×rem > tick×den, or on a tie
	// when f's last digit is odd.
	var rem, twice, half apd.Decimal
	if err := chain(
		op(exact.Context.Mul, &rem, f, den),
		op(exact.Context.Sub, &rem, num, &rem),
		op(exact.Context.Add, &twice, &rem, &rem),
		op(exact.Context.Mul, &half, tick(scale), den),
	); err != nil {
		return nil, err
	}
	c := twice.Cmp(&half)
	if c > 0 || (c == 0 && f.Coeff.Bit(0) == 1) {
		if _, err := exact.Context.Add(f, f, tick(scale)); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// binary is an apd.Context operation such as exact.Context.Mul.
type binary func(d, x, y *apd.Decimal) (apd.Condition, error)

// op binds a binary operation to its operands.
func op(f binary, d, x, y *apd.Decimal) func() error {
	return func() error {
		_, err := f(d, x, y)
		return err
	}
}

// chain runs steps in order and returns the first error.
func chain(steps ...func() error) error {
	for _, s := range steps {
		if err := s(); err != nil {
			return fmt.Errorf("auction: exact arithmetic: %w", err)
		}
	}
	return nil
}

// mul64 returns x × y and whether it fits 64 bits.
func mul64(x, y uint64) (uint64, bool) {
	hi, lo := bits.Mul64(x, y)
	return lo, hi == 0
}

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
