package events

// SchemaBase is where the JSON Schemas of the payloads are published: the
// directory contract/schemas/v<SchemaVersion>/ of the module's repository,
// which package contract generates from the payload types. An event's
// dataschema attribute is SchemaBase + "events/<type>.json".
const SchemaBase = "https://github.com/scarcitylabs/scarcity/raw/main/contract/schemas/v1/"

// payloads are zero values of the typed payloads: those Decode returns.
var payloads = []Payload{
	BidPlaced{}, BidRejected{}, OrderCancelled{}, MarketCleared{}, ResourcesAllocated{}, PriceUpdate{},
	SnapshotTaken{},
	AccountOpened{}, AccountClosed{}, CreditsTransferred{}, CreditsMinted{}, CreditsBurned{},
	HoldPlaced{}, HoldCaptured{}, HoldReleased{}, BalanceQueried{},
	BundleScheduled{}, BundleActivated{}, BundleExpired{}, BundleReleased{}, UsageRecorded{},
	ServiceDenied{}, SpendLimitReached{}, UsageReserved{}, ReservationReleased{}, AgentTerminated{},
	AgentAwake{}, AgentDormant{},
	ReasoningTrace{}, ToolCallInitiated{}, ToolCallCompleted{}, ServiceInvoked{}, HumanRewardIssued{},
	JudgeEvaluation{},
	SigningKeyAnnounced{},
}

// dataSchemas maps each type with a typed payload to its dataschema.
var dataSchemas = func() map[Type]string {
	m := make(map[Type]string, len(payloads))
	for _, p := range payloads {
		m[p.EventType()] = SchemaBase + "events/" + string(p.EventType()) + ".json"
	}
	return m
}()

// Payloads returns a zero value of every typed payload, one per type, in
// the order of the taxonomy's listing: the types whose data Decode
// decodes, and whose schema package contract publishes.
func Payloads() []Payload {
	out := make([]Payload, len(payloads))
	copy(out, payloads)
	return out
}

// DataSchema returns the URI of the JSON Schema of the data of an event of
// type t at schema version v, its CloudEvents dataschema attribute: empty
// for a type without a typed payload (an agent-defined type, or one that
// decodes as Raw) or a version other than SchemaVersion.
func DataSchema(t Type, v int) string {
	if v != SchemaVersion {
		return ""
	}
	return dataSchemas[t]
}
