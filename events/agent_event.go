package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// Agent-defined events.
//
// Besides the agent types of the taxonomy (reasoning_trace,
// tool_call_initiated, tool_call_completed, service_invoked, reflection),
// an agent may publish events of types it defines itself, such as
// "code_change_applied", as an AgentEvent, under the naming rule of
// CheckAgentDefinedType. On the wire the event's type is the agent's name,
// and its data is one JSON object: agent_id beside the agent's own fields,
// which a scenario filters on as data.<field>.
//
// An AgentEvent may also carry a built-in agent type, to add fields of the
// agent's own to it (a tool_call_completed with test_results): the fields
// the typed payload declares are checked as it checks them, and the others
// are kept. Decode gives such an event back as an AgentEvent; one without
// extra fields as its typed payload.

// Bounds of the type of an agent-defined event.
const (
	MinAgentTypeLen = 3
	MaxAgentTypeLen = 64
)

// agentIDKey is the member of an agent event's data that names its agent.
const agentIDKey = "agent_id"

// AgentTypeError is the error of a type name agents may not define (see
// CheckAgentDefinedType). It wraps ErrInvalidPayload.
type AgentTypeError struct {
	// Type is the name refused.
	Type Type
	// Reason says which part of the naming rule it breaks.
	Reason string
}

func (e *AgentTypeError) Error() string {
	return fmt.Sprintf("events: agent-defined type %q %s", clip(string(e.Type)), e.Reason)
}

// Unwrap returns ErrInvalidPayload.
func (e *AgentTypeError) Unwrap() error { return ErrInvalidPayload }

// CheckAgentDefinedType reports whether agents may define the type t: nil
// if t follows the naming rule of agent-defined types, an *AgentTypeError
// otherwise. The rule:
//
//   - t is lower_snake_case: lower-case ASCII letters and digits in words
//     joined by single underscores, starting with a letter
//     ("code_change_applied", "step2_done"; not "CodeChange", "_x", "a__b",
//     "x_");
//   - t is MinAgentTypeLen to MaxAgentTypeLen bytes long;
//   - t is not a type of the taxonomy (InTaxonomy): an agent can neither
//     pass for the market, the ledger, the scheduler, a judge or a human,
//     nor publish a built-in agent type without its typed payload.
func CheckAgentDefinedType(t Type) error {
	if reason := agentTypeProblem(t); reason != "" {
		return &AgentTypeError{Type: t, Reason: reason}
	}
	return nil
}

// agentTypeProblem returns the part of the naming rule t breaks, "" if
// none.
func agentTypeProblem(t Type) string {
	switch {
	case len(t) < MinAgentTypeLen:
		return fmt.Sprintf("is shorter than %d bytes", MinAgentTypeLen)
	case len(t) > MaxAgentTypeLen:
		return fmt.Sprintf("is longer than %d bytes", MaxAgentTypeLen)
	case !snakeCase(string(t)):
		return "is not lower_snake_case"
	case InTaxonomy(t):
		return "is a type of the taxonomy"
	}
	return ""
}

// snakeCase reports whether s is lower-case ASCII letters and digits in
// words joined by single underscores, starting with a letter.
func snakeCase(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '_' {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '_' && s[i-1] != '_':
		default:
			return false
		}
	}
	return true
}

// AgentEvent is the payload of an event of a type an agent defines, such as
// code_change_applied, named by the rule of CheckAgentDefinedType. Data holds the agent's
// fields: any JSON value under names that are not agent_id (AgentID carries
// it), the whole encoding at most MaxAgentPayloadSize bytes.
//
// It encodes as one JSON object, agent_id first and then Data's members in
// sorted order. Decode gives it back for an event of source agent whose
// type is not in the taxonomy, with every field of the data kept and
// numbers exact, as json.Number; WithAgent (which a market calls when it
// publishes the event) puts Data in that same form.
type AgentEvent struct {
	AgentID string
	Type    Type
	Data    map[string]any
}

var _ AgentPayload = AgentEvent{}

// EventType implements Payload.
func (p AgentEvent) EventType() Type { return p.Type }

// Agent implements AgentPayload.
func (p AgentEvent) Agent() string { return p.AgentID }

// WithAgent implements AgentPayload. The copy's Data is a deep copy in the
// form Decode gives back: numbers as json.Number, nested objects as
// map[string]any, arrays as []any, no empty map. If Data cannot be encoded
// it is kept as it is, and Validate reports why.
func (p AgentEvent) WithAgent(agent string) AgentPayload {
	p.AgentID = agent
	if b, err := json.Marshal(p.Data); err == nil {
		var data map[string]any
		if decodeNumbers(b, &data) == nil {
			p.Data = data
			if len(data) == 0 {
				p.Data = nil
			}
		}
	}
	return p
}

// Validate checks the payload's bounds: the naming rule of its type (an
// *AgentTypeError) or, for a built-in agent type, the typed payload's own
// bounds over the fields it declares; the agent, the names of the data's
// fields and the size of its encoding. Errors wrap ErrInvalidPayload.
func (p AgentEvent) Validate() error {
	if err := CheckAgentEventType(p.Type); err != nil {
		return err
	}
	if _, builtin := agentDecoders[p.Type]; builtin {
		if err := p.validateTyped(); err != nil {
			return err
		}
	}
	if err := name(agentIDKey, p.AgentID, true); err != nil {
		return err
	}
	for k := range p.Data {
		if k == agentIDKey {
			return fmt.Errorf("%w: %s data holds %s, which AgentID carries", ErrInvalidPayload, p.Type, agentIDKey)
		}
		if err := name("data field", k, true); err != nil {
			return err
		}
	}
	return sized(p)
}

// CheckAgentEventType reports whether an AgentEvent may have the type t:
// a type agents define (CheckAgentDefinedType), or a built-in agent type
// (reasoning_trace, tool_call_initiated, tool_call_completed,
// service_invoked, reflection) that the agent extends with fields of its
// own.
func CheckAgentEventType(t Type) error {
	if _, builtin := agentDecoders[t]; builtin {
		return nil
	}
	return CheckAgentDefinedType(t)
}

// validateTyped checks the fields of a built-in agent type that p's data
// declares, as the typed payload checks them.
func (p AgentEvent) validateTyped() error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("%w: %s data: %v", ErrInvalidPayload, p.Type, err)
	}
	typed := reflect.New(agentPayloadTypes[p.Type])
	if err := json.Unmarshal(b, typed.Interface()); err != nil {
		return fmt.Errorf("%w: %s data: %v", ErrInvalidPayload, p.Type, err)
	}
	if v, ok := typed.Elem().Interface().(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// agentPayloadTypes are the payload types of the built-in agent types.
var agentPayloadTypes = map[Type]reflect.Type{
	TypeReasoningTrace:    reflect.TypeFor[ReasoningTrace](),
	TypeToolCallInitiated: reflect.TypeFor[ToolCallInitiated](),
	TypeToolCallCompleted: reflect.TypeFor[ToolCallCompleted](),
	TypeServiceInvoked:    reflect.TypeFor[ServiceInvoked](),
	TypeReflection:        reflect.TypeFor[Reflection](),
}

// MarshalJSON returns the data of the event: agent_id and Data's members in
// one JSON object.
func (p AgentEvent) MarshalJSON() ([]byte, error) {
	if _, ok := p.Data[agentIDKey]; ok {
		return nil, fmt.Errorf("events: %s data holds %s, which AgentID carries", clip(string(p.Type)), agentIDKey)
	}
	id, err := json.Marshal(p.AgentID)
	if err != nil {
		return nil, err
	}
	b := append([]byte(`{"`+agentIDKey+`":`), id...)
	if len(p.Data) == 0 {
		return append(b, '}'), nil
	}
	data, err := json.Marshal(p.Data)
	if err != nil {
		return nil, err
	}
	return append(append(b, ','), data[1:]...), nil // data[0] is '{'
}

// decodeAgentEvent decodes data as the payload of an agent-defined event of
// type t: one JSON object whose agent_id, if present, is a string. It does
// not check t or the bounds.
func decodeAgentEvent(t Type, data []byte) (AgentEvent, error) {
	var obj map[string]any
	if err := decodeNumbers(data, &obj); err != nil {
		return AgentEvent{}, err
	}
	if obj == nil {
		return AgentEvent{}, errors.New("not a JSON object")
	}
	p := AgentEvent{Type: t}
	if v, ok := obj[agentIDKey]; ok {
		s, ok := v.(string)
		if !ok {
			return AgentEvent{}, fmt.Errorf("%s is not a string", agentIDKey)
		}
		p.AgentID = s
		delete(obj, agentIDKey)
	}
	if len(obj) > 0 {
		p.Data = obj
	}
	return p, nil
}

// decodeNumbers decodes the one JSON value data into v, keeping numbers as
// json.Number.
func decodeNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one JSON value")
	}
	return nil
}
