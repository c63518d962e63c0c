package events

// This file holds the fast path of decoding the common payloads whose
// fields all travel as JSON strings (see payloadDecoders). Like scanWire, it
// handles the plain form that Encode writes and leaves anything unusual to
// encoding/json (decodeAs), which decides.

// textField points at a field of a payload that decodes from a JSON string:
// a string (or a type based on string), or a Decimal. The zero textField
// points nowhere.
type textField struct {
	str *string
	dec *Decimal
}

// set sets the field to the contents of a plain JSON string, as
// encoding/json would, and reports whether that succeeded.
func (f textField) set(v []byte) bool {
	if f.dec != nil {
		return f.dec.UnmarshalText(v) == nil
	}
	*f.str = string(v)
	return true
}

// textDecoder returns the decoder of the data of a T. field returns the
// field of p with the JSON name name, a lowercase name; every field of T
// must decode from a JSON string. Data the scanner does not handle goes to
// decodeAs.
func textDecoder[T Payload](field func(p *T, name []byte) textField) func([]byte) (Payload, error) {
	return func(data []byte) (Payload, error) {
		var p T
		if scanText(data, func(name []byte) textField { return field(&p, name) }) {
			return p, nil
		}
		return decodeAs[T](data)
	}
}

// scanText decodes the JSON object data into the fields field finds by name
// and reports true, or reports false if data is anything it does not
// handle. When it reports true, json.Unmarshal would have succeeded with
// the same result. Members that name no field are skipped.
func scanText(data []byte, field func(name []byte) textField) bool {
	s := scanner{b: data}
	ok := s.object(func(key []byte) bool {
		if !plainKey(key) {
			return false
		}
		f := field(key)
		if f == (textField{}) {
			return s.value(0)
		}
		v, ok := s.plainString()
		return ok && f.set(v)
	})
	s.space()
	return ok && s.i == len(data)
}

func agentAwakeField(p *AgentAwake, name []byte) textField {
	if string(name) == "agent_id" {
		return textField{str: &p.AgentID}
	}
	return textField{}
}

func agentDormantField(p *AgentDormant, name []byte) textField {
	if string(name) == "agent_id" {
		return textField{str: &p.AgentID}
	}
	return textField{}
}

func bundleActivatedField(p *BundleActivated, name []byte) textField {
	return bundleAgentField(&p.BundleID, &p.AgentID, name)
}

func bundleExpiredField(p *BundleExpired, name []byte) textField {
	return bundleAgentField(&p.BundleID, &p.AgentID, name)
}

func bundleAgentField(bundle, agent *string, name []byte) textField {
	switch string(name) {
	case "bundle_id":
		return textField{str: bundle}
	case "agent_id":
		return textField{str: agent}
	}
	return textField{}
}

func bundleReleasedField(p *BundleReleased, name []byte) textField {
	if string(name) == "reason" {
		return textField{str: &p.Reason}
	}
	return bundleAgentField(&p.BundleID, &p.AgentID, name)
}

func orderCancelledField(p *OrderCancelled, name []byte) textField {
	switch string(name) {
	case "order_id":
		return textField{str: &p.OrderID}
	case "agent_id":
		return textField{str: &p.AgentID}
	}
	return textField{}
}

func bidRejectedField(p *BidRejected, name []byte) textField {
	switch string(name) {
	case "order_id":
		return textField{str: &p.OrderID}
	case "agent_id":
		return textField{str: &p.AgentID}
	case "reason":
		return textField{str: (*string)(&p.Reason)}
	case "detail":
		return textField{str: &p.Detail}
	}
	return textField{}
}

func (m *Movement) field(name []byte) textField {
	switch string(name) {
	case "transfer_id":
		return textField{str: &m.TransferID}
	case "from":
		return textField{str: &m.From}
	case "to":
		return textField{str: &m.To}
	case "amount":
		return textField{dec: &m.Amount}
	case "reason":
		return textField{str: &m.Reason}
	case "from_balance":
		return textField{dec: &m.FromBalance}
	case "to_balance":
		return textField{dec: &m.ToBalance}
	}
	return textField{}
}

func reasoningTraceField(p *ReasoningTrace, name []byte) textField {
	switch string(name) {
	case "agent_id":
		return textField{str: &p.AgentID}
	case "decision":
		return textField{str: &p.Decision}
	case "content":
		return textField{str: &p.Content}
	}
	return textField{}
}

func toolCallCompletedField(p *ToolCallCompleted, name []byte) textField {
	switch string(name) {
	case "agent_id":
		return textField{str: &p.AgentID}
	case "call_id":
		return textField{str: &p.CallID}
	case "tool_name":
		return textField{str: &p.ToolName}
	case "status":
		return textField{str: (*string)(&p.Status)}
	case "result":
		return textField{str: &p.Result}
	case "error":
		return textField{str: &p.Error}
	}
	return textField{}
}

func creditsTransferredField(p *CreditsTransferred, name []byte) textField {
	return p.Movement.field(name)
}

func creditsMintedField(p *CreditsMinted, name []byte) textField {
	return p.Movement.field(name)
}

func creditsBurnedField(p *CreditsBurned, name []byte) textField {
	return p.Movement.field(name)
}
