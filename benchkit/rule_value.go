package benchkit

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// Ratio is an exact number Num/Den with Den above zero. Most values are
// decimals (Den is one); a mean is kept as a fraction so that comparing it
// never rounds.
type Ratio struct {
	// Num is the numerator.
	Num *apd.Decimal
	// Den is the denominator, above zero; nil means one.
	Den *apd.Decimal
}

// RatioOf returns the Ratio of the decimal d.
func RatioOf(d *apd.Decimal) Ratio { return Ratio{Num: d} }

// String returns the decimal, or "num/den" for a fraction.
func (r Ratio) String() string {
	if r.Num == nil {
		return "<nil>"
	}
	if r.Den == nil || r.Den.Cmp(apd.New(1, 0)) == 0 {
		return r.Num.Text('f')
	}
	return fmt.Sprintf("%s/%s", r.Num.Text('f'), r.Den.Text('f'))
}

// den returns the denominator, one if unset.
func (r Ratio) den() *apd.Decimal {
	if r.Den == nil {
		return apd.New(1, 0)
	}
	return r.Den
}

// Cmp compares r with s exactly, by cross-multiplying: -1, 0 or +1. It
// fails if a value is missing, a denominator is not above zero, or a
// product needs more than maxRatioDigits digits.
func (r Ratio) Cmp(s Ratio) (int, error) {
	if r.Num == nil || s.Num == nil {
		return 0, fmt.Errorf("missing value")
	}
	if r.den().Sign() <= 0 || s.den().Sign() <= 0 {
		return 0, fmt.Errorf("denominator not above zero")
	}
	ctx := exactRatioContext()
	var a, b apd.Decimal
	if _, err := ctx.Mul(&a, r.Num, s.den()); err != nil {
		return 0, err
	}
	if _, err := ctx.Mul(&b, s.Num, r.den()); err != nil {
		return 0, err
	}
	return a.Cmp(&b), nil
}

// maxRatioDigits bounds the significant digits of an exact computation.
const maxRatioDigits = 300

// exactRatioContext returns a context in which rounding is an error.
func exactRatioContext() *apd.Context {
	ctx := apd.BaseContext.WithPrecision(maxRatioDigits)
	ctx.Traps |= apd.Inexact | apd.Rounded
	return ctx
}

// maxDecimalText bounds the length of a decimal in a scenario or a field.
const maxDecimalText = 100

// parseExact parses a finite decimal, JSON exponent notation included,
// exactly.
func parseExact(s string) (*apd.Decimal, error) {
	if s == "" || len(s) > maxDecimalText {
		return nil, fmt.Errorf("%q is not a decimal", s)
	}
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite || d.Exponent > maxDecimalText || d.Exponent < -maxDecimalText {
		return nil, fmt.Errorf("%q is not a finite decimal", s)
	}
	return d, nil
}
