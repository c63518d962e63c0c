package invariant

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/exact"
)

// finding is a violation and the stream position of its event.
type finding struct {
	index int
	v     *Violation
}

// recorder collects the findings of one check while it replays a stream.
type recorder struct {
	check string
	index int
	event events.Event
	found []finding
	ring  [decimalRing]apd.Decimal // see parse
	next  int
}

func newRecorder(check string) *recorder { return &recorder{check: check} }

// at makes e, at stream position i, the event later findings are about.
func (r *recorder) at(i int, e events.Event) {
	r.index, r.event = i, e
}

// flag records a violation at the current event.
func (r *recorder) flag(format string, args ...any) {
	r.found = append(r.found, finding{r.index, &Violation{
		Check: r.check, EventID: r.event.ID, Detail: fmt.Sprintf(format, args...),
	}})
}

// inOrder merges the findings of several checks in stream order; findings
// at the same event keep the order of the checks.
func inOrder(lists ...[]finding) []*Violation {
	var all []finding
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b finding) int { return cmp.Compare(a.index, b.index) })
	out := make([]*Violation, len(all))
	for i, f := range all {
		out[i] = f.v
	}
	return out
}

// join returns nil for no violations, else an error joining them.
func join(vs []*Violation) error {
	if len(vs) == 0 {
		return nil
	}
	errs := make([]error, len(vs))
	for i, v := range vs {
		errs[i] = v
	}
	return errors.Join(errs...)
}

// exactPrecision is the number of significant digits the checks compute
// with; a result that would need more is reported, not rounded.
const exactPrecision = exact.MaxDigits // 34

// newExactContext returns a context in which any rounding is an error.
func newExactContext() *apd.Context { return exact.WithPrecision(exactPrecision) }

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

// decimalRing is how many parsed decimals a recorder keeps at once: a
// check uses what it parses within the event that carries it.
const decimalRing = 32

// parse returns the value of x as [events.Decimal.Apd] does, parsing a
// decimal of at most exact.MaxWordDigits digits ("-123.45") without
// allocating, into the recorder's ring of decimals: the result stays valid
// for the next decimalRing-1 parses.
func (r *recorder) parse(x events.Decimal) (*apd.Decimal, error) {
	d := &r.ring[r.next%decimalRing]
	r.next++
	if coeff, exp, neg, ok := exact.ParseWord(string(x)); ok {
		d.Form, d.Negative, d.Exponent = apd.Finite, neg, exp
		d.Coeff.SetUint64(coeff)
		return d, nil
	}
	y, err := x.Apd()
	if err != nil {
		return nil, err
	}
	return d.Set(y), nil
}

// diffField is a named value of a state that a check compares with its
// replay.
type diffField struct {
	name  string
	value any // a comparable value: a string, an integer, a duration
}

// diff returns "" if want and got, the same fields in the same order,
// have the same values, else a line "-name: want" and a line "+name: got"
// for each field whose values differ, in the order of the fields.
func diff(want, got []diffField) string {
	var b strings.Builder
	for i, w := range want {
		g := got[i]
		if w.value == g.value {
			continue
		}
		fmt.Fprintf(&b, "-\t%s: %s\n+\t%s: %s\n", w.name, fieldText(w.value), g.name, fieldText(g.value))
	}
	return b.String()
}

// fieldText formats a field's value: a string quoted, else as %v does.
func fieldText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}
