package benchkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// MaxScenarioSize bounds the size of a scenario file, in bytes.
const MaxScenarioSize = 1 << 20

// builtinKinds are the validation keys this package decides itself, in
// the order their rules are listed.
var builtinKinds = []string{KindRequiredSequence, KindRequiredEvents, KindForbiddenEvents,
	KindOrdering, KindResourceConsumption, KindJudge}

// LoadScenarioFile loads the scenario in the JSON file at path.
func LoadScenarioFile(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadScenario(f)
}

// LoadScenario reads one JSON scenario: its id (task_id or scenario_id),
// domain, name, description, initial_state (agent_balance and
// resource_prices as exact decimals, the rest kept), injected_events and
// validation block. Unknown top-level fields are kept in Extra; unknown
// validation keys become ExternalRules. Errors are *ScenarioError naming
// the path of the offending value.
func LoadScenario(r io.Reader) (*Scenario, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxScenarioSize+1))
	if err != nil {
		return nil, &ScenarioError{Err: err}
	}
	if len(b) > MaxScenarioSize {
		return nil, errAt("", "larger than %d bytes", MaxScenarioSize)
	}
	top, err := object(b, "")
	if err != nil {
		return nil, err
	}
	s := &Scenario{Extra: map[string]json.RawMessage{}}
	if err := s.loadHeader(top); err != nil {
		return nil, err
	}
	if err := s.loadBody(top); err != nil {
		return nil, err
	}
	return s, s.Validate()
}

// loadHeader reads the id and the descriptive fields.
func (s *Scenario) loadHeader(top map[string]json.RawMessage) error {
	for key, dst := range map[string]*string{"task_id": &s.ID, "domain": &s.Domain, "name": &s.Name, "description": &s.Description} {
		if err := optString(top, key, key, dst); err != nil {
			return err
		}
	}
	var sid string
	if err := optString(top, "scenario_id", "scenario_id", &sid); err != nil {
		return err
	}
	if s.ID != "" && sid != "" && s.ID != sid {
		return errAt("scenario_id", "%q differs from task_id %q", sid, s.ID)
	}
	if s.ID == "" {
		s.ID = sid
	}
	for k, v := range top {
		switch k {
		case "task_id", "scenario_id", "domain", "name", "description", "initial_state", "injected_events", "validation":
		default:
			s.Extra[k] = v
		}
	}
	return nil
}

// loadBody reads the initial state, the injected events and the rules.
func (s *Scenario) loadBody(top map[string]json.RawMessage) error {
	if raw, ok := top["initial_state"]; ok {
		if err := s.Initial.load(raw); err != nil {
			return err
		}
	}
	if raw, ok := top["injected_events"]; ok {
		if err := s.loadInjected(raw); err != nil {
			return err
		}
	}
	raw, ok := top["validation"]
	if !ok {
		return errAt("validation", "missing")
	}
	return s.loadValidation(raw)
}

// load reads the initial state.
func (st *InitialState) load(raw json.RawMessage) error {
	m, err := object(raw, "initial_state")
	if err != nil {
		return err
	}
	st.Other = map[string]json.RawMessage{}
	for k, v := range m {
		switch k {
		case "agent_balance":
			if st.AgentBalance, err = decimalAt(v, "initial_state.agent_balance"); err != nil {
				return err
			}
		case "resource_prices":
			if st.ResourcePrices, err = decimalMap(v, "initial_state.resource_prices"); err != nil {
				return err
			}
		default:
			st.Other[k] = v
		}
	}
	return nil
}

// loadInjected reads injected_events.
func (s *Scenario) loadInjected(raw json.RawMessage) error {
	items, err := array(raw, "injected_events")
	if err != nil {
		return err
	}
	for i, it := range items {
		p := fmt.Sprintf("injected_events[%d]", i)
		m, err := object(it, p)
		if err != nil {
			return err
		}
		var in InjectedEvent
		if err := optString(m, "trigger", p+".trigger", &in.Trigger); err != nil {
			return err
		}
		ev, ok := m["event"]
		if !ok {
			return errAt(p+".event", "missing")
		}
		em, err := object(ev, p+".event")
		if err != nil {
			return err
		}
		var typ string
		if err := optString(em, "type", p+".event.type", &typ); err != nil {
			return err
		}
		if typ == "" {
			return errAt(p+".event.type", "missing event type")
		}
		in.Type, in.Event = events.Type(typ), ev
		s.Injected = append(s.Injected, in)
	}
	return nil
}

// loadValidation reads the validation block into rules and a condition.
func (s *Scenario) loadValidation(raw json.RawMessage) error {
	m, err := object(raw, "validation")
	if err != nil {
		return err
	}
	for _, kind := range builtinKinds {
		if v, ok := m[kind]; ok {
			r, err := loadRule(kind, v)
			if err != nil {
				return err
			}
			s.Rules = append(s.Rules, r)
		}
	}
	var external []string
	for k := range m {
		if !slices.Contains(builtinKinds, k) && k != "success_condition" {
			external = append(external, k)
		}
	}
	slices.Sort(external)
	for _, k := range external {
		s.Rules = append(s.Rules, &ExternalRule{RuleKind: k, Config: m[k]})
	}
	if v, ok := m["success_condition"]; ok {
		var text string
		if err := json.Unmarshal(v, &text); err != nil {
			return errAt("validation.success_condition", "want a string, got %s", jsonKind(v))
		}
		c, err := ParseCondition(text)
		if err != nil {
			return &ScenarioError{Path: "validation.success_condition", Err: err}
		}
		s.Condition = c
	}
	return nil
}

// loadRule reads the built-in rule of kind.
func loadRule(kind string, raw json.RawMessage) (Rule, error) {
	path := "validation." + kind
	switch kind {
	case KindRequiredSequence:
		steps, err := loadSteps(raw, path)
		return &RequiredSequence{Steps: steps}, err
	case KindRequiredEvents:
		steps, err := loadSteps(raw, path)
		return &RequiredEvents{Events: steps}, err
	case KindForbiddenEvents:
		steps, err := loadSteps(raw, path)
		return &ForbiddenEvents{Events: steps}, err
	case KindOrdering:
		return loadOrderings(raw, path)
	case KindResourceConsumption:
		return loadResources(raw, path)
	default:
		return loadJudge(raw, path)
	}
}

// loadOrderings reads ordering_constraints.
func loadOrderings(raw json.RawMessage, path string) (Rule, error) {
	items, err := array(raw, path)
	if err != nil {
		return nil, err
	}
	o := &OrderingConstraints{}
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		var text string
		if err := json.Unmarshal(it, &text); err != nil {
			return nil, errAt(p, "want a string, got %s", jsonKind(it))
		}
		ord, err := ParseOrdering(text)
		if err != nil {
			return nil, &ScenarioError{Path: p, Err: err}
		}
		o.Orderings = append(o.Orderings, ord)
	}
	return o, nil
}

// loadResources reads resource_consumption.
func loadResources(raw json.RawMessage, path string) (Rule, error) {
	m, err := object(raw, path)
	if err != nil {
		return nil, err
	}
	rc := &ResourceConsumption{}
	for _, k := range sortedKeys(m) {
		c, err := constraintAt(k, m[k], path+"."+k, "<=")
		if err != nil {
			return nil, err
		}
		rc.Limits = append(rc.Limits, c)
	}
	return rc, nil
}

// loadJudge reads judge_evaluation.
func loadJudge(raw json.RawMessage, path string) (Rule, error) {
	m, err := object(raw, path)
	if err != nil {
		return nil, err
	}
	j := &JudgeRule{}
	if c, ok := m["criteria"]; ok {
		items, err := array(c, path+".criteria")
		if err != nil {
			return nil, err
		}
		for i, it := range items {
			var name string
			if err := json.Unmarshal(it, &name); err != nil || name == "" {
				return nil, errAt(fmt.Sprintf("%s.criteria[%d]", path, i), "want a non-empty string, got %s", jsonKind(it))
			}
			j.Criteria = append(j.Criteria, name)
		}
	}
	if t, ok := m["pass_threshold"]; ok {
		if j.Threshold, err = decimalAt(t, path+".pass_threshold"); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// loadSteps reads an array of step objects.
func loadSteps(raw json.RawMessage, path string) ([]Step, error) {
	items, err := array(raw, path)
	if err != nil {
		return nil, err
	}
	steps := make([]Step, 0, len(items))
	for i, it := range items {
		st, err := loadStep(it, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// loadStep reads one step: type, label, contains, constraints, and every
// other key as a field filter with a scalar value.
func loadStep(raw json.RawMessage, path string) (Step, error) {
	m, err := object(raw, path)
	if err != nil {
		return Step{}, err
	}
	var st Step
	var typ string
	for _, f := range []struct {
		key string
		dst *string
	}{{"type", &typ}, {"label", &st.Label}, {"contains", &st.Contains}} {
		if err := optString(m, f.key, path+"."+f.key, f.dst); err != nil {
			return Step{}, err
		}
	}
	st.Type = events.Type(typ)
	for _, k := range sortedKeys(m) {
		switch k {
		case "type", "label", "contains":
		case "constraints":
			if st.Constraints, err = loadConstraints(m[k], path+".constraints"); err != nil {
				return Step{}, err
			}
		default:
			v, err := scalar(m[k], path+"."+k)
			if err != nil {
				return Step{}, err
			}
			if st.Filters == nil {
				st.Filters = map[string]string{}
			}
			st.Filters[k] = v
		}
	}
	return st, nil
}

// loadConstraints reads a constraints object: field → expression, or a
// number meaning equality.
func loadConstraints(raw json.RawMessage, path string) ([]Constraint, error) {
	m, err := object(raw, path)
	if err != nil {
		return nil, err
	}
	var out []Constraint
	for _, k := range sortedKeys(m) {
		c, err := constraintAt(k, m[k], path+"."+k, "==")
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// constraintAt reads the constraint on field at path: a string expression,
// or a number n meaning "<numberOp>n".
func constraintAt(field string, raw json.RawMessage, path, numberOp string) (Constraint, error) {
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		d, derr := decimalAt(raw, path)
		if derr != nil {
			return Constraint{}, errAt(path, "want a constraint string or a number, got %s", jsonKind(raw))
		}
		text = numberOp + d.Text('f')
	}
	c, err := ParseConstraint(field, text)
	if err != nil {
		return Constraint{}, &ScenarioError{Path: path, Err: err}
	}
	return c, nil
}

// object decodes a JSON object, keeping its values raw.
func object(raw []byte, path string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		if asSyntax(err, &se) {
			return nil, errAt(path, "malformed JSON at byte %d: %v", se.Offset, err)
		}
		if jsonKind(raw) == "an object" || jsonKind(raw) == "nothing" {
			return nil, errAt(path, "malformed JSON: %v", err)
		}
		return nil, errAt(path, "want an object, got %s", jsonKind(raw))
	}
	if m == nil {
		return nil, errAt(path, "want an object, got null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errAt(path, "trailing data after the object")
	}
	return m, nil
}

// array decodes a JSON array, keeping its items raw.
func array(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil || a == nil {
		return nil, errAt(path, "want an array, got %s", jsonKind(raw))
	}
	return a, nil
}

// optString decodes m[key], if present, as a string into dst.
func optString(m map[string]json.RawMessage, key, path string, dst *string) error {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || jsonKind(raw) != "a string" {
		return errAt(path, "want a string, got %s", jsonKind(raw))
	}
	return nil
}

// scalar returns the text of a string, number or boolean.
func scalar(raw json.RawMessage, path string) (string, error) {
	switch jsonKind(raw) {
	case "a string":
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case "a number", "a boolean":
		return string(bytes.TrimSpace(raw)), nil
	}
	return "", errAt(path, "want a string, number or boolean filter value, got %s", jsonKind(raw))
}

// decimalAt decodes a JSON number, or a string holding a decimal, exactly.
func decimalAt(raw json.RawMessage, path string) (*apd.Decimal, error) {
	var text string
	switch jsonKind(raw) {
	case "a number":
		text = string(bytes.TrimSpace(raw))
	case "a string":
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, errAt(path, "%v", err)
		}
	default:
		return nil, errAt(path, "want a number, got %s", jsonKind(raw))
	}
	d, err := parseExact(text)
	if err != nil {
		return nil, errAt(path, "%v", err)
	}
	return d, nil
}

// decimalMap decodes an object of decimals.
func decimalMap(raw json.RawMessage, path string) (map[string]*apd.Decimal, error) {
	m, err := object(raw, path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*apd.Decimal, len(m))
	for k, v := range m {
		if out[k], err = decimalAt(v, path+"."+k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// jsonKind names the kind of a JSON value, for messages.
func jsonKind(raw []byte) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
