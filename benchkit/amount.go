package benchkit

import (
	"reflect"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// exactPrecision is the number of significant digits the checks compute
// with; a result that would need more is reported, not rounded.
const exactPrecision = 34

// newExactContext returns a context in which any rounding is an error.
func newExactContext() *apd.Context {
	ctx := apd.BaseContext.WithPrecision(exactPrecision)
	ctx.Traps |= apd.Inexact | apd.Rounded
	return ctx
}

// decimal parses the required decimal field of the current event, flagging
// it if it is absent or malformed.
func (r *recorder) decimal(field string, d events.Decimal) (*apd.Decimal, bool) {
	if d == "" {
		r.flag("%s is missing", field)
		return nil, false
	}
	x, err := r.parse(d)
	if err != nil {
		r.flag("%s %q is not a decimal", field, d)
		return nil, false
	}
	return x, true
}

// positive is like decimal and also flags a value that is not above zero.
func (r *recorder) positive(field string, d events.Decimal) (*apd.Decimal, bool) {
	x, ok := r.decimal(field, d)
	if ok && x.Sign() <= 0 {
		r.flag("%s %s is not positive", field, d)
		return nil, false
	}
	return x, ok
}

// nonNegative is like decimal and also flags a value below zero.
func (r *recorder) nonNegative(field string, d events.Decimal) (*apd.Decimal, bool) {
	x, ok := r.decimal(field, d)
	if ok && x.Sign() < 0 {
		r.flag("%s %s is negative", field, d)
		return nil, false
	}
	return x, ok
}

// payload returns the typed payload of p: the payload p points to if p is
// a non-nil pointer to a payload value, the typed payload of data read with
// every field (fullData), else p: the checks accept every form.
func payload(p events.Payload) events.Payload {
	if f, ok := p.(fullData); ok {
		p = f.Payload
	}
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		if d, ok := v.Elem().Interface().(events.Payload); ok {
			return d
		}
	}
	return p
}

// decimalRing is how many parsed decimals a recorder keeps at once: a
// check uses what it parses within the event that carries it.
const decimalRing = 32

// parse returns the value of x as [events.Decimal.Apd] does, parsing a
// plain decimal of at most 18 digits ("-123.45") without the general
// parser, into the recorder's ring of decimals: the result stays valid for
// the next decimalRing-1 parses.
func (r *recorder) parse(x events.Decimal) (*apd.Decimal, error) {
	d := &r.ring[r.next%decimalRing]
	r.next++
	if parsePlain(d, string(x)) {
		return d, nil
	}
	y, err := x.Apd()
	if err != nil {
		return nil, err
	}
	return d.Set(y), nil
}

// parsePlain sets d to s and reports true if s is an optional minus sign
// and 1 to 18 digits with at most one decimal point among or after them;
// else it reports false and leaves d unspecified.
func parsePlain(d *apd.Decimal, s string) bool {
	i, neg := 0, false
	if len(s) > 0 && s[0] == '-' {
		i, neg = 1, true
	}
	var coeff int64
	var exp int32
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			if digits == 18 {
				return false
			}
			coeff = coeff*10 + int64(c-'0')
			digits++
			if dot {
				exp--
			}
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return false
		}
	}
	if digits == 0 {
		return false
	}
	d.SetFinite(coeff, exp)
	d.Negative = neg && coeff != 0
	return true
}
