package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Agent and judge payloads.
//
// Agents publish events about their own reasoning and actions (source
// agent); a judge publishes its evaluation of a run (source judge). Their
// JSON field names are the ones benchmark scenarios filter on:
// data.decision of reasoning_trace, data.tool_name of tool_call_initiated,
// data.service_name of service_invoked, and so on.
//
// Every agent payload names the agent it is about in agent_id. A market
// that publishes one on an agent's behalf fills it with the caller's
// identity and rejects a payload naming another agent; see
// [AgentPayload.WithAgent].

// Bounds of agent and judge payloads, checked by their Validate methods.
const (
	// MaxAgentNameLen bounds names and ids: agent, call, tool, service,
	// provider, decision, judge, scenario, run, criterion, argument key.
	MaxAgentNameLen = 128
	// MaxAgentTextLen bounds free text: content, result, error, reason,
	// comment, and each argument value.
	MaxAgentTextLen = 16 << 10
	// MaxToolArguments bounds the arguments of one tool call.
	MaxToolArguments = 64
	// MaxJudgeCriteria bounds the criteria of one evaluation.
	MaxJudgeCriteria = 64
	// MaxAgentPayloadSize bounds the JSON encoding of an agent or judge
	// payload.
	MaxAgentPayloadSize = 32 << 10
)

var (
	// ErrInvalidPayload reports an agent or judge payload that breaks a
	// bound or lacks a required field.
	ErrInvalidPayload = errors.New("events: invalid agent payload")
	// ErrNotAgentType reports a type that agents may not publish.
	ErrNotAgentType = errors.New("events: not an agent event type")
)

// CallStatus is the outcome of a tool call or a service invocation.
type CallStatus string

// The outcomes of a call.
const (
	StatusSucceeded CallStatus = "succeeded"
	StatusFailed    CallStatus = "failed"
)

// AgentPayload is the payload of an event an agent publishes about itself.
type AgentPayload interface {
	Payload
	// Agent returns the agent the payload names; "" if none yet.
	Agent() string
	// WithAgent returns a copy of the payload naming agent.
	WithAgent(agent string) AgentPayload
	// Validate checks the payload's bounds; errors wrap ErrInvalidPayload.
	Validate() error
}

// ReasoningTrace records a step of an agent's reasoning. Decision is a
// short machine-readable label of what the agent decided, such as
// "decompose_task" or "adjust_bid"; Content is the reasoning as text.
type ReasoningTrace struct {
	AgentID  string `json:"agent_id"`
	Decision string `json:"decision,omitempty"`
	Content  string `json:"content"`
}

// ToolCallInitiated records an agent starting a call of a tool such as
// "market.bid". Arguments are the call's arguments, each a string: a
// structured argument travels as its JSON text. A flat map of strings keeps
// the encoding deterministic (sorted keys), lets a scenario filter on
// data.arguments.<name>, and never carries a float.
type ToolCallInitiated struct {
	AgentID   string            `json:"agent_id"`
	CallID    string            `json:"call_id"`
	ToolName  string            `json:"tool_name"`
	Arguments map[string]string `json:"arguments,omitempty"`
}

// ToolCallCompleted records the outcome of the tool call CallID: its
// Result if it succeeded, its Error if it failed.
type ToolCallCompleted struct {
	AgentID  string     `json:"agent_id"`
	CallID   string     `json:"call_id"`
	ToolName string     `json:"tool_name"`
	Status   CallStatus `json:"status"`
	Result   string     `json:"result,omitempty"`
	Error    string     `json:"error,omitempty"`
}

// ServiceInvoked records an agent using a service offered by Provider
// (another agent or a system service) at Cost credits.
type ServiceInvoked struct {
	AgentID     string     `json:"agent_id"`
	ServiceName string     `json:"service_name"`
	Provider    string     `json:"provider,omitempty"`
	Cost        Decimal    `json:"cost"`
	Status      CallStatus `json:"status"`
}

// Reflection records an agent looking back on what it did. About is the
// id of the event reflected upon, if any.
type Reflection struct {
	AgentID string `json:"agent_id"`
	Content string `json:"content"`
	About   string `json:"about,omitempty"`
}

// HumanRewardIssued records a human rewarding an agent with Amount credits.
// Human is the human who gave it; TransferID is the ledger movement that
// paid it (the credits_minted of the same command), if any. The market
// publishes it (scarcity.Market.Reward); agents cannot publish it.
type HumanRewardIssued struct {
	AgentID    string  `json:"agent_id"`
	Human      string  `json:"human,omitempty"`
	Amount     Decimal `json:"amount"`
	Reason     string  `json:"reason"`
	TransferID string  `json:"transfer_id,omitempty"`
}

// JudgeEvaluation records a judge's scores of a run of a scenario: a score
// per criterion, the overall score, the threshold it was held to (if any)
// and whether it passed. AgentID is the agent evaluated, if one was.
type JudgeEvaluation struct {
	Judge     string             `json:"judge"`
	AgentID   string             `json:"agent_id,omitempty"`
	Scenario  string             `json:"scenario"`
	Run       string             `json:"run,omitempty"`
	Criteria  map[string]Decimal `json:"criteria"`
	Overall   Decimal            `json:"overall"`
	Threshold Decimal            `json:"threshold,omitempty"`
	Passed    bool               `json:"passed"`
	Comment   string             `json:"comment,omitempty"`
}

// EventType implements Payload.
func (ReasoningTrace) EventType() Type { return TypeReasoningTrace }

// EventType implements Payload.
func (ToolCallInitiated) EventType() Type { return TypeToolCallInitiated }

// EventType implements Payload.
func (ToolCallCompleted) EventType() Type { return TypeToolCallCompleted }

// EventType implements Payload.
func (ServiceInvoked) EventType() Type { return TypeServiceInvoked }

// EventType implements Payload.
func (Reflection) EventType() Type { return TypeReflection }

// EventType implements Payload.
func (HumanRewardIssued) EventType() Type { return TypeHumanRewardIssued }

// EventType implements Payload.
func (JudgeEvaluation) EventType() Type { return TypeJudgeEvaluation }

// Agent implements AgentPayload.
func (p ReasoningTrace) Agent() string { return p.AgentID }

// Agent implements AgentPayload.
func (p ToolCallInitiated) Agent() string { return p.AgentID }

// Agent implements AgentPayload.
func (p ToolCallCompleted) Agent() string { return p.AgentID }

// Agent implements AgentPayload.
func (p ServiceInvoked) Agent() string { return p.AgentID }

// Agent implements AgentPayload.
func (p Reflection) Agent() string { return p.AgentID }

// WithAgent implements AgentPayload.
func (p ReasoningTrace) WithAgent(agent string) AgentPayload { p.AgentID = agent; return p }

// WithAgent implements AgentPayload.
func (p ToolCallInitiated) WithAgent(agent string) AgentPayload { p.AgentID = agent; return p }

// WithAgent implements AgentPayload.
func (p ToolCallCompleted) WithAgent(agent string) AgentPayload { p.AgentID = agent; return p }

// WithAgent implements AgentPayload.
func (p ServiceInvoked) WithAgent(agent string) AgentPayload { p.AgentID = agent; return p }

// WithAgent implements AgentPayload.
func (p Reflection) WithAgent(agent string) AgentPayload { p.AgentID = agent; return p }

var (
	_ AgentPayload = ReasoningTrace{}
	_ AgentPayload = ToolCallInitiated{}
	_ AgentPayload = ToolCallCompleted{}
	_ AgentPayload = ServiceInvoked{}
	_ AgentPayload = Reflection{}
)

// agentDecoders decodes, strictly, the data of each type agents publish.
var agentDecoders = map[Type]func([]byte) (AgentPayload, error){
	TypeReasoningTrace:    strictAs[ReasoningTrace],
	TypeToolCallInitiated: strictAs[ToolCallInitiated],
	TypeToolCallCompleted: strictAs[ToolCallCompleted],
	TypeServiceInvoked:    strictAs[ServiceInvoked],
	TypeReflection:        strictAs[Reflection],
}

// IsAgentType reports whether agents may publish events of type t: an
// agent type of the taxonomy (reasoning_trace, tool_call_initiated,
// tool_call_completed, service_invoked, reflection), or a type outside the
// taxonomy that follows the naming rule of agent-defined types
// (CheckAgentDefinedType), published as an AgentEvent.
func IsAgentType(t Type) bool {
	_, ok := agentDecoders[t]
	return ok || agentTypeProblem(t) == ""
}

// DecodeAgentPayload decodes data as the payload of an agent event of type
// t, strictly: data must be one JSON object of at most MaxAgentPayloadSize
// bytes. For an agent type of the taxonomy its keys must be exactly json
// names of the payload's fields, or else the payload is an AgentEvent of
// that type holding every member (the declared ones valid as the typed
// payload's). For an agent-defined type (see
// AgentEvent) the payload is an AgentEvent holding every member of data but
// agent_id, which must be a string if present, numbers as json.Number. It
// does not call Validate: the publisher fills in the agent first (see
// AgentPayload.WithAgent), then validates. Errors wrap ErrNotAgentType (and,
// for a type outside the taxonomy that breaks the naming rule, an
// *AgentTypeError) or ErrInvalidPayload.
func DecodeAgentPayload(t Type, data []byte) (AgentPayload, error) {
	decode, ok := agentDecoders[t]
	if ok {
		decode = extensible(t, decode)
	} else {
		if InTaxonomy(t) {
			return nil, fmt.Errorf("%w: %q", ErrNotAgentType, clip(string(t)))
		}
		if err := CheckAgentDefinedType(t); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotAgentType, err)
		}
		decode = func(data []byte) (AgentPayload, error) { return decodeAgentEvent(t, data) }
	}
	if len(data) > MaxAgentPayloadSize {
		return nil, fmt.Errorf("%w: %s data of %d bytes exceeds %d", ErrInvalidPayload, t, len(data), MaxAgentPayloadSize)
	}
	p, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s data: %v", ErrInvalidPayload, t, err)
	}
	return p, nil
}

// extensible decodes data strictly with decode if it has only the fields
// of t's payload, and as an AgentEvent of the built-in type t if it has
// fields of the agent's own besides (see AgentEvent).
func extensible(t Type, decode func([]byte) (AgentPayload, error)) func([]byte) (AgentPayload, error) {
	return func(data []byte) (AgentPayload, error) {
		p, err := decode(data)
		if err == nil {
			return p, nil
		}
		if x, xerr := decodeAgentEvent(t, data); xerr == nil && x.validateTyped() == nil {
			return x, nil
		}
		return nil, err
	}
}

// strictAs decodes exactly one JSON object without unknown fields.
func strictAs[T AgentPayload](data []byte) (AgentPayload, error) {
	var p T
	if len(bytes.TrimSpace(data)) == 0 || bytes.TrimSpace(data)[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	return p, exactKeys(data, reflect.TypeFor[T]())
}

// exactKeys checks that the keys of the JSON object data are json names of
// the fields of t spelled exactly: encoding/json alone matches them without
// regard to case.
func exactKeys(data []byte, t reflect.Type) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	names := map[string]bool{}
	for f := range t.Fields() {
		n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names[n] = true
	}
	for k := range obj {
		if !names[k] {
			return fmt.Errorf("unknown field %q", clip(k))
		}
	}
	return nil
}

// Validate checks the payload's bounds; errors wrap ErrInvalidPayload.
func (p ReasoningTrace) Validate() error {
	return firstErr(
		name("agent_id", p.AgentID, true),
		name("decision", p.Decision, false),
		text("content", p.Content),
		sized(p),
	)
}

// Validate checks the payload's bounds; errors wrap ErrInvalidPayload.
func (p ToolCallInitiated) Validate() error {
	if len(p.Arguments) > MaxToolArguments {
		return fmt.Errorf("%w: %d arguments exceed %d", ErrInvalidPayload, len(p.Arguments), MaxToolArguments)
	}
	for k, v := range p.Arguments {
		if err := firstErr(name("argument name", k, true), text("argument "+clip(k), v)); err != nil {
			return err
		}
	}
	return firstErr(
		name("agent_id", p.AgentID, true),
		name("call_id", p.CallID, false),
		name("tool_name", p.ToolName, true),
		sized(p),
	)
}

// Validate checks the payload's bounds; errors wrap ErrInvalidPayload.
func (p ToolCallCompleted) Validate() error {
	return firstErr(
		name("agent_id", p.AgentID, true),
		name("call_id", p.CallID, false),
		name("tool_name", p.ToolName, true),
		status(p.Status),
		text("result", p.Result),
		text("error", p.Error),
		sized(p),
	)
}

// Validate checks the payload's bounds; errors wrap ErrInvalidPayload.
func (p ServiceInvoked) Validate() error {
	return firstErr(
		name("agent_id", p.AgentID, true),
		name("service_name", p.ServiceName, true),
		name("provider", p.Provider, false),
		amount("cost", p.Cost, 0),
		status(p.Status),
		sized(p),
	)
}

// Validate checks the payload's bounds; errors wrap ErrInvalidPayload.
func (p Reflection) Validate() error {
	return firstErr(
		name("agent_id", p.AgentID, true),
		text("content", p.Content),
		name("about", p.About, false),
		sized(p),
	)
}

// Validate checks the payload's bounds; errors wrap ErrInvalidPayload.
func (p HumanRewardIssued) Validate() error {
	return firstErr(
		name("agent_id", p.AgentID, true),
		name("human", p.Human, false),
		amount("amount", p.Amount, 1),
		text("reason", p.Reason),
		name("transfer_id", p.TransferID, false),
		sized(p),
	)
}

// Validate checks the payload's bounds; errors wrap ErrInvalidPayload.
func (p JudgeEvaluation) Validate() error {
	if len(p.Criteria) > MaxJudgeCriteria {
		return fmt.Errorf("%w: %d criteria exceed %d", ErrInvalidPayload, len(p.Criteria), MaxJudgeCriteria)
	}
	for k, v := range p.Criteria {
		if err := firstErr(name("criterion", k, true), amount("criterion "+clip(k), v, -1)); err != nil {
			return err
		}
	}
	if p.Threshold != "" {
		if err := amount("threshold", p.Threshold, -1); err != nil {
			return err
		}
	}
	return firstErr(
		name("judge", p.Judge, true),
		name("agent_id", p.AgentID, false),
		name("scenario", p.Scenario, true),
		name("run", p.Run, false),
		amount("overall", p.Overall, -1),
		text("comment", p.Comment),
		sized(p),
	)
}

// firstErr returns the first non-nil error of errs.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// name checks a name: valid UTF-8 without control characters or spaces, at
// most MaxAgentNameLen bytes, and not empty if required.
func name(field, s string, required bool) error {
	switch {
	case s == "" && required:
		return fmt.Errorf("%w: %s is empty", ErrInvalidPayload, field)
	case len(s) > MaxAgentNameLen:
		return fmt.Errorf("%w: %s of %d bytes exceeds %d", ErrInvalidPayload, field, len(s), MaxAgentNameLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidPayload, field)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("%w: %s %q holds a space or control character", ErrInvalidPayload, field, clip(s))
		}
	}
	return nil
}

// text checks free text: valid UTF-8 of at most MaxAgentTextLen bytes.
func text(field, s string) error {
	if len(s) > MaxAgentTextLen {
		return fmt.Errorf("%w: %s of %d bytes exceeds %d", ErrInvalidPayload, field, len(s), MaxAgentTextLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidPayload, field)
	}
	return nil
}

// status checks a call's outcome.
func status(s CallStatus) error {
	if s != StatusSucceeded && s != StatusFailed {
		return fmt.Errorf("%w: status %q is neither %q nor %q", ErrInvalidPayload, clip(string(s)), StatusSucceeded, StatusFailed)
	}
	return nil
}

// amount checks a required decimal: with min 1 it must be positive, with
// min 0 not negative, with min -1 any finite value.
func amount(field string, x Decimal, min int) error {
	d, err := x.Apd()
	if err != nil || x == "" {
		return fmt.Errorf("%w: %s %q is not a decimal", ErrInvalidPayload, field, clip(string(x)))
	}
	if d.Sign() < min {
		return fmt.Errorf("%w: %s %s is too small", ErrInvalidPayload, field, x)
	}
	return nil
}

// sized checks the size of p's JSON encoding.
func sized(p Payload) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	if len(b) > MaxAgentPayloadSize {
		return fmt.Errorf("%w: %s of %d bytes exceeds %d", ErrInvalidPayload, p.EventType(), len(b), MaxAgentPayloadSize)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
