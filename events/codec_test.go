package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scarcitylabs/scarcity/events"
)

func TestCodecRoundTrip(t *testing.T) {
	for i, p := range samplePayloads() {
		t.Run(string(p.EventType()), func(t *testing.T) {
			want := eventOf(p, uint64(i+1))
			got, err := events.Decode(mustEncode(t, want))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(want, got, rawEqual); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSamplesCoverEveryDecodedType(t *testing.T) {
	var typed []events.Type
	for _, p := range samplePayloads() {
		if _, raw := p.(events.Raw); !raw {
			typed = append(typed, p.EventType())
		}
	}
	slices.Sort(typed)
	if diff := cmp.Diff(events.DecodedTypes(), typed); diff != "" {
		t.Errorf("typed sample payloads (-want +got):\n%s", diff)
	}
}

func TestDecodeGivesTypedPayload(t *testing.T) {
	for _, p := range samplePayloads() {
		got, err := events.Decode(mustEncode(t, eventOf(p, 1)))
		if err != nil {
			t.Fatalf("Decode %s: %v", p.EventType(), err)
		}
		if want, have := fmt.Sprintf("%T", p), fmt.Sprintf("%T", got.Data); want != have {
			t.Errorf("%s decodes to %s, want %s", p.EventType(), have, want)
		}
	}
}

// wireMap decodes an encoded event into a generic map.
func wireMap(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("encoded event is not a JSON object: %v\n%s", err, b)
	}
	return m
}

func TestEncodeCloudEventsAttributes(t *testing.T) {
	e := eventOf(events.AgentAwake{AgentID: "a1"}, 42)
	e.Time = time.Date(2025, 3, 14, 16, 9, 26, 500, time.FixedZone("CET", 3600))
	got := wireMap(t, mustEncode(t, e))
	want := map[string]any{
		"specversion":     "1.0",
		"id":              "id-agent_awake",
		"source":          "market",
		"type":            "agent_awake",
		"subject":         "a1",
		"time":            "2025-03-14T15:09:26.0000005Z",
		"datacontenttype": "application/json",
		"dataschema":      events.SchemaBase + "events/agent_awake.json",
		"sequence":        "42",
		"correlationid":   "run-1",
		"causationid":     "cause-1",
		"traceparent":     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"schemaversion":   float64(events.SchemaVersion),
		"data":            map[string]any{"agent_id": "a1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CloudEvents attributes (-want +got):\n%s", diff)
	}
}

func TestEncodeOmitsEmptyOptionalAttributes(t *testing.T) {
	e := testEvent("e1", 1)
	e.Subject = ""
	got := wireMap(t, mustEncode(t, e))
	for _, k := range []string{"subject", "correlationid", "causationid", "traceparent"} {
		if v, ok := got[k]; ok {
			t.Errorf("attribute %q = %v, want it omitted", k, v)
		}
	}
	for _, k := range []string{"specversion", "id", "source", "type", "time", "datacontenttype", "sequence", "schemaversion", "data"} {
		if _, ok := got[k]; !ok {
			t.Errorf("required attribute %q missing", k)
		}
	}
}

// TestDataSchema checks that every typed payload's events carry the URI of
// its schema, and that an agent-defined event, a Raw one and one of another
// schema version carry none.
func TestDataSchema(t *testing.T) {
	seen := map[events.Type]bool{}
	for _, p := range events.Payloads() {
		if seen[p.EventType()] {
			t.Errorf("Payloads lists %s twice", p.EventType())
		}
		seen[p.EventType()] = true
		if !events.InTaxonomy(p.EventType()) {
			t.Errorf("Payloads lists %s, outside the taxonomy", p.EventType())
		}
	}
	for _, p := range samplePayloads() {
		e := eventOf(p, 1)
		want := events.SchemaBase + "events/" + string(p.EventType()) + ".json"
		if _, raw := p.(events.Raw); raw {
			want = ""
		}
		if got, _ := wireMap(t, mustEncode(t, e))["dataschema"].(string); got != want {
			t.Errorf("%s: dataschema %q, want %q", p.EventType(), got, want)
		}
		if want != "" && !seen[p.EventType()] {
			t.Errorf("%s decodes to a typed payload that Payloads does not list", p.EventType())
		}
	}
	old := eventOf(events.AgentAwake{AgentID: "a1"}, 1)
	old.Schema = events.SchemaVersion + 1
	if _, ok := wireMap(t, mustEncode(t, old))["dataschema"]; ok {
		t.Error("an event of another schema version carries a dataschema")
	}
}

func TestEncodeDeterministic(t *testing.T) {
	for _, p := range samplePayloads() {
		e := eventOf(p, 9)
		first := mustEncode(t, e)
		for range 20 {
			if again := mustEncode(t, e); !bytes.Equal(first, again) {
				t.Fatalf("%s: encodings differ:\n%s\n%s", p.EventType(), first, again)
			}
		}
		decoded, err := events.Decode(first)
		if err != nil {
			t.Fatalf("Decode %s: %v", p.EventType(), err)
		}
		if again := mustEncode(t, decoded); !bytes.Equal(first, again) {
			t.Errorf("%s: re-encoding a decoded event differs:\n%s\n%s", p.EventType(), first, again)
		}
	}
}

func TestEncodeSortsMapKeys(t *testing.T) {
	e := eventOf(events.MarketCleared{
		Volume: events.Quantities{"z": 1, "a": 2, "m": 3},
		Prices: map[string]events.Decimal{"z": "1", "a": "2"},
	}, 1)
	b := string(mustEncode(t, e))
	if !strings.Contains(b, `"volume":{"a":2,"m":3,"z":1}`) || !strings.Contains(b, `"clearing_prices":{"a":"2","z":"1"}`) {
		t.Errorf("map keys not sorted in %s", b)
	}
}

func TestEncodeInvalid(t *testing.T) {
	valid := testEvent("e1", 1)
	tests := []struct {
		name   string
		mutate func(*events.Event)
	}{
		{"empty id", func(e *events.Event) { e.ID = "" }},
		{"empty type", func(e *events.Event) { e.Type = "" }},
		{"empty source", func(e *events.Event) { e.Source = "" }},
		{"zero time", func(e *events.Event) { e.Time = time.Time{} }},
		{"zero sequence", func(e *events.Event) { e.Sequence = 0 }},
		{"no data", func(e *events.Event) { e.Data = nil }},
		{"type differs from data", func(e *events.Event) { e.Type = events.TypeAgentDormant }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid
			tt.mutate(&e)
			if _, err := events.Encode(e); !errors.Is(err, events.ErrInvalid) {
				t.Errorf("Encode error = %v, want ErrInvalid", err)
			}
			if err := e.Validate(); !errors.Is(err, events.ErrInvalid) {
				t.Errorf("Validate error = %v, want ErrInvalid", err)
			}
		})
	}
	if err := valid.Validate(); err != nil {
		t.Errorf("Validate(valid) = %v", err)
	}
}

// rewire encodes e, applies edit to its generic JSON form and re-encodes it.
func rewire(tb testing.TB, e events.Event, edit func(map[string]any)) []byte {
	tb.Helper()
	m := wireMap(tb, mustEncode(tb, e))
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeRejects(t *testing.T) {
	base := eventOf(events.CreditsTransferred{Movement: events.Movement{TransferID: "t", From: "a", To: "b", Amount: "1", FromBalance: "0", ToBalance: "1"}}, 3)
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	setData := func(k string, v any) func(map[string]any) {
		return func(m map[string]any) { m["data"].(map[string]any)[k] = v }
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty input", []byte(""), events.ErrMalformed},
		{"not json", []byte("{not json"), events.ErrMalformed},
		{"json array", []byte("[1,2]"), events.ErrMalformed},
		{"trailing garbage", append(mustEncode(t, base), " x"...), events.ErrMalformed},
		{"too large", append(mustEncode(t, base), bytes.Repeat([]byte(" "), events.MaxEncodedSize)...), events.ErrMalformed},
		{"no specversion", rewire(t, base, del("specversion")), events.ErrMalformed},
		{"specversion 0.3", rewire(t, base, set("specversion", "0.3")), events.ErrMalformed},
		{"xml content", rewire(t, base, set("datacontenttype", "application/xml")), events.ErrMalformed},
		{"no time", rewire(t, base, del("time")), events.ErrMalformed},
		{"bad time", rewire(t, base, set("time", "yesterday")), events.ErrMalformed},
		{"sequence number not string", rewire(t, base, set("sequence", 3)), events.ErrMalformed},
		{"negative sequence", rewire(t, base, set("sequence", "-1")), events.ErrMalformed},
		{"fractional sequence", rewire(t, base, set("sequence", "1.5")), events.ErrMalformed},
		{"no sequence", rewire(t, base, del("sequence")), events.ErrMalformed},
		{"no data", rewire(t, base, del("data")), events.ErrMalformed},
		{"null data", rewire(t, base, set("data", nil)), events.ErrMalformed},
		{"data is array", rewire(t, base, set("data", []any{1})), events.ErrMalformed},
		{"amount as number", rewire(t, base, setData("amount", 1.5)), events.ErrMalformed},
		{"amount in exponent form", rewire(t, base, setData("amount", "1e3")), events.ErrMalformed},
		{"amount NaN", rewire(t, base, setData("amount", "NaN")), events.ErrMalformed},
		{"quantity not integer", rewire(t, eventOf(samplePayloads()[1], 1), setData("quantities", map[string]any{"cpu": 1.5})), events.ErrMalformed},
		{"zero sequence", rewire(t, base, set("sequence", "0")), events.ErrInvalid},
		{"no id", rewire(t, base, del("id")), events.ErrInvalid},
		{"no type", rewire(t, base, del("type")), events.ErrInvalid},
		{"no source", rewire(t, base, del("source")), events.ErrInvalid},
		{"zero time", rewire(t, base, set("time", "0001-01-01T00:00:00Z")), events.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := events.Decode(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode error = %v, want %v", err, tt.want)
			}
			if diff := cmp.Diff(events.Event{}, e); diff != "" {
				t.Errorf("Decode returned a partial event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	base := testEvent("e1", 5)
	tests := []struct {
		name string
		in   []byte
		want events.Event
	}{
		{"no datacontenttype", rewire(t, base, func(m map[string]any) { delete(m, "datacontenttype") }), base},
		{"time with offset becomes UTC", rewire(t, base, func(m map[string]any) {
			m["time"] = t0.In(time.FixedZone("X", -5*3600)).Format(time.RFC3339Nano)
		}), base},
		{"unknown data fields ignored", rewire(t, base, func(m map[string]any) {
			m["data"].(map[string]any)["extra"] = true
		}), base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
			if got.Time.Location() != time.UTC {
				t.Errorf("time location = %v, want UTC", got.Time.Location())
			}
		})
	}
}

func TestDecodeUnknownTypeKeepsRawData(t *testing.T) {
	in := []byte(`{"specversion":"1.0","id":"x1","source":"agent","type":"reflection","time":"2025-01-02T03:04:05Z",` +
		`"sequence":"1","schemaversion":1,"data":{"text":"I overbid","score":0.25}}`)
	got, err := events.Decode(in)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := events.Raw{Type: events.TypeReflection, JSON: json.RawMessage(`{"text":"I overbid","score":0.25}`)}
	if diff := cmp.Diff(events.Payload(want), got.Data); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
}

// FuzzDecode checks that Decode never panics, and that an event it accepts
// re-encodes and re-decodes to an equal event whose encoding is a fixed point.
func FuzzDecode(f *testing.F) {
	for i, p := range samplePayloads() {
		b, err := events.Encode(eventOf(p, uint64(i+1)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"specversion":"1.0","id":"x","source":"agent","type":"t","time":"2025-01-02T03:04:05+02:00","sequence":"01","data":{ "a" : [1, "<&>"] }}`))
	f.Add([]byte(`{"specversion":"1.0","id":"x","source":"ledger","type":"credits_minted","time":"2025-01-02T03:04:05Z","sequence":"1","data":{"amount":".5"}}`))
	f.Add([]byte(`{}`))
	// Agent-defined events (AgentEvent), and near misses that stay Raw.
	f.Add([]byte(`{"specversion":"1.0","id":"x","source":"agent","type":"code_change_applied","time":"2025-01-02T03:04:05Z","sequence":"1","data":{"agent_id":"a1","files":3,"ratio":0.10,"big":1e400,"tags":["<&>",{"n":null}]}}`))
	f.Add([]byte(`{"specversion":"1.0","id":"x","source":"agent","type":"code_change_applied","time":"2025-01-02T03:04:05Z","sequence":"1","data":{"agent_id":7}}`))
	f.Add([]byte(`{"specversion":"1.0","id":"x","source":"benchmark","type":"code_change_applied","time":"2025-01-02T03:04:05Z","sequence":"1","data":{"agent_id":"a1"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e1, err := events.Decode(b)
		if err != nil {
			if !errors.Is(err, events.ErrMalformed) && !errors.Is(err, events.ErrInvalid) {
				t.Fatalf("Decode error %v wraps neither ErrMalformed nor ErrInvalid", err)
			}
			return
		}
		b2, err := events.Encode(e1)
		if err != nil {
			t.Fatalf("Encode(decoded %v): %v", e1, err)
		}
		e2, err := events.Decode(b2)
		if err != nil {
			t.Fatalf("Decode(re-encoded): %v\n%s", err, b2)
		}
		if diff := cmp.Diff(e1, e2, rawEqual, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("re-decoded event differs (-first +second):\n%s", diff)
		}
		if b3 := mustEncode(t, e2); !bytes.Equal(b2, b3) {
			t.Fatalf("encoding is not a fixed point:\n%s\n%s", b2, b3)
		}
	})
}
