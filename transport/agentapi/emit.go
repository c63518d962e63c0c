package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
)

// The emit verb publishes an event of the acting agent (scarcity.Emitter).
// Its body is
//
//	{"type": "<agent event type>", "data": {<payload>}}
//
// where type is one the agents may publish (events.IsAgentType) and data is
// the payload's JSON object, decoded strictly (events.DecodeAgentPayload, at
// most events.MaxAgentPayloadSize bytes). For an agent type of the taxonomy
// (reasoning_trace, …) data's keys are the payload's field names, spelled
// exactly; keys beyond them make it an events.AgentEvent of that type,
// whose declared fields are checked as the typed payload's (an agent adding
// fields of its own, such as test_results). A type outside the taxonomy that follows the naming rule
// of agent-defined types (events.CheckAgentDefinedType), such as
// code_change_applied, carries an events.AgentEvent: data holds the agent's
// own fields, numbers kept exact; like every request, it holds no null and
// no repeated key, and nests at most MaxDepth deep (the body's object
// counting as the first level). data's agent_id may be absent;
// if present it must be the subject's agent. The market fills it in,
// validates the payload and publishes it (scarcity.Market.Emit). A payload
// that is not an agent's, breaks a bound or the naming rule, or names
// another agent gets an invalid_request reply; the reply of a published
// event has no result.

var _ scarcity.Emitter = (*Client)(nil)

// emitRequest is the body of emit.
type emitRequest struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// validate decodes Data strictly and replaces it with the payload's
// canonical encoding.
func (r *emitRequest) validate() error {
	p, err := r.payload()
	if err != nil {
		return err
	}
	r.Data, err = json.Marshal(p)
	return err
}

// payload returns the payload r carries.
func (r *emitRequest) payload() (events.AgentPayload, error) {
	return events.DecodeAgentPayload(events.Type(r.Type), r.Data)
}

// executeEmit publishes r's payload as agent's event. The market's refusals
// of the payload itself are invalid requests.
func executeEmit(ctx context.Context, m Market, agent string, r *emitRequest) error {
	p, err := r.payload()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	err = m.Emit(ctx, agent, p)
	if errors.Is(err, scarcity.ErrImpersonation) || errors.Is(err, scarcity.ErrInvalidAgentEvent) ||
		errors.Is(err, scarcity.ErrNotAgentEvent) {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return err
}

// Emit publishes p as the agent's event (agent must be the client's); see
// scarcity.Market.Emit. p may be an events.AgentEvent of a type the agent
// defines, or of a built-in agent type it extends. A payload that is not an agent type (or an AgentEvent whose type
// breaks the naming rule) fails with ErrInvalidRequest and
// scarcity.ErrNotAgentEvent, one that names another agent with
// ErrOtherAgent and a *scarcity.ImpersonationError, before anything is
// sent.
func (c *Client) Emit(ctx context.Context, agent string, p events.Payload) error {
	if err := c.self(agent); err != nil {
		return err
	}
	switch p.(type) {
	case events.AgentEvent, *events.AgentEvent:
		if err := events.CheckAgentEventType(p.EventType()); err != nil {
			return fmt.Errorf("%w: %w: %w", ErrInvalidRequest, scarcity.ErrNotAgentEvent, err)
		}
	}
	ap, ok := p.(events.AgentPayload)
	if !ok || !events.IsAgentType(p.EventType()) {
		return fmt.Errorf("%w: %w: %T", ErrInvalidRequest, scarcity.ErrNotAgentEvent, p)
	}
	if named := ap.Agent(); named != "" && named != c.agent {
		return fmt.Errorf("%w: %w", ErrOtherAgent, &scarcity.ImpersonationError{Caller: c.agent, Named: named, Type: p.EventType()})
	}
	data, err := json.Marshal(ap)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	return c.call(ctx, VerbEmit, emitRequest{Type: string(p.EventType()), Data: data}, nil)
}
