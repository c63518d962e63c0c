package benchkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
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

// LoadOptions changes how a scenario is read. The zero value is what
// LoadScenario does.
type LoadOptions struct {
	// Strict makes an error of every key the format does not define where
	// it stands — a misspelt rule key such as forbiden_events, a
	// success_condition outside the validation block, an unknown criterion
	// type of the older layout — and of a success-condition name that binds
	// to no rule. Without it such keys are kept (Extra, ExternalRule) and
	// such names are NotEvaluated, with their reason.
	Strict bool
	// Kinds are validation keys the caller decides (with an Evaluator):
	// known, even in strict mode.
	Kinds []string
	// Bind binds success-condition names to what they mean, before and
	// instead of the binding rule (see Scenario.Bindings): a name → a rule
	// kind ("resource_consumption") or a step of required_events
	// ("required_events[1]").
	Bind map[string]string
}

// LoadScenarioFile loads the scenario in the JSON file at path.
func LoadScenarioFile(path string) (*Scenario, error) { return LoadOptions{}.LoadFile(path) }

// LoadScenario reads one JSON scenario with the zero LoadOptions.
func LoadScenario(r io.Reader) (*Scenario, error) { return LoadOptions{}.Load(r) }

// LoadFile loads the scenario in the JSON file at path.
func (o LoadOptions) LoadFile(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return o.Load(f)
}

// Load reads one JSON scenario: its id (task_id or scenario_id),
// domain, name, description, initial_state (agent_balance and
// resource_prices as exact decimals, the rest kept), injected_events and
// validation block. Unknown top-level fields are kept in Extra; unknown
// validation keys become ExternalRules. Errors are *ScenarioError naming
// the path of the offending value.
func (o LoadOptions) Load(r io.Reader) (*Scenario, error) {
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
	if err := s.loadHeader(top, o); err != nil {
		return nil, err
	}
	if err := s.loadBody(top, o); err != nil {
		return nil, err
	}
	for name, target := range o.Bind {
		if s.Bind == nil {
			s.Bind = map[string]string{}
		}
		s.Bind[name] = target
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if o.Strict {
		if err := s.strictNames(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// The top-level keys of the format, in both layouts, besides the rule keys
// and success_condition that belong in validation: those this package
// reads, and those it keeps in Scenario.Extra as written.
var (
	readKeys = []string{"task_id", "scenario_id", "id", "domain", "category", "name", "description",
		"initial_state", "injected_events", "validation", "required_resources", "validation_criteria"}
	keptKeys = []string{"difficulty", "state_description", "expected_behavior", "expected_behaviour"}
)

// loadHeader reads the id and the descriptive fields: task_id,
// scenario_id or (older layout) id; domain or category.
func (s *Scenario) loadHeader(top map[string]json.RawMessage, o LoadOptions) error {
	var sid, oldID, category string
	for key, dst := range map[string]*string{"task_id": &s.ID, "scenario_id": &sid, "id": &oldID,
		"domain": &s.Domain, "category": &category, "name": &s.Name, "description": &s.Description} {
		if err := optString(top, key, key, dst); err != nil {
			return err
		}
	}
	for _, id := range []struct{ key, v string }{{"scenario_id", sid}, {"id", oldID}} {
		if s.ID != "" && id.v != "" && s.ID != id.v {
			return errAt(id.key, "%q differs from the id %q", id.v, s.ID)
		}
		if s.ID == "" {
			s.ID = id.v
		}
	}
	if s.Domain == "" {
		s.Domain = category
	}
	for _, k := range sortedKeys(top) {
		read, kept := slices.Contains(readKeys, k), slices.Contains(keptKeys, k)
		switch {
		case o.Strict && !read && !kept:
			return errAt(k, "%s a key of the scenario format%s", misplacedOrUnknown(k), suggest(k, append(readKeys, keptKeys...)))
		case !read && !isRuleKey(k):
			s.Extra[k] = top[k]
		}
	}
	return nil
}

// misplacedOrUnknown says what is wrong with a top-level key.
func misplacedOrUnknown(k string) string {
	if isRuleKey(k) {
		return "belongs in validation, not at the top level: not"
	}
	return "not"
}

// isRuleKey reports whether k is a key of the validation block.
func isRuleKey(k string) bool { return slices.Contains(builtinKinds, k) || k == "success_condition" }

// loadBody reads the initial state, the injected events, the rules of the
// validation block and (older layout) the required resources and the
// validation criteria.
func (s *Scenario) loadBody(top map[string]json.RawMessage, o LoadOptions) error {
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
	if raw, ok := top["required_resources"]; ok {
		if err := s.Required.load(raw); err != nil {
			return err
		}
	}
	m := map[string]json.RawMessage{}
	raw, hasValidation := top["validation"]
	if hasValidation {
		var err error
		if m, err = object(raw, "validation"); err != nil {
			return err
		}
	}
	if err := s.loadValidation(withTopLevelRules(m, top), o); err != nil {
		return err
	}
	criteria, hasCriteria := top["validation_criteria"]
	if hasCriteria {
		if err := s.loadCriteria(criteria, o); err != nil {
			return err
		}
	}
	if !hasValidation && !hasCriteria && len(s.Rules) == 0 {
		return errAt("validation", "missing (neither validation nor validation_criteria)")
	}
	return nil
}

// withTopLevelRules returns the validation block m with the rule keys and
// success_condition written at the top level instead, where m has none of
// the same key: read as if they were in validation (Strict refuses them
// in loadHeader).
func withTopLevelRules(m, top map[string]json.RawMessage) map[string]json.RawMessage {
	out := maps.Clone(m)
	for k, v := range top {
		if _, ok := out[k]; isRuleKey(k) && !ok {
			out[k] = v
		}
	}
	return out
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

// judgeTypes are the values of "type" that make a validation key a judge
// rule, such as output_quality: {"type": "llm_judge", ...}.
var judgeTypes = []string{"llm_judge", "judge"}

// loadValidation reads the validation block into rules and a condition:
// the built-in kinds, then every other key in order — a judge rule if its
// object's type is a judge type, else an ExternalRule (an error with
// Strict, unless the key is one of o.Kinds).
func (s *Scenario) loadValidation(m map[string]json.RawMessage, o LoadOptions) error {
	for _, kind := range builtinKinds {
		if v, ok := m[kind]; ok {
			r, err := loadRule(kind, v, o.Strict)
			if err != nil {
				return err
			}
			s.Rules = append(s.Rules, r)
		}
	}
	for _, k := range sortedKeys(m) {
		if isRuleKey(k) {
			continue
		}
		r, err := loadOtherRule(k, m[k], o)
		if err != nil {
			return err
		}
		s.Rules = append(s.Rules, r)
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

// loadOtherRule reads the rule under a key that is not a built-in kind.
func loadOtherRule(key string, raw json.RawMessage, o LoadOptions) (Rule, error) {
	path := "validation." + key
	if m, err := object(raw, path); err == nil {
		var typ string
		if optString(m, "type", path+".type", &typ) == nil && slices.Contains(judgeTypes, typ) {
			r, err := loadJudge(raw, path, o.Strict)
			if err == nil {
				r.(*JudgeRule).Key = key
			}
			return r, err
		}
	}
	if o.Strict && !slices.Contains(o.Kinds, key) {
		return nil, errAt(path, "not a rule of the format and no evaluator is named for it (LoadOptions.Kinds)%s", suggest(key, builtinKinds))
	}
	return &ExternalRule{RuleKind: key, Config: raw}, nil
}

// loadRule reads the built-in rule of kind; strict refuses keys a judge
// rule does not define.
func loadRule(kind string, raw json.RawMessage, strict bool) (Rule, error) {
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
		return loadJudge(raw, path, strict)
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
		c, err := constraintAt(resourceAlias(k), m[k], path+"."+k, "<=")
		if err != nil {
			return nil, err
		}
		rc.Limits = append(rc.Limits, c)
	}
	return rc, nil
}

// judgeKeys are the keys of a judge rule.
var judgeKeys = []string{"type", "criteria", "criterion", "pass_threshold", "threshold"}

// loadJudge reads a judge rule; strict refuses keys it does not define.
func loadJudge(raw json.RawMessage, path string, strict bool) (Rule, error) {
	m, err := object(raw, path)
	if err != nil {
		return nil, err
	}
	if err := knownKeys(m, judgeKeys, path, strict); err != nil {
		return nil, err
	}
	j := &JudgeRule{}
	if c, ok := m["criterion"]; ok {
		var name string
		if err := json.Unmarshal(c, &name); err != nil || name == "" {
			return nil, errAt(path+".criterion", "want a non-empty string, got %s", jsonKind(c))
		}
		j.Criteria = append(j.Criteria, name)
	}
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
	for _, key := range []string{"pass_threshold", "threshold"} {
		t, ok := m[key]
		if !ok {
			continue
		}
		d, err := decimalAt(t, path+"."+key)
		if err != nil {
			return nil, err
		}
		if j.Threshold != nil && j.Threshold.Cmp(d) != 0 {
			return nil, errAt(path+"."+key, "%s differs from pass_threshold %s", d.Text('f'), j.Threshold.Text('f'))
		}
		j.Threshold = d
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

// suggest returns " (did you mean "x"?)" for the candidate nearest to k,
// if one is within two edits of it, else "".
func suggest(k string, candidates []string) string {
	best, dist := "", 3
	for _, c := range candidates {
		if d := editDistance(k, c); d < dist {
			best, dist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// knownKeys refuses, when strict, a key of m that is not one of keys.
func knownKeys(m map[string]json.RawMessage, keys []string, path string, strict bool) error {
	if !strict {
		return nil
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(keys, k) {
			return errAt(path+"."+k, "not a key of this rule%s", suggest(k, keys))
		}
	}
	return nil
}
