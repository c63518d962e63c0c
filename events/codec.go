package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// MaxEncodedSize bounds the size of an encoded event accepted by [Decode].
const MaxEncodedSize = 1 << 20

// wireEvent is the CloudEvents 1.0 structured-mode JSON form of an Event.
// The envelope attributes that CloudEvents does not define travel as
// extension attributes: sequence (as the sequence extension's string),
// correlationid, causationid, traceparent, schemaversion, and the chain's
// chainhash, chainseal and chainsig (see Chain). dataschema, a CloudEvents
// attribute, is written for every event whose data has a published schema
// (DataSchema) and is not kept on decoding: it follows from the type and
// the schema version.
type wireEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          Source          `json:"source"`
	Type            Type            `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	DataSchema      string          `json:"dataschema,omitempty"`
	Sequence        string          `json:"sequence"`
	Correlation     string          `json:"correlationid,omitempty"`
	Causation       string          `json:"causationid,omitempty"`
	TraceParent     string          `json:"traceparent,omitempty"`
	SchemaVersion   int             `json:"schemaversion"`
	ChainHash       string          `json:"chainhash,omitempty"`
	ChainSeal       bool            `json:"chainseal,omitempty"`
	ChainSignature  string          `json:"chainsig,omitempty"`
	Data            json.RawMessage `json:"data"`
}

const (
	specVersion     = "1.0"
	jsonContentType = "application/json"
)

// Encode returns the CloudEvents 1.0 structured-mode JSON encoding of e. The
// encoding is deterministic: the same event always encodes to the same bytes.
// They are the bytes json.Marshal writes for the wire form holding the JSON
// of the data; Encode writes them itself (encode.go).
func Encode(e Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	var buf [encodeStackSize]byte
	b, err := appendEvent(buf[:0], &e)
	if err != nil {
		return nil, fmt.Errorf("events: encode %s data: %w", e.Type, err)
	}
	return bytes.Clone(b), nil
}

// Decode parses one CloudEvents 1.0 structured-mode JSON event. Data of a
// type in the taxonomy decodes into its typed payload. Data of an
// agent-defined type (see [AgentEvent]) from source agent decodes into an
// AgentEvent, every field kept and numbers exact (json.Number), if it is a
// JSON object whose agent_id, if any, is a string. Data of any other type or
// source is kept as [Raw]. Errors wrap [ErrMalformed] or [ErrInvalid].
func Decode(b []byte) (Event, error) {
	if len(b) > MaxEncodedSize {
		return Event{}, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(b), MaxEncodedSize)
	}
	var w wireEvent
	if !scanWire(b, &w) {
		// Leave what the scanner does not handle to encoding/json.
		var err error
		if w, err = unmarshalWire(b); err != nil {
			return Event{}, err
		}
	}
	return w.event()
}

// unmarshalWire decodes b with encoding/json.
func unmarshalWire(b []byte) (wireEvent, error) {
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return wireEvent{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return w, nil
}

// event returns the event w encodes.
func (w *wireEvent) event() (Event, error) {
	if w.SpecVersion != specVersion {
		return Event{}, fmt.Errorf("%w: specversion %q", ErrMalformed, w.SpecVersion)
	}
	if w.DataContentType != "" && w.DataContentType != jsonContentType {
		return Event{}, fmt.Errorf("%w: datacontenttype %q", ErrMalformed, w.DataContentType)
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return Event{}, fmt.Errorf("%w: time: %v", ErrMalformed, err)
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		// An offset can move a time out of the years RFC 3339 writes.
		return Event{}, fmt.Errorf("%w: time %q is outside years 0000-9999 in UTC", ErrMalformed, w.Time)
	}
	seq, err := strconv.ParseUint(w.Sequence, 10, 64)
	if err != nil {
		return Event{}, fmt.Errorf("%w: sequence %q", ErrMalformed, w.Sequence)
	}
	data, err := decodeData(w.Source, w.Type, w.Data)
	if err != nil {
		return Event{}, err
	}
	e := Event{
		ID: w.ID, Type: w.Type, Source: w.Source, Subject: w.Subject,
		Time: t.UTC(), Sequence: seq, Correlation: w.Correlation,
		Causation: w.Causation, TraceParent: w.TraceParent,
		Schema: w.SchemaVersion, Data: data,
		Hash: w.ChainHash, Seal: w.ChainSeal, Signature: w.ChainSignature,
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// decodeData decodes the data of an event of src and typ: its typed
// payload for a type this package decodes; an AgentEvent for an event of
// source agent whose type is an agent-defined one (IsAgentType, outside the
// taxonomy) and whose data is a JSON object with a string agent_id or
// none; Raw otherwise.
func decodeData(src Source, typ Type, data json.RawMessage) (Payload, error) {
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, fmt.Errorf("%w: %s: no data", ErrMalformed, typ)
	}
	decode, ok := payloadDecoders[typ]
	if !ok {
		return otherData(src, typ, data), nil
	}
	p, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s data: %v", ErrMalformed, typ, err)
	}
	if extended(src, typ, p, data) {
		if x, err := decodeAgentEvent(typ, data); err == nil {
			return x, nil
		}
	}
	return p, nil
}

// otherData returns the payload of data of a type without a decoder: an
// AgentEvent if src is agent, typ follows the naming rule of agent-defined
// types and data decodes as one, Raw otherwise.
func otherData(src Source, typ Type, data json.RawMessage) Payload {
	if src == SourceAgent && agentTypeProblem(typ) == "" {
		if p, err := decodeAgentEvent(typ, data); err == nil {
			return p
		}
	}
	return Raw{Type: typ, JSON: bytes.Clone(data)}
}

// extended reports whether data, decoded as p, is an agent's event of a
// built-in agent type with fields of the agent's own besides the typed
// payload's, which an AgentEvent keeps (see AgentEvent).
func extended(src Source, typ Type, p Payload, data []byte) bool {
	if _, builtin := agentDecoders[typ]; !builtin || src != SourceAgent {
		return false
	}
	return exactKeys(data, reflect.TypeOf(p)) != nil
}
