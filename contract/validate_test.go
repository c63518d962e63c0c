package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/scarcitylabs/scarcity/contract"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
)

// elsewhere lists the types of events.Payloads that no Market publishes,
// with the path that produces them instead. Their events are still real
// messages, captured on the server like the rest: only their writer is not
// the market.
var elsewhere = map[events.Type]string{
	// A Market has no verb that closes an account (neither operator.go nor
	// the agent API): only ledger.Ledger.Close writes account_closed, so
	// a bare ledger publishes it to a side stream (closeAccount).
	events.TypeAccountClosed: "ledger.Ledger.Close on a side stream",
}

// schemas are the compiled schemas of the contract by their $id.
type schemas map[string]*jsonschema.Schema

// compileSchemas compiles every schema file of contract.Files, each added
// under its $id, formats asserted.
func compileSchemas(tb testing.TB) schemas {
	tb.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var ids []string
	err := fs.WalkDir(contract.Files, "schemas", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		id, err := addSchema(c, p)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	out := schemas{}
	for _, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			tb.Fatalf("compile %s: %v", id, err)
		}
		out[id] = s
	}
	return out
}

// addSchema adds the schema file p to c under its $id, which must be its
// published address, and returns that.
func addSchema(c *jsonschema.Compiler, p string) (string, error) {
	b, err := fs.ReadFile(contract.Files, p)
	if err != nil {
		return "", err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	id := events.SchemaBase + strings.TrimPrefix(p, "schemas/v1/")
	if got, _ := doc.(map[string]any)["$id"].(string); got != id {
		return "", fmt.Errorf("%s: $id %q, want %q", p, got, id)
	}
	return id, c.AddResource(id, doc)
}

// command returns the schema of verb's request or reply.
func (s schemas) command(tb testing.TB, verb, kind string) *jsonschema.Schema {
	tb.Helper()
	return s.get(tb, events.SchemaBase+"commands/"+verb+"."+kind+".json")
}

// event returns the schema of the data of events of type t.
func (s schemas) event(tb testing.TB, t string) *jsonschema.Schema {
	tb.Helper()
	return s.get(tb, events.SchemaBase+"events/"+t+".json")
}

// get returns the schema id.
func (s schemas) get(tb testing.TB, id string) *jsonschema.Schema {
	tb.Helper()
	sch, ok := s[id]
	if !ok {
		tb.Fatalf("no schema %s", id)
	}
	return sch
}

// instance reads b as a JSON instance.
func instance(tb testing.TB, b []byte) any {
	tb.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// conforms fails tb if b does not conform to sch.
func conforms(tb testing.TB, sch *jsonschema.Schema, what string, b []byte) {
	tb.Helper()
	if err := sch.Validate(instance(tb, b)); err != nil {
		tb.Errorf("%s does not conform to %s:\n%s\n%v", what, sch.Location, b, err)
	}
}

// TestRealMessagesConform captures every message of a market served over
// NATS through its whole life and validates each against its schema: every
// command request and reply, every event's envelope and data. It fails if
// a verb or an event type was never seen.
func TestRealMessagesConform(t *testing.T) {
	tr := liveTraffic(t)
	s := compileSchemas(t)
	verbs := checkCommands(t, s, tr)
	types := checkEvents(t, s, tr.Events)
	for _, v := range agentapi.Verbs {
		if !verbs[string(v)] {
			t.Errorf("verb %s was never captured with its reply", v)
		}
	}
	checkCoverage(t, types)
	t.Logf("%d requests, %d events, %d event types", len(tr.Requests), len(tr.Events), len(types))
}

// checkCommands validates every request and its reply, and returns the
// verbs seen. It fails unless some replies are errors, of the codes the
// scenario provokes.
func checkCommands(t *testing.T, s schemas, tr traffic) map[string]bool {
	verbs, codes := map[string]bool{}, map[string]bool{}
	for _, q := range tr.Requests {
		verb := q.Subject[strings.LastIndexByte(q.Subject, '.')+1:]
		conforms(t, s.command(t, verb, "request"), q.Subject+" request", q.Data)
		reply := tr.Inbox[q.Reply]
		conforms(t, s.command(t, verb, "reply"), q.Subject+" reply", reply)
		verbs[verb] = true
		if code := errorCode(reply); code != "" {
			codes[code] = true
		}
	}
	for _, c := range []string{agentapi.CodeUnknownOrder, agentapi.CodeDenied, agentapi.CodeSpendLimit,
		agentapi.CodeInvalidRequest, agentapi.CodeNotHuman, agentapi.CodeTerminated} {
		if !codes[c] {
			t.Errorf("no error reply of code %s captured; got %v", c, slices.Sorted(maps.Keys(codes)))
		}
	}
	return verbs
}

// errorCode returns the code of the error of a reply, if any.
func errorCode(reply []byte) string {
	var r struct {
		Error *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(reply, &r) != nil || r.Error == nil {
		return ""
	}
	return r.Error.Code
}

// envelope is what the test reads of an event's envelope.
type envelope struct {
	Type          string          `json:"type"`
	DataSchema    *string         `json:"dataschema"`
	SchemaVersion int             `json:"schemaversion"`
	Data          json.RawMessage `json:"data"`
}

// checkEvents validates every event's envelope and data, and returns the
// subjects of the events seen by type.
func checkEvents(t *testing.T, s schemas, evs []message) map[events.Type][]string {
	envSchema := s.event(t, "envelope")
	types := map[events.Type][]string{}
	for _, m := range evs {
		conforms(t, envSchema, m.Subject+" envelope", m.Data)
		var e envelope
		if err := json.Unmarshal(m.Data, &e); err != nil {
			t.Fatalf("%s: %v", m.Subject, err)
		}
		types[events.Type(e.Type)] = append(types[events.Type(e.Type)], m.Subject)
		checkData(t, s, m.Subject, e)
	}
	return types
}

// checkData validates e's data against the schema its dataschema names,
// which must be events.DataSchema of its type and version: present for a
// type with a typed payload, absent otherwise.
func checkData(t *testing.T, s schemas, subject string, e envelope) {
	want := events.DataSchema(events.Type(e.Type), e.SchemaVersion)
	switch {
	case want == "" && e.DataSchema != nil:
		t.Errorf("%s: %s has dataschema %q, want none", subject, e.Type, *e.DataSchema)
	case want == "":
		return
	case e.DataSchema == nil:
		t.Errorf("%s: %s has no dataschema, want %s", subject, e.Type, want)
	case *e.DataSchema != want:
		t.Errorf("%s: %s has dataschema %q, want %s", subject, e.Type, *e.DataSchema, want)
	default:
		conforms(t, s.get(t, want), subject+" data", e.Data)
	}
}

// checkCoverage fails unless every type of events.Payloads was captured:
// from the market's stream, or from the side stream for those listed in
// elsewhere (and those only from there).
func checkCoverage(t *testing.T, types map[events.Type][]string) {
	for _, p := range events.Payloads() {
		typ := p.EventType()
		subjects := types[typ]
		fromMarket := slices.ContainsFunc(subjects, func(s string) bool { return strings.HasPrefix(s, prefix+".") })
		switch why, other := elsewhere[typ]; {
		case len(subjects) == 0:
			t.Errorf("no %s event was captured", typ)
		case other && fromMarket:
			t.Errorf("%s is listed as produced by %s, but the market published it: take it off the list", typ, why)
		case !other && !fromMarket:
			t.Errorf("%s was captured only off the market's stream", typ)
		}
	}
	if len(types[events.Type("plan_revised")]) == 0 {
		t.Error("no agent-defined event was captured")
	}
}

// mutation changes a decoded JSON object.
type mutation struct {
	name   string
	change func(map[string]any)
}

// TestMutatedMessagesFail takes real messages — a bid request, a
// market_cleared event's data, an event's envelope — and checks that each
// conforms as it is and fails its schema once mutated.
func TestMutatedMessagesFail(t *testing.T) {
	tr := liveTraffic(t)
	s := compileSchemas(t)
	bidReq, cleared, env := originals(t, tr)
	mutate(t, s.command(t, "bid", "request"), bidReq,
		mutation{"limit as a number", func(m map[string]any) { m["limit"] = json.Number(m["limit"].(string)) }},
		mutation{"an unknown member", func(m map[string]any) { m["colour"] = "red" }},
		mutation{"quantities missing", func(m map[string]any) { delete(m, "quantities") }},
	)
	mutate(t, s.event(t, "market_cleared"), cleared,
		mutation{"revenue in exponent form", func(m map[string]any) { m["revenue"] = "1e3" }},
		mutation{"round missing", func(m map[string]any) { delete(m, "round") }},
		mutation{"clearing_prices missing", func(m map[string]any) { delete(m, "clearing_prices") }},
	)
	mutate(t, s.event(t, "envelope"), env,
		mutation{"sequence as a number", func(m map[string]any) { m["sequence"] = json.Number(m["sequence"].(string)) }},
		mutation{"time not a date-time", func(m map[string]any) { m["time"] = "yesterday" }},
		mutation{"dataschema not a uri", func(m map[string]any) { m["dataschema"] = "not a uri" }},
	)
}

// originals returns a captured bid request, the data of a captured
// market_cleared event and the envelope of that event.
func originals(t *testing.T, tr traffic) (bidReq, cleared, env []byte) {
	for _, q := range tr.Requests {
		if strings.HasSuffix(q.Subject, ".bid") && bidReq == nil {
			bidReq = q.Data
		}
	}
	for _, m := range tr.Events {
		var e envelope
		if json.Unmarshal(m.Data, &e) == nil && e.Type == string(events.TypeMarketCleared) {
			cleared, env = e.Data, m.Data
			break
		}
	}
	if bidReq == nil || cleared == nil {
		t.Fatal("no bid request or market_cleared event was captured")
	}
	return bidReq, cleared, env
}

// mutate checks that original conforms to sch and that each mutation of
// it does not.
func mutate(t *testing.T, sch *jsonschema.Schema, original []byte, ms ...mutation) {
	t.Helper()
	conforms(t, sch, "the original", original)
	for _, m := range ms {
		t.Run(m.name, func(t *testing.T) {
			v := instance(t, original).(map[string]any)
			m.change(v)
			if err := sch.Validate(v); err == nil {
				t.Errorf("%s accepted %s", sch.Location, m.name)
			}
		})
	}
}
