package events

import (
	"encoding/json"
	"time"
)

// Payload is the typed data of an event. Each payload type belongs to exactly
// one [Type].
type Payload interface {
	EventType() Type
}

// Quantities maps resource names to integer quantities in each resource's
// unit. It encodes as a JSON object with sorted keys.
type Quantities map[string]int64

// Raw is the payload of an event whose type this package does not decode,
// such as an event a benchmark injects or one of a taxonomy type without a
// typed payload yet. It keeps the data as received. (An agent-defined event
// of source agent decodes as an [AgentEvent].)
type Raw struct {
	Type Type
	JSON json.RawMessage
}

// EventType implements Payload.
func (r Raw) EventType() Type { return r.Type }

// MarshalJSON returns the data as received.
func (r Raw) MarshalJSON() ([]byte, error) {
	if len(r.JSON) == 0 {
		return []byte("null"), nil
	}
	return r.JSON, nil
}

// Window is the time window of a bundle on the wire. A zero Start means "as
// soon as the market clears it".
type Window struct {
	Start           time.Time `json:"start,omitzero"`
	DurationSeconds int64     `json:"duration_seconds"`
}

// payloadDecoders decodes the data of each known type into its payload value.
// The common payloads made of strings scan their data themselves
// (textDecoder); the others use encoding/json (decodeAs).
var payloadDecoders = map[Type]func([]byte) (Payload, error){
	TypeBidPlaced:           decodeAs[BidPlaced],
	TypeBidRejected:         textDecoder(bidRejectedField),
	TypeOrderCancelled:      textDecoder(orderCancelledField),
	TypeMarketCleared:       decodeAs[MarketCleared],
	TypeResourcesAllocated:  decodeAs[ResourcesAllocated],
	TypePriceUpdate:         decodeAs[PriceUpdate],
	TypeSnapshotTaken:       decodeAs[SnapshotTaken],
	TypeAccountOpened:       decodeAs[AccountOpened],
	TypeAccountClosed:       decodeAs[AccountClosed],
	TypeCreditsTransferred:  textDecoder(creditsTransferredField),
	TypeCreditsMinted:       textDecoder(creditsMintedField),
	TypeCreditsBurned:       textDecoder(creditsBurnedField),
	TypeHoldPlaced:          decodeAs[HoldPlaced],
	TypeHoldCaptured:        decodeAs[HoldCaptured],
	TypeHoldReleased:        decodeAs[HoldReleased],
	TypeBalanceQueried:      decodeAs[BalanceQueried],
	TypeBundleScheduled:     decodeAs[BundleScheduled],
	TypeBundleActivated:     textDecoder(bundleActivatedField),
	TypeBundleExpired:       textDecoder(bundleExpiredField),
	TypeBundleReleased:      textDecoder(bundleReleasedField),
	TypeUsageRecorded:       decodeAs[UsageRecorded],
	TypeServiceDenied:       decodeAs[ServiceDenied],
	TypeSpendLimitReached:   decodeAs[SpendLimitReached],
	TypeUsageReserved:       decodeAs[UsageReserved],
	TypeReservationReleased: decodeAs[ReservationReleased],
	TypeAgentTerminated:     decodeAs[AgentTerminated],
	TypeAgentAwake:          textDecoder(agentAwakeField),
	TypeAgentDormant:        textDecoder(agentDormantField),
	// Agent and judge payloads (agent_payloads.go). Reflection is not
	// registered yet: reflection data still decodes as Raw.
	TypeReasoningTrace:    textDecoder(reasoningTraceField),
	TypeToolCallInitiated: decodeAs[ToolCallInitiated],
	TypeToolCallCompleted: textDecoder(toolCallCompletedField),
	TypeServiceInvoked:    decodeAs[ServiceInvoked],
	TypeHumanRewardIssued: decodeAs[HumanRewardIssued],
	TypeJudgeEvaluation:   decodeAs[JudgeEvaluation],
	// The chain's own events (chain.go).
	TypeSigningKeyAnnounced: decodeAs[SigningKeyAnnounced],
}

func decodeAs[T Payload](data []byte) (Payload, error) {
	var p T
	err := json.Unmarshal(data, &p)
	return p, err
}
