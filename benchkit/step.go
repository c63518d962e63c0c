package benchkit

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// Step describes the events a rule looks for: a sequence step, a required
// or a forbidden event. An event matches it when it has the type, every
// filter, the contained text and every constraint.
type Step struct {
	// Type is the event type; required.
	Type events.Type
	// Label names the event a sequence step matched, for references from
	// later constraints, ordering constraints and <label>_succeeded. Only
	// sequence steps have labels.
	Label string
	// Filters map a field path to the value the field must have. A path is
	// an envelope attribute (id, type, source, subject, time, sequence,
	// correlation, causation, traceparent, schema), "data.<a>.<b>" or a bare
	// "<a>.<b>" meaning "data.<a>.<b>". Values compare as text, and as
	// decimals when both are numbers ("10" matches 10.0).
	Filters map[string]string
	// Contains, if set, must occur in one of the string values of the
	// event's data, at any depth, with the same case.
	Contains string
	// Constraints compare numeric fields of the event.
	Constraints []Constraint
}

// String describes the step, such as
// `bid_placed[tool_name=market.bid contains "x" total_cost <= 500]`.
func (s Step) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.Filters)) {
		parts = append(parts, k+"="+s.Filters[k])
	}
	if s.Contains != "" {
		parts = append(parts, fmt.Sprintf("contains %q", s.Contains))
	}
	for _, c := range s.Constraints {
		parts = append(parts, c.String())
	}
	name := string(s.Type)
	if s.Label != "" {
		name = s.Label + ":" + name
	}
	if len(parts) == 0 {
		return name
	}
	return name + "[" + strings.Join(parts, " ") + "]"
}

// mismatch returns "" if v matches the step, else why not. An event of
// another type does not match, with the reason "type".
func (s Step) mismatch(v fieldView, resolve refResolver) string {
	if v.event.Type != s.Type {
		return "type"
	}
	for _, k := range slices.Sorted(maps.Keys(s.Filters)) {
		x, ok := v.lookup(k)
		if !ok {
			return fmt.Sprintf("%s is missing", k)
		}
		if !equalValue(x, s.Filters[k]) {
			got, _ := text(x)
			return fmt.Sprintf("%s is %q, not %q", k, got, s.Filters[k])
		}
	}
	if s.Contains != "" && !containsText(v.data, s.Contains, 0) {
		return fmt.Sprintf("no string in its data contains %q", s.Contains)
	}
	for _, c := range s.Constraints {
		if why := c.check(v, resolve); why != "" {
			return why
		}
	}
	return ""
}

// validate checks the step at path; labels are the labels of earlier
// steps, which its constraints may reference.
func (s Step) validate(path string, labels map[string]bool) error {
	if s.Type == "" {
		return errAt(path+".type", "missing event type")
	}
	for k := range s.Filters {
		if k == "" || strings.HasPrefix(k, ".") || strings.HasSuffix(k, ".") || strings.Contains(k, "..") {
			return errAt(path+"."+k, "invalid field path %q", k)
		}
	}
	for _, c := range s.Constraints {
		if err := validateConstraint(c, labels); err != nil {
			return &ScenarioError{Path: path + ".constraints." + c.Field, Err: err}
		}
	}
	return nil
}

// validateConstraint checks that c is complete and that its reference, if
// any, names a known label or initial-state value.
func validateConstraint(c Constraint, labels map[string]bool) error {
	if !compare(0, c.Op) && !compare(1, c.Op) && !compare(-1, c.Op) {
		return fmt.Errorf("%w: unknown comparison %q", ErrConstraint, c.Op)
	}
	if c.Ref == "" {
		if c.Value == nil {
			return fmt.Errorf("%w: no value", ErrConstraint)
		}
		return nil
	}
	if err := checkRef(c.Ref, c.Ref); err != nil {
		return err
	}
	if l := c.label(); l != "" && !labels[l] {
		return fmt.Errorf("%w: %q refers to label %q, which no earlier step has", ErrConstraint, c.Ref, l)
	}
	return nil
}

// Constraint compares a numeric field of an event with a literal or with a
// referenced value, exactly, as decimals. Its text form is
//
//	<op><decimal>               "<=500"
//	<op><reference>             "<first_attempt.total_cost"
//	<op><decimal>%<reference>   "<=110%first_attempt.total_cost"
//
// where op is one of < <= > >= == != (a single = means ==) and a
// reference is "<label>.<field path>", the field of the event a sequence
// step labelled earlier, or "initial_state.agent_balance" or
// "initial_state.resource_prices.<resource>". A percentage p% of a
// reference r stands for r × p / 100.
type Constraint struct {
	// Field is the path of the constrained field on the event.
	Field string
	// Op is the comparison: <, <=, >, >=, == or !=.
	Op string
	// Value is the literal, or the percentage when Percent is set; nil for
	// a plain reference.
	Value *apd.Decimal
	// Percent marks Value as a percentage of Ref.
	Percent bool
	// Ref is the referenced value, empty for a literal.
	Ref string
}

// constraintOps are the comparisons, longest first so that "<=" is not
// read as "<".
var constraintOps = []string{"<=", ">=", "==", "!=", "<", ">", "="}

// ParseConstraint parses the constraint expr on field. Errors wrap
// ErrConstraint.
func ParseConstraint(field, expr string) (Constraint, error) {
	c := Constraint{Field: field}
	if field == "" {
		return c, fmt.Errorf("%w: empty field", ErrConstraint)
	}
	s := strings.TrimSpace(expr)
	for _, op := range constraintOps {
		if rest, ok := strings.CutPrefix(s, op); ok {
			c.Op, s = op, strings.TrimSpace(rest)
			break
		}
	}
	switch c.Op {
	case "":
		return c, fmt.Errorf("%w: %q does not start with one of < <= > >= == !=", ErrConstraint, expr)
	case "=":
		c.Op = "=="
	}
	return c, c.parseOperand(s, expr)
}

// parseOperand parses what follows the comparison.
func (c *Constraint) parseOperand(s, expr string) error {
	if num, ref, ok := strings.Cut(s, "%"); ok {
		d, err := parseExact(strings.TrimSpace(num))
		if err != nil {
			return fmt.Errorf("%w: %q: percentage: %v", ErrConstraint, expr, err)
		}
		ref = strings.TrimSpace(ref)
		if ref == "" {
			return fmt.Errorf("%w: %q: a percentage needs a reference, as in <=110%%first_attempt.total_cost", ErrConstraint, expr)
		}
		c.Value, c.Percent, c.Ref = d, true, ref
		return checkRef(ref, expr)
	}
	if d, err := parseExact(s); err == nil {
		c.Value = d
		return nil
	}
	c.Ref = s
	return checkRef(s, expr)
}

// checkRef reports whether ref has the form of a reference.
func checkRef(ref, expr string) error {
	label, path, ok := strings.Cut(ref, ".")
	if !ok || !isIdent(label) || path == "" || strings.ContainsAny(ref, " \t\n") {
		return fmt.Errorf("%w: %q: %q is neither a decimal nor a <label>.<field> reference", ErrConstraint, expr, ref)
	}
	return nil
}

// label returns the label the constraint refers to, or "".
func (c Constraint) label() string {
	l, _, _ := strings.Cut(c.Ref, ".")
	if l == "initial_state" {
		return ""
	}
	return l
}

// String returns the constraint as "field op operand".
func (c Constraint) String() string {
	var operand string
	switch {
	case c.Percent:
		operand = c.Value.Text('f') + "%" + c.Ref
	case c.Ref != "":
		operand = c.Ref
	case c.Value != nil:
		operand = c.Value.Text('f')
	}
	return fmt.Sprintf("%s %s %s", c.Field, c.Op, operand)
}

// refResolver returns the decimal a reference stands for.
type refResolver func(ref string) (*apd.Decimal, error)

// check compares the field of v with the constraint's operand and returns
// "" if it holds, else why not.
func (c Constraint) check(v fieldView, resolve refResolver) string {
	x, ok := v.lookup(c.Field)
	if !ok {
		return fmt.Sprintf("%s is missing", c.Field)
	}
	got, ok := numeric(x)
	if !ok {
		s, _ := text(x)
		return fmt.Sprintf("%s %q is not a number", c.Field, s)
	}
	want, err := c.operand(resolve)
	if err != nil {
		return fmt.Sprintf("%s: %v", c, err)
	}
	if !compare(got.Cmp(want), c.Op) {
		return fmt.Sprintf("%s %s is not %s %s", c.Field, got.Text('f'), c.Op, want.Text('f'))
	}
	return ""
}

// operand returns the value the field is compared with.
func (c Constraint) operand(resolve refResolver) (*apd.Decimal, error) {
	if c.Ref == "" {
		return c.Value, nil
	}
	r, err := resolve(c.Ref)
	if err != nil {
		return nil, err
	}
	if !c.Percent {
		return r, nil
	}
	ctx := exactRatioContext()
	var p apd.Decimal
	if _, err := ctx.Mul(&p, r, c.Value); err != nil {
		return nil, err
	}
	if _, err := ctx.Quo(&p, &p, apd.New(100, 0)); err != nil {
		return nil, err
	}
	return &p, nil
}

// compare reports whether a comparison result cmp satisfies op.
func compare(cmp int, op string) bool {
	switch op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	case "==":
		return cmp == 0
	case "!=":
		return cmp != 0
	}
	return false
}

// isIdent reports whether s is a name: a letter or underscore, then
// letters, digits and underscores.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
