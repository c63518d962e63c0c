package events_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scarcitylabs/scarcity/events"
)

func TestCheckAgentDefinedType(t *testing.T) {
	tests := []struct {
		typ    events.Type
		reason string // "" if allowed
	}{
		{"code_change_applied", ""},
		{"abc", ""},
		{"step2_done", ""},
		{"a1_b2_c3", ""},
		{events.Type(strings.Repeat("x", events.MaxAgentTypeLen)), ""},
		{"", "shorter"},
		{"ab", "shorter"},
		{events.Type(strings.Repeat("x", events.MaxAgentTypeLen+1)), "longer"},
		{"CodeChange", "snake"},
		{"code-change", "snake"},
		{"code change", "snake"},
		{"code.change", "snake"},
		{"_code", "snake"},
		{"code_", "snake"},
		{"code__change", "snake"},
		{"2fast", "snake"},
		{"café_ok", "snake"},
		{"code\x00x", "snake"},
		{events.TypeBidPlaced, "taxonomy"},
		{events.TypeCreditsMinted, "taxonomy"},
		{events.TypeAccountClosed, "taxonomy"},
		{events.TypeAgentDormant, "taxonomy"},
		{events.TypeReasoningTrace, "taxonomy"},
		{events.TypeReflection, "taxonomy"},
		{events.TypeHumanRewardIssued, "taxonomy"},
		{events.TypeJudgeEvaluation, "taxonomy"},
		{events.TypeSigningKeyAnnounced, "taxonomy"},
	}
	for _, tt := range tests {
		err := events.CheckAgentDefinedType(tt.typ)
		if tt.reason == "" {
			if err != nil || !events.IsAgentType(tt.typ) {
				t.Errorf("CheckAgentDefinedType(%q) = %v, IsAgentType %v; want allowed", tt.typ, err, events.IsAgentType(tt.typ))
			}
			continue
		}
		var te *events.AgentTypeError
		if !errors.As(err, &te) || !errors.Is(err, events.ErrInvalidPayload) || te.Type != tt.typ {
			t.Errorf("CheckAgentDefinedType(%q) = %v, want an *AgentTypeError wrapping ErrInvalidPayload", tt.typ, err)
			continue
		}
		want := map[string]string{"shorter": "shorter", "longer": "longer", "snake": "lower_snake_case", "taxonomy": "taxonomy"}[tt.reason]
		if !strings.Contains(te.Reason, want) {
			t.Errorf("CheckAgentDefinedType(%q) reason %q, want one about %s", tt.typ, te.Reason, want)
		}
	}
}

// Every type this package decodes or names for agents is in the taxonomy,
// so no agent-defined type can collide with one.
func TestTaxonomyHoldsEveryNamedType(t *testing.T) {
	for _, typ := range events.DecodedTypes() {
		if !events.InTaxonomy(typ) {
			t.Errorf("decoded type %q is not in the taxonomy", typ)
		}
	}
	for _, typ := range []events.Type{events.TypeAskPlaced, events.TypeOrderExpired, events.TypeReflection} {
		if !events.InTaxonomy(typ) {
			t.Errorf("%q is not in the taxonomy", typ)
		}
	}
	if events.InTaxonomy("code_change_applied") {
		t.Error("code_change_applied is in the taxonomy")
	}
}

func TestAgentEventValidate(t *testing.T) {
	ok := events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{"files": 3, "path": "main.go"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := (events.AgentEvent{AgentID: "a1", Type: "task_started"}).Validate(); err != nil {
		t.Errorf("Validate without data: %v", err)
	}
	huge := map[string]any{"diff": strings.Repeat("x", events.MaxAgentPayloadSize)}
	many := map[string]any{}
	for i := range events.MaxAgentPayloadSize / 8 {
		many[fmt.Sprintf("k%05d", i)] = i
	}
	for _, tt := range []struct {
		name string
		p    events.AgentEvent
	}{
		{"no agent", events.AgentEvent{Type: "code_change_applied"}},
		{"space in agent", events.AgentEvent{AgentID: "a 1", Type: "code_change_applied"}},
		{"no type", events.AgentEvent{AgentID: "a1"}},
		{"bad type", events.AgentEvent{AgentID: "a1", Type: "Code_Change"}},
		{"long type", events.AgentEvent{AgentID: "a1", Type: events.Type(strings.Repeat("x", events.MaxAgentTypeLen+1))}},
		{"market type", events.AgentEvent{AgentID: "a1", Type: events.TypeBidPlaced}},
		{"built-in agent type, bad declared field", events.AgentEvent{AgentID: "a1", Type: events.TypeToolCallCompleted,
			Data: map[string]any{"tool_name": "t", "status": "ok", "test_results": "all_passed"}}},
		{"agent_id in data", events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{"agent_id": "a2"}}},
		{"empty key", events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{"": 1}}},
		{"space in key", events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{"a b": 1}}},
		{"long key", events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{strings.Repeat("k", events.MaxAgentNameLen+1): 1}}},
		{"too large", events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: huge}},
		{"too many fields", events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: many}},
		{"not JSON", events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{"f": func() {}}}},
	} {
		if err := tt.p.Validate(); !errors.Is(err, events.ErrInvalidPayload) {
			t.Errorf("%s: Validate = %v, want ErrInvalidPayload", tt.name, err)
		}
	}
}

func TestAgentEventJSON(t *testing.T) {
	p := events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{
		"path": "main.go", "files_changed": 3, "lines": []any{10, 12}, "ratio": json.Number("0.10"), "z": nil,
	}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"agent_id":"a1","files_changed":3,"lines":[10,12],"path":"main.go","ratio":0.10,"z":null}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	if b, _ := json.Marshal(events.AgentEvent{AgentID: "a1", Type: "task_started"}); string(b) != `{"agent_id":"a1"}` {
		t.Errorf("JSON without data: %s", b)
	}
	if _, err := json.Marshal(events.AgentEvent{AgentID: "a1", Type: "x_y", Data: map[string]any{"agent_id": "a2"}}); err == nil {
		t.Error("data holding agent_id encodes")
	}
}

func TestAgentEventWithAgentCopies(t *testing.T) {
	inner := map[string]any{"n": 1}
	p := events.AgentEvent{Type: "code_change_applied", Data: map[string]any{"inner": inner, "f": 0.5, "empty": map[string]any{}}}
	q := p.WithAgent("a1").(events.AgentEvent)
	inner["n"] = 2
	want := events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{
		"inner": map[string]any{"n": json.Number("1")}, "f": json.Number("0.5"), "empty": map[string]any{},
	}}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("WithAgent (-want +got):\n%s", diff)
	}
	if p.AgentID != "" {
		t.Errorf("WithAgent changed the original: %+v", p)
	}
	if got := (events.AgentEvent{Type: "x_y", Data: map[string]any{}}).WithAgent("a1").(events.AgentEvent); got.Data != nil {
		t.Errorf("WithAgent of empty data = %#v, want nil", got.Data)
	}
}

// agentEvent returns an event of source agent carrying p.
func agentEvent(p events.Payload, seq uint64) events.Event {
	e := eventOf(p, seq)
	e.Source = events.SourceAgent
	return e
}

// An agent-defined event survives Encode and Decode with every field of
// its data, numbers exact, and its type on the wire is the agent's name.
func TestAgentEventRoundTrip(t *testing.T) {
	p := events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{
		"path":          "internal/x <&>.go",
		"files_changed": 3,
		"tokens":        json.Number("12345678901234567890123"),
		"share":         json.Number("0.1000"),
		"tiny":          json.Number("1e-400"),
		"ok":            true,
		"none":          nil,
		"hunks":         []any{map[string]any{"start": 10, "len": 2}, "x", []any{}},
		"meta":          map[string]any{"reviewer": "b2", "nested": map[string]any{"deep": json.Number("-0")}},
	}}
	in := agentEvent(p.WithAgent("a1"), 1)
	b := mustEncode(t, in)
	wire := wireMap(t, b)
	if wire["type"] != "code_change_applied" || wire["source"] != "agent" {
		t.Errorf("wire type %v source %v", wire["type"], wire["source"])
	}
	got, err := events.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, b)
	}
	want := in
	want.Data = events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{
		"path":          "internal/x <&>.go",
		"files_changed": json.Number("3"),
		"tokens":        json.Number("12345678901234567890123"),
		"share":         json.Number("0.1000"),
		"tiny":          json.Number("1e-400"),
		"ok":            true,
		"none":          nil,
		"hunks":         []any{map[string]any{"start": json.Number("10"), "len": json.Number("2")}, "x", []any{}},
		"meta":          map[string]any{"reviewer": "b2", "nested": map[string]any{"deep": json.Number("-0")}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("decoded differs from the event WithAgent made (-in +decoded):\n%s", diff)
	}
	if b2 := mustEncode(t, got); string(b2) != string(b) {
		t.Errorf("re-encoding differs:\n%s\n%s", b, b2)
	}
}

// Data of a type outside the taxonomy decodes as an AgentEvent only from
// source agent, with a valid name and data an AgentEvent can hold.
func TestDecodeOtherTypesStayRaw(t *testing.T) {
	enc := func(src events.Source, typ, data string) []byte {
		return []byte(`{"specversion":"1.0","id":"x1","source":"` + string(src) + `","type":"` + typ +
			`","time":"2025-01-02T03:04:05Z","sequence":"1","schemaversion":1,"data":` + data + `}`)
	}
	tests := []struct {
		name string
		b    []byte
		raw  bool
	}{
		{"agent", enc(events.SourceAgent, "code_change_applied", `{"agent_id":"a1","n":1}`), false},
		{"agent without agent_id", enc(events.SourceAgent, "code_change_applied", `{"n":1}`), false},
		{"benchmark", enc(events.SourceBenchmark, "code_change_applied", `{"agent_id":"a1"}`), true},
		{"market", enc(events.SourceMarket, "code_change_applied", `{"agent_id":"a1"}`), true},
		{"bad name", enc(events.SourceAgent, "CodeChange", `{"agent_id":"a1"}`), true},
		{"taxonomy type without decoder", enc(events.SourceAgent, "reflection", `{"agent_id":"a1"}`), true},
		{"array data", enc(events.SourceAgent, "code_change_applied", `[1]`), true},
		{"number agent_id", enc(events.SourceAgent, "code_change_applied", `{"agent_id":7}`), true},
	}
	for _, tt := range tests {
		e, err := events.Decode(tt.b)
		if err != nil {
			t.Errorf("%s: Decode: %v", tt.name, err)
			continue
		}
		_, raw := e.Data.(events.Raw)
		_, agent := e.Data.(events.AgentEvent)
		if raw != tt.raw || agent == tt.raw {
			t.Errorf("%s: data %T, want raw %v", tt.name, e.Data, tt.raw)
		}
	}
}

func TestDecodeAgentPayloadAgentDefined(t *testing.T) {
	got, err := events.DecodeAgentPayload("code_change_applied", []byte(`{"path":"a.go","files":2,"agent_id":"a1"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := events.AgentEvent{AgentID: "a1", Type: "code_change_applied", Data: map[string]any{"path": "a.go", "files": json.Number("2")}}
	if diff := cmp.Diff(events.AgentPayload(want), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		name string
		typ  events.Type
		data string
		want []error
	}{
		{"bad name", "Code", `{}`, []error{events.ErrNotAgentType, events.ErrInvalidPayload}},
		{"market type", events.TypeBidPlaced, `{}`, []error{events.ErrNotAgentType}},
		{"not an object", "code_change_applied", `[1]`, []error{events.ErrInvalidPayload}},
		{"null", "code_change_applied", `null`, []error{events.ErrInvalidPayload}},
		{"two values", "code_change_applied", `{}{}`, []error{events.ErrInvalidPayload}},
		{"number agent", "code_change_applied", `{"agent_id":1}`, []error{events.ErrInvalidPayload}},
		{"huge", "code_change_applied", `{"d":"` + strings.Repeat("x", events.MaxAgentPayloadSize) + `"}`, []error{events.ErrInvalidPayload}},
	} {
		_, err := events.DecodeAgentPayload(tt.typ, []byte(tt.data))
		for _, w := range tt.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, w)
			}
		}
	}
	var te *events.AgentTypeError
	if _, err := events.DecodeAgentPayload("Code", []byte(`{}`)); !errors.As(err, &te) {
		t.Errorf("bad name: err = %v, want an *AgentTypeError", err)
	}
}

// FuzzAgentEventRoundTrip checks that an agent-defined event a market would
// accept (WithAgent, then Validate) encodes, and decodes back to itself
// with the same encoding.
func FuzzAgentEventRoundTrip(f *testing.F) {
	f.Add("code_change_applied", []byte(`{"path":"main.go","files":3,"ratio":0.25,"tags":["a",{"b":null}]}`))
	f.Add("task_done", []byte(`{"big":123456789012345678901234567890,"e":1E-7,"s":"\u2028<&>"}`))
	f.Add("x_y", []byte(`{}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		var fields map[string]any
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		if dec.Decode(&fields) != nil {
			return
		}
		p := events.AgentEvent{Type: events.Type(typ), Data: fields}.WithAgent("a1")
		if err := p.Validate(); err != nil {
			if !errors.Is(err, events.ErrInvalidPayload) {
				t.Fatalf("Validate error %v wraps no sentinel", err)
			}
			return
		}
		in := agentEvent(p, 1)
		b, err := events.Encode(in)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		got, err := events.Decode(b)
		if err != nil {
			t.Fatalf("Decode: %v\n%s", err, b)
		}
		if diff := cmp.Diff(in, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-in +decoded):\n%s", diff)
		}
		if b2 := mustEncode(t, got); string(b2) != string(b) {
			t.Fatalf("encoding is not a fixed point:\n%s\n%s", b, b2)
		}
		q, err := events.DecodeAgentPayload(p.EventType(), mustJSON(t, p))
		if err != nil {
			t.Fatalf("DecodeAgentPayload: %v", err)
		}
		if diff := cmp.Diff(p, q, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("DecodeAgentPayload (-in +decoded):\n%s", diff)
		}
	})
}

// mustJSON encodes v or fails t.
func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// A built-in agent type extended with the agent's own fields keeps them
// through Encode and Decode; its declared fields are checked as the typed
// payload checks them.
func TestExtendedBuiltinAgentEvent(t *testing.T) {
	p := events.AgentEvent{Type: events.TypeToolCallCompleted,
		Data: map[string]any{"tool_name": "test.run", "call_id": "c1", "status": "succeeded", "test_results": "all_passed"}}
	ap := p.WithAgent("a1")
	if err := ap.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	e := events.Event{ID: "e1", Type: events.TypeToolCallCompleted, Source: events.SourceAgent, Subject: "a1",
		Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Sequence: 1, Correlation: "c", Data: ap}
	b, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := events.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	x, ok := got.Data.(events.AgentEvent)
	if !ok || x.Data["test_results"] != "all_passed" || x.AgentID != "a1" || got.Type != events.TypeToolCallCompleted {
		t.Errorf("decoded %#v", got.Data)
	}
	plain := events.ToolCallCompleted{AgentID: "a1", ToolName: "t", Status: events.StatusSucceeded}
	e.Data = plain
	if b, err = events.Encode(e); err != nil {
		t.Fatal(err)
	}
	if got, err := events.Decode(b); err != nil || got.Data != events.Payload(plain) {
		t.Errorf("without extra fields: %#v, %v; want the typed payload", got.Data, err)
	}
	if _, err := events.DecodeAgentPayload(events.TypeToolCallCompleted, []byte(`{"agent_id":"a1","tool_name":"t","status":"succeeded","test_results":"x"}`)); err != nil {
		t.Errorf("over the command API: %v", err)
	}
}
