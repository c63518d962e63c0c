// Package gen writes the market's published contract from the Go types
// that encode and decode its messages: a JSON Schema per event payload and
// per command body and reply, the CloudEvents envelope's schema, and the
// AsyncAPI 3 document of the NATS interface that ties them to their
// subjects. Package contract embeds what it writes; its test fails when
// the files differ from what Generate returns now.
package gen

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
)

// SchemaDir is the directory of the schemas, relative to the contract's
// root; events.SchemaBase is its published address.
const SchemaDir = "schemas/v1"

// AsyncAPIFile is the AsyncAPI document, relative to the contract's root.
const AsyncAPIFile = "asyncapi.json"

// Generate returns every file of the contract by its path relative to the
// contract's root, each ending in a newline.
func Generate() (map[string][]byte, error) {
	files := map[string]schema{}
	for _, p := range events.Payloads() {
		files[eventSchemaPath(p.EventType())] = eventSchema(p)
	}
	files[envelopePath] = envelopeSchema()
	for _, c := range agentapi.Commands() {
		files[requestPath(c.Verb)] = requestSchema(c)
		files[replyPath(c.Verb)] = replySchema(c)
	}
	files[AsyncAPIFile] = asyncAPI(files)
	out := make(map[string][]byte, len(files))
	for _, name := range slices.Sorted(maps.Keys(files)) {
		b, err := marshal(files[name])
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// marshal returns v as indented JSON, keys sorted, with a final newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const envelopePath = SchemaDir + "/events/envelope.json"

func eventSchemaPath(t events.Type) string { return SchemaDir + "/events/" + string(t) + ".json" }
func requestPath(v agentapi.Verb) string {
	return SchemaDir + "/commands/" + string(v) + ".request.json"
}
func replyPath(v agentapi.Verb) string { return SchemaDir + "/commands/" + string(v) + ".reply.json" }

// id returns the published address of the schema at path p.
func id(p string) string {
	rel, _ := strings.CutPrefix(p, SchemaDir+"/")
	return events.SchemaBase + rel
}

// document adds the header of a schema file to s: its dialect, address,
// title and description.
func document(p string, s schema, title, description string) schema {
	s["$schema"] = jsonSchemaDraft
	s["$id"] = id(p)
	s["title"] = title
	s["description"] = description
	return s
}

// eventSchema returns the schema of the data of p's events.
func eventSchema(p events.Payload) schema {
	t := p.EventType()
	return document(eventSchemaPath(t), schemaOf(reflect.TypeOf(p), open), string(t),
		"The data of "+article(string(t))+" event: the CloudEvent's data member, whose dataschema attribute is this schema's $id. "+
			"Members a later version adds are allowed; a reader ignores those it does not know.")
}

// envelopeSchema returns the schema of the CloudEvents 1.0 structured-mode
// envelope every event travels in (events.Encode).
func envelopeSchema() schema {
	str := func(desc string) schema { return schema{"type": "string", "description": desc} }
	sources := []string{}
	for _, s := range []events.Source{events.SourceMarket, events.SourceLedger, events.SourceScheduler, events.SourceAgent, events.SourceJudge, events.SourceBenchmark} {
		sources = append(sources, string(s))
	}
	s := schema{
		"type": "object",
		"properties": schema{
			"specversion":     schema{"const": "1.0"},
			"id":              str("Unique, sorts by time; transports deduplicate on it."),
			"source":          schema{"type": "string", "enum": sources},
			"type":            str("What happened: a type of the taxonomy, or an agent-defined type for source agent."),
			"subject":         str("The agent or aggregate the event is about."),
			"time":            schema{"type": "string", "format": "date-time"},
			"datacontenttype": schema{"const": "application/json"},
			"dataschema":      schema{"type": "string", "format": "uri", "description": "The schema of data, for a type with a typed payload."},
			"sequence":        schema{"type": "string", "pattern": "^[0-9]+$", "description": "Gap-free per source and correlation, from 1 (the CloudEvents sequence extension)."},
			"correlationid":   str("The run the event belongs to."),
			"causationid":     str("The id of the event that caused this one."),
			"traceparent":     str("W3C trace context."),
			"schemaversion":   schema{"type": "integer", "const": events.SchemaVersion},
			"chainhash":       schema{"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "The event's link in its writer's hash chain."},
			"chainseal":       schema{"type": "boolean", "description": "The last event of a group its writer published whole."},
			"chainsig":        str("Ed25519 signature of chainhash, standard base64, on a sealed event."),
			"data":            schema{"description": "The payload: see dataschema."},
		},
		"required": []string{"specversion", "id", "source", "type", "time", "sequence", "schemaversion", "data"},
	}
	return document(envelopePath, s, "event", "The CloudEvents 1.0 structured-mode JSON envelope of every event the market publishes.")
}

// requestSchema returns the schema of c's request body.
func requestSchema(c agentapi.Command) schema {
	s := schemaOf(reflect.TypeOf(c.Request), closed)
	if c.Verb == agentapi.VerbEmit {
		s = emitSchema(s)
	}
	return document(requestPath(c.Verb), s, string(c.Verb)+" request",
		"The body of "+article(string(c.Verb))+" request: exactly these members, none null. The acting agent is the subject's <agent> token, never a member.")
}

// emitSchema ties an emit request's data to the schema of its type, for
// the agent types of the taxonomy; an agent-defined type's data is any
// object.
func emitSchema(s schema) schema {
	s["properties"].(schema)["data"] = schema{"type": "object"}
	var cases []any
	for _, p := range events.Payloads() {
		t := p.EventType()
		if !events.IsAgentType(t) {
			continue
		}
		data := schemaOf(reflect.TypeOf(p), open)
		if required, ok := data["required"].([]string); ok { // the market fills in agent_id: the subject's agent
			data["required"] = slices.DeleteFunc(slices.Clone(required), func(n string) bool { return n == "agent_id" })
		}
		cases = append(cases, schema{
			"if":   schema{"properties": schema{"type": schema{"const": string(t)}}},
			"then": schema{"properties": schema{"data": data}},
		})
	}
	s["allOf"] = cases
	return s
}

// replySchema returns the schema of a reply to c.
func replySchema(c agentapi.Command) schema {
	props := schema{"error": errorSchema()}
	if c.Result != nil {
		props["result"] = schemaOf(reflect.TypeOf(c.Result), open)
	}
	s := schema{"type": "object", "properties": props}
	return document(replyPath(c.Verb), s, string(c.Verb)+" reply",
		"The reply to "+article(string(c.Verb))+" request: {\"result\"} on success, {\"error\"} on failure (a release whose payment is pending has both).")
}

// errorSchema returns the schema of an error reply's error, its code one
// of agentapi.Codes.
func errorSchema() schema {
	s := schemaOf(reflect.TypeOf(agentapi.ErrorBody()), open)
	s["properties"].(schema)["code"] = schema{"type": "string", "enum": agentapi.Codes()}
	return s
}

// article returns word after "a" or "an", as its first letter sounds.
func article(word string) string {
	if strings.ContainsAny(word[:1], "aeiou") {
		return "an " + word
	}
	return "a " + word
}
