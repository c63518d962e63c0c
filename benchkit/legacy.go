package benchkit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
)

// Criterion types of the older layout.
const (
	criterionLogMatch      = "log_match"
	criterionResourceLimit = "resource_limit"
)

var (
	presentCriteria = []string{"event_present", "event_occurred", "required_event"}
	absentCriteria  = []string{"event_absent", "forbidden_event"}
)

// criterionKeys are the keys of the criteria whose keys are fixed (the
// others' are field filters).
var criterionKeys = map[string][]string{
	criterionLogMatch:      {"type", "pattern"},
	criterionResourceLimit: {"type", "resource", "max"},
}

// RequiredResources are the resources a task of the older layout needs, as
// written. No rule checks them and RunScenario does not reserve them: they
// describe the task (a Judge sees them in JudgeRequest.Scenario).
type RequiredResources struct {
	// Shares are the values of the <resource>_percent keys, by resource,
	// as written: the share of each resource's capacity the task needs.
	Shares map[string]*apd.Decimal
	// Duration is duration_seconds.
	Duration time.Duration
	// Other keeps every other key, as written.
	Other map[string]json.RawMessage
}

// load reads required_resources.
func (rr *RequiredResources) load(raw json.RawMessage) error {
	const path = "required_resources"
	m, err := object(raw, path)
	if err != nil {
		return err
	}
	rr.Shares, rr.Other = map[string]*apd.Decimal{}, map[string]json.RawMessage{}
	for _, k := range sortedKeys(m) {
		res, isShare := strings.CutSuffix(k, "_percent")
		switch {
		case k == "duration_seconds":
			if rr.Duration, err = secondsAt(m[k], path+"."+k); err != nil {
				return err
			}
		case isShare && res != "":
			d, err := decimalAt(m[k], path+"."+k)
			if err != nil {
				return err
			}
			if d.Negative {
				return errAt(path+"."+k, "negative share %s", d.Text('f'))
			}
			rr.Shares[res] = d
		default:
			rr.Other[k] = m[k]
		}
	}
	return nil
}

// secondsAt reads a non-negative number of seconds, exact to the
// nanosecond, of at most a year.
func secondsAt(raw json.RawMessage, path string) (time.Duration, error) {
	d, err := decimalAt(raw, path)
	if err != nil {
		return 0, err
	}
	if d.Negative || d.Cmp(apd.New(365*24*3600, 0)) > 0 {
		return 0, errAt(path, "%s seconds is not between 0 and a year", d.Text('f'))
	}
	ns := new(apd.Decimal)
	if _, err := exactRatioContext().Mul(ns, d, apd.New(1, 9)); err != nil {
		return 0, errAt(path, "%v", err)
	}
	n, err := ns.Int64()
	if err != nil {
		return 0, errAt(path, "%s seconds is not a whole number of nanoseconds", d.Text('f'))
	}
	return time.Duration(n), nil
}

// loadCriteria maps the criteria of the older layout onto rules, merged
// with those the validation block already gave.
func (s *Scenario) loadCriteria(raw json.RawMessage, o LoadOptions) error {
	items, err := array(raw, "validation_criteria")
	if err != nil {
		return err
	}
	for i, it := range items {
		path := fmt.Sprintf("validation_criteria[%d]", i)
		m, err := object(it, path)
		if err != nil {
			return err
		}
		var typ string
		if err := optString(m, "type", path+".type", &typ); err != nil {
			return err
		}
		if typ == "" {
			return errAt(path+".type", "missing criterion type")
		}
		if err := s.addCriterion(typ, m, path, o); err != nil {
			return err
		}
	}
	return nil
}

// addCriterion adds the criterion m of type typ to the scenario's rules.
func (s *Scenario) addCriterion(typ string, m map[string]json.RawMessage, path string, o LoadOptions) error {
	if keys, ok := criterionKeys[typ]; ok {
		if err := knownKeys(m, keys, path, o.Strict); err != nil {
			return err
		}
	}
	switch {
	case typ == criterionLogMatch:
		var pattern string
		if err := optString(m, "pattern", path+".pattern", &pattern); err != nil || pattern == "" {
			return errAt(path+".pattern", "want a non-empty string")
		}
		lm := ruleOf(s, func() *LogMatch { return &LogMatch{} })
		lm.Patterns = append(lm.Patterns, pattern)
	case slices.Contains(presentCriteria, typ), slices.Contains(absentCriteria, typ):
		st, err := criterionStep(m, path)
		if err != nil {
			return err
		}
		if slices.Contains(presentCriteria, typ) {
			r := ruleOf(s, func() *RequiredEvents { return &RequiredEvents{} })
			r.Events = append(r.Events, st)
		} else {
			r := ruleOf(s, func() *ForbiddenEvents { return &ForbiddenEvents{} })
			r.Events = append(r.Events, st)
		}
	case typ == criterionResourceLimit:
		var resource string
		if err := optString(m, "resource", path+".resource", &resource); err != nil || resource == "" {
			return errAt(path+".resource", "want a resource name")
		}
		limit, ok := m["max"]
		if !ok {
			return errAt(path+".max", "missing")
		}
		c, err := constraintAt(resourceAlias(resource), limit, path+".max", "<=")
		if err != nil {
			return err
		}
		r := ruleOf(s, func() *ResourceConsumption { return &ResourceConsumption{} })
		r.Limits = append(r.Limits, c)
	default:
		if o.Strict && !slices.Contains(o.Kinds, typ) {
			return errAt(path+".type", "unknown criterion type %q%s", typ,
				suggest(typ, append([]string{criterionLogMatch, criterionResourceLimit}, append(presentCriteria, absentCriteria...)...)))
		}
		kind := typ
		for n := 2; s.rule(kind) != nil; n++ {
			kind = fmt.Sprintf("%s#%d", typ, n)
		}
		s.Rules = append(s.Rules, &ExternalRule{RuleKind: kind, Config: mustMarshal(m)})
	}
	return nil
}

// criterionStep reads the step of an event_present or event_absent
// criterion: event_type (or event) is the type, other keys filters.
func criterionStep(m map[string]json.RawMessage, path string) (Step, error) {
	step := map[string]json.RawMessage{}
	for k, v := range m {
		switch k {
		case "type":
		case "event_type", "event":
			step["type"] = v
		default:
			step[k] = v
		}
	}
	if _, ok := step["type"]; !ok {
		return Step{}, errAt(path+".event_type", "missing")
	}
	return loadStep(mustMarshal(step), path)
}

// ruleOf returns the scenario's rule of type R, adding the one newRule
// returns if it has none.
func ruleOf[R Rule](s *Scenario, newRule func() R) R {
	for _, r := range s.Rules {
		if q, ok := r.(R); ok {
			return q
		}
	}
	r := newRule()
	s.Rules = append(s.Rules, r)
	return r
}

// mustMarshal encodes a map of raw JSON values, which cannot fail.
func mustMarshal(m map[string]json.RawMessage) json.RawMessage {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}
