package events

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

// Decimal is an exact decimal number in its canonical string form, such as
// "12.5" or "-3". Amounts of credits, prices and ratios travel as Decimals so
// that no consumer ever sees a float. The zero value "" means "absent".
//
// A Decimal is immutable; convert it with [Decimal.Apd] to compute with it.
type Decimal string

// DecimalOf returns the canonical form of d. It panics if d is nil.
func DecimalOf(d *apd.Decimal) Decimal {
	return Decimal(d.Text('f'))
}

// DecimalInt returns the Decimal for the integer n.
func DecimalInt(n int64) Decimal {
	var d apd.Decimal
	d.SetInt64(n)
	return DecimalOf(&d)
}

// ParseDecimal parses s as a finite decimal number and returns its canonical
// form. s is an optional sign, digits with at most one decimal point among
// or around them ("+5", "-.25" and "5." are 5, -0.25 and 5), and at most 64
// bytes, as is its canonical form. Exponent notation, NaN, infinities and
// spaces are rejected with [ErrBadDecimal].
func ParseDecimal(s string) (Decimal, error) {
	d, err := parseFinite(s)
	if err != nil {
		return "", err
	}
	// The canonical form may be longer than s (".5" is "0.5"); refuse one
	// the parser would not accept back.
	x := DecimalOf(d)
	if len(x) > maxDecimalLen {
		return "", fmt.Errorf("%w: %q", ErrBadDecimal, s)
	}
	return x, nil
}

// Apd returns the value of x as an apd.Decimal. The empty Decimal is zero.
func (x Decimal) Apd() (*apd.Decimal, error) {
	if x == "" {
		return new(apd.Decimal), nil
	}
	return parseFinite(string(x))
}

// MustApd is like [Decimal.Apd] but panics on a malformed value. Use it only
// for values built by this program.
func (x Decimal) MustApd() *apd.Decimal {
	d, err := x.Apd()
	if err != nil {
		panic(err)
	}
	return d
}

// UnmarshalText accepts a finite decimal string, or the empty string for an
// absent value.
func (x *Decimal) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*x = ""
		return nil
	}
	d, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*x = d
	return nil
}

// maxDecimalLen bounds the length of a decimal string accepted by the parser.
const maxDecimalLen = exact.MaxLen

// parseFinite parses s as the module's one decimal parser does (a negative
// zero is zero). Errors wrap ErrBadDecimal and exact.ErrSyntax.
func parseFinite(s string) (*apd.Decimal, error) {
	d, err := exact.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDecimal, err)
	}
	return d, nil
}
