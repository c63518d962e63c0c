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
	x, err := d.Apd()
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

// payload returns the payload p points to if p is a non-nil pointer to a
// payload value, else p: the checks accept both forms.
func payload(p events.Payload) events.Payload {
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		if d, ok := v.Elem().Interface().(events.Payload); ok {
			return d
		}
	}
	return p
}
