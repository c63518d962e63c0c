package gen

import (
	"maps"
	"slices"
	"strings"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// asyncAPI returns the AsyncAPI 3.0 document of the market's NATS
// interface: a channel and an operation per command verb (request, and
// reply on the requester's inbox) and per event type (received from the
// stream's subjects), the schemas of files inlined under components.
func asyncAPI(files map[string]schema) schema {
	d := &asyncDoc{channels: schema{}, operations: schema{}, messages: schema{}, schemas: schema{}}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		d.schemas[componentName(p)] = inline(files[p])
	}
	for _, p := range events.Payloads() {
		d.event(p.EventType())
	}
	for _, c := range agentapi.Commands() {
		d.command(c.Verb)
	}
	return schema{
		"asyncapi":           "3.1.0",
		"info":               info(),
		"defaultContentType": "application/json",
		"servers": schema{"nats": schema{
			"host": "localhost:4222", "protocol": "nats",
			"description": "A NATS server with JetStream; each agent connects with its own nkey over TLS (package natsauth).",
			"security":    []any{ref("#/components/securitySchemes/nkey")},
		}},
		"channels":   d.channels,
		"operations": d.operations,
		"components": schema{
			"schemas":         d.schemas,
			"messages":        d.messages,
			"parameters":      parameters(),
			"securitySchemes": schema{"nkey": nkeyScheme()},
		},
	}
}

// asyncDoc collects the parts of the document.
type asyncDoc struct {
	channels, operations, messages, schemas schema
}

// event adds the channel, message and receive operation of events of type t.
func (d *asyncDoc) event(t events.Type) {
	name := "event." + string(t)
	d.messages[name] = schema{
		"name": string(t), "title": string(t), "contentType": "application/json",
		"summary": "A " + string(t) + " event: a CloudEvent whose data is described by its dataschema.",
		"payload": schema{"allOf": []any{
			ref("#/components/schemas/event.envelope"),
			schema{"properties": schema{
				"type": schema{"const": string(t)},
				"data": ref("#/components/schemas/" + name),
			}},
		}},
	}
	d.channels[name] = schema{
		"address":     "{prefix}.{source}." + string(t) + ".{subject}.{counterparty}",
		"description": "The market's stream holds every " + string(t) + " event; an agent may read those about itself.",
		"parameters":  paramRefs("prefix", "source", "subject", "counterparty"),
		"messages":    schema{"event": ref("#/components/messages/" + name)},
	}
	d.operations["receive."+string(t)] = schema{
		"action":   "receive",
		"channel":  ref("#/channels/" + name),
		"messages": []any{ref("#/channels/" + name + "/messages/event")},
	}
}

// command adds the channels, messages and send operation of verb v.
func (d *asyncDoc) command(v agentapi.Verb) {
	req, reply := "command."+string(v)+".request", "command."+string(v)+".reply"
	d.messages[req] = schema{"name": req, "title": string(v) + " request", "contentType": "application/json",
		"payload": ref("#/components/schemas/" + req)}
	d.messages[reply] = schema{"name": reply, "title": string(v) + " reply", "contentType": "application/json",
		"payload": ref("#/components/schemas/" + reply)}
	cmd, inbox := "command."+string(v), "inbox."+string(v)
	d.channels[cmd] = schema{
		"address":     agentapi.CommandSubject("{prefix}", "{agent}", v),
		"description": "An agent sends " + string(v) + " requests here, as itself: the server lets it publish only under its own <agent> token.",
		"parameters":  paramRefs("prefix", "agent"),
		"messages":    schema{"request": ref("#/components/messages/" + req)},
	}
	d.channels[inbox] = schema{
		"address":     nil,
		"description": "The requester's reply subject, under its own inbox " + agentapi.InboxPrefix("{agent}") + ".> (the server drops a request whose reply subject is not).",
		"messages":    schema{"reply": ref("#/components/messages/" + reply)},
	}
	d.operations[string(v)] = schema{
		"action":   "send",
		"channel":  ref("#/channels/" + cmd),
		"messages": []any{ref("#/channels/" + cmd + "/messages/request")},
		"reply": schema{
			"address":  schema{"location": "$message.header#/replyTo", "description": "The NATS reply subject of the request."},
			"channel":  ref("#/channels/" + inbox),
			"messages": []any{ref("#/channels/" + inbox + "/messages/reply")},
		},
	}
}

// componentName returns the components.schemas key of the schema file p:
// event.<type>, event.envelope, command.<verb>.request or .reply.
func componentName(p string) string {
	rel, _ := strings.CutPrefix(p, SchemaDir+"/")
	dir, file, _ := strings.Cut(rel, "/")
	kind := strings.TrimSuffix(dir, "s") // events → event, commands → command
	return kind + "." + strings.TrimSuffix(file, ".json")
}

// inline returns s without the header only a schema file has.
func inline(s schema) schema {
	out := maps.Clone(s)
	delete(out, "$schema")
	delete(out, "$id")
	return out
}

func ref(to string) schema { return schema{"$ref": to} }

// paramRefs returns references to the named parameters.
func paramRefs(names ...string) schema {
	out := schema{}
	for _, n := range names {
		out[n] = ref("#/components/parameters/" + n)
	}
	return out
}

// parameters returns the subjects' parameters.
func parameters() schema {
	return schema{
		"prefix": schema{"description": "The market's subject prefix: dot-separated tokens of ASCII letters, digits, '-' and '_' (agentapi.DefaultPrefix unless the deployment says otherwise)."},
		"agent":  schema{"description": "The acting agent's id, one subject token."},
		"source": schema{"description": "The emitting service: market, ledger, scheduler, agent, judge or benchmark.",
			"enum": []string{"market", "ledger", "scheduler", "agent", "judge", "benchmark"}},
		"subject":      schema{"description": "The event's subject (an agent or aggregate id) as one token: bytes outside [A-Za-z0-9_-] written as %XX, the empty string as _."},
		"counterparty": schema{"description": "The other agent the event concerns (the payee of a transfer, say), as a token like subject; _ if none."},
	}
}

// nkeyScheme describes how agents authenticate and what they may do.
func nkeyScheme() schema {
	const agent = "AGENT" // a plain token: its subjects read as templates
	evs := agentapi.EventSubjects("{prefix}", agent)
	for i, s := range evs {
		evs[i] = strings.ReplaceAll(s, agent, "{agent}")
	}
	return schema{
		"type": "asymmetricEncryption",
		"description": "Every user has its own NATS nkey (Ed25519) and every agent its own NATS account (package natsauth generates both and the server's configuration). " +
			"An agent may publish only " + agentapi.CommandSubjects("{prefix}", "{agent}") +
			", subscribe only to its inbox " + agentapi.InboxPrefix("{agent}") + ".> and to the events about it (" + strings.Join(evs, ", ") +
			"), within limits on connections, subscriptions and message size. The market's user subscribes to " + agentapi.ServeSubject("{prefix}") +
			" and publishes the stream's subjects (" + strings.Join(natstransport.StreamSubjects("{prefix}"), ", ") + ").",
	}
}

// info returns the document's info object.
func info() schema {
	return schema{
		"title":   "scarcity market",
		"version": "1.0.0",
		"description": "The NATS interface of a scarcity market: agents buy time-bounded bundles of scarce resources with credits. " +
			"An agent sends each command as a NATS request on {prefix}.cmd.v1.{agent}.{verb}, as itself, and gets one reply: {\"result\": ...} or {\"error\": {\"code\", \"message\", ...}}. " +
			"Amounts are decimal strings, never JSON numbers; quantities are integers. Error codes are stable; messages are not. " +
			"The market publishes every state change as a CloudEvent on the stream's subjects; an event's dataschema names the schema of its data. " +
			"Generated from the Go types by package contract (go generate ./contract); the schemas are under " + events.SchemaBase + ".",
		"license": schema{"name": "See the repository"},
	}
}
