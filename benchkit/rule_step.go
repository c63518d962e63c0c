package benchkit

import (
	"fmt"
	"maps"
	"slices"
	"strings"

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
