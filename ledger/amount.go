package ledger

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// ParseAmount parses s strictly: a plain decimal string as accepted by
// events.ParseDecimal (no exponent, NaN or infinity) that passes
// ValidateAmount. It returns the amount in reduced form. Errors wrap
// ErrInvalidAmount.
func (l *Ledger) ParseAmount(s string) (*apd.Decimal, error) {
	canonical, err := events.ParseDecimal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidAmount, err)
	}
	d := canonical.MustApd()
	if err := l.ValidateAmount(d); err != nil {
		return nil, err
	}
	return reduce(d), nil
}

// ValidateAmount reports whether a is a valid amount for the ledger: not nil,
// finite, greater than zero, no finer than the ledger's scale and at most its
// maximum amount. Errors wrap ErrInvalidAmount.
func (l *Ledger) ValidateAmount(a *apd.Decimal) error {
	switch {
	case a == nil:
		return fmt.Errorf("%w: missing", ErrInvalidAmount)
	case a.Form != apd.Finite:
		return fmt.Errorf("%w: %s is not finite", ErrInvalidAmount, a)
	case a.Sign() <= 0:
		return fmt.Errorf("%w: %s is not positive", ErrInvalidAmount, a.Text('f'))
	case a.Cmp(l.maxAmount) > 0:
		return fmt.Errorf("%w: %s exceeds the maximum %s", ErrInvalidAmount, a.Text('f'), l.maxAmount.Text('f'))
	case finerThan(a, l.scale):
		return fmt.Errorf("%w: %s is finer than %d decimal places", ErrInvalidAmount, a.Text('f'), l.scale)
	}
	return nil
}

// amount validates a and returns a reduced copy the caller cannot change.
func (l *Ledger) amount(a *apd.Decimal) (*apd.Decimal, error) {
	if err := l.ValidateAmount(a); err != nil {
		return nil, err
	}
	return reduce(a), nil
}

// ownAmount is amount for a write: it takes the copy from the ledger's
// slab of amounts. An amount written as the last one was, a repeated price
// say, is that one: it is valid, and the ledger never modifies a decimal it
// holds. It runs with l.mu held.
func (l *Ledger) ownAmount(a *apd.Decimal) (*apd.Decimal, error) {
	if last := l.lastAmount; last != nil && a != nil && sameDecimal(a, last) {
		return last, nil
	}
	if err := l.ValidateAmount(a); err != nil {
		return nil, err
	}
	l.lastAmount = reduceInto(l.amounts.new(), a)
	return l.lastAmount, nil
}

// sameDecimal reports whether x and y are finite and written alike: same
// sign, coefficient and exponent. It is a cheap test of equality that
// misses equal values written differently.
func sameDecimal(x, y *apd.Decimal) bool {
	return x.Form == apd.Finite && y.Form == apd.Finite && x.Negative == y.Negative &&
		x.Exponent == y.Exponent && x.Coeff.Cmp(&y.Coeff) == 0
}

// finerThan reports whether the finite d has a non-zero digit beyond scale
// decimal places.
func finerThan(d *apd.Decimal, scale int32) bool {
	if d.Exponent >= -scale {
		return false
	}
	var r apd.Decimal
	r.Reduce(d)
	return !r.IsZero() && r.Exponent < -scale
}

// reduce returns a copy of the finite d without trailing zeros after the
// decimal point and without a positive exponent: "30.00" becomes 30 with
// exponent 0, "12.50" becomes 12.5. So an integer amount prints without an
// exponent and a difference of integers is never a zero with an exponent.
func reduce(d *apd.Decimal) *apd.Decimal {
	return reduceInto(new(apd.Decimal), d)
}

// reduceInto is reduce with the copy in r, which it returns.
func reduceInto(r, d *apd.Decimal) *apd.Decimal {
	r.Reduce(d)
	if r.Exponent > 0 {
		// Quantizing to exponent 0 only appends zeros; it fails only for
		// more than Precision digits, which a valid amount never has.
		if _, err := widen.Quantize(r, r, 0); err != nil {
			r.Reduce(d)
		}
	}
	return r
}

// widen is the context reduce quantizes in. A Context is safe for concurrent
// use as long as nobody modifies it.
var widen = newContext()

// decimalOf returns the wire form of d.
func decimalOf(d *apd.Decimal) events.Decimal { return events.DecimalOf(d) }
