package exact

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// Limits of the grammar.
const (
	// MaxLen is the longest string Parse accepts, in bytes, sign and point
	// included: the longest decimal an event carries.
	MaxLen = 64
	// MaxWordDigits is the most significant digits (leading zeros aside)
	// of a coefficient ParseWord returns: every number of 19 digits fits a
	// uint64.
	MaxWordDigits = 19
)

// ErrSyntax reports a string outside the grammar of the package doc.
var ErrSyntax = errors.New("exact: not a plain decimal")

// Parse returns the value of s, a decimal of the grammar of the package
// doc: a negative zero is zero. Errors wrap ErrSyntax.
func Parse(s string) (*apd.Decimal, error) {
	w, ok := scan(s)
	if !ok {
		return nil, syntaxError(s)
	}
	d := new(apd.Decimal)
	if w.sig <= MaxWordDigits {
		return w.set(d), nil
	}
	// A coefficient beyond a word, never zero: apd reads every string of
	// the grammar as the grammar means it.
	if _, _, err := d.SetString(s); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrSyntax, s, err)
	}
	return d, nil
}

// ParseWord returns the coefficient, exponent and sign of s, a decimal of
// the grammar whose coefficient has at most MaxWordDigits significant
// digits, as Parse reads it: neg is false for a zero. It allocates
// nothing; ok is false for any other s, which Parse rejects or reads.
func ParseWord(s string) (coeff uint64, exp int32, neg, ok bool) {
	w, ok := scan(s)
	if !ok || w.sig > MaxWordDigits {
		return 0, 0, false, false
	}
	return w.coeff, w.exp, w.neg, true
}

// word is a decimal of the grammar as scan reads it: coeff × 10^exp,
// negative if neg, with sig significant digits; coeff is only meaningful
// if sig is at most MaxWordDigits.
type word struct {
	coeff uint64
	exp   int32
	neg   bool
	sig   int
}

// set sets d to w, which must hold its coefficient, and returns d.
func (w word) set(d *apd.Decimal) *apd.Decimal {
	d.Form, d.Negative, d.Exponent = apd.Finite, w.neg, w.exp
	d.Coeff.SetUint64(w.coeff)
	return d
}

// scan reads s if it is a decimal of the grammar.
func scan(s string) (w word, ok bool) {
	if len(s) > MaxLen {
		return word{}, false
	}
	i := 0
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		w.neg, i = s[0] == '-', 1
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits++
			if dot {
				w.exp--
			}
			if w.sig > 0 || c != '0' {
				w.sig++
				w.coeff = w.coeff*10 + uint64(c-'0') // meaningless past MaxWordDigits
			}
		case c == '.' && !dot:
			dot = true
		default:
			return word{}, false
		}
	}
	w.neg = w.neg && w.sig > 0
	return w, digits > 0
}

// syntaxError returns the error of s, quoted unless it is too long.
func syntaxError(s string) error {
	if len(s) > MaxLen {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrSyntax, len(s), MaxLen)
	}
	return fmt.Errorf("%w: %q", ErrSyntax, s)
}
