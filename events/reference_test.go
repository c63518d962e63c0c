package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decodeReference is Decode as it was before the scanner: encoding/json
// alone, decoding the data through payloadDecoders with decodeAs. The
// differential fuzz test holds Decode to it.
func decodeReference(b []byte) (Event, error) {
	if len(b) > MaxEncodedSize {
		return Event{}, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(b), MaxEncodedSize)
	}
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
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
		return Event{}, fmt.Errorf("%w: time %q is outside years 0000-9999 in UTC", ErrMalformed, w.Time)
	}
	seq, err := strconv.ParseUint(w.Sequence, 10, 64)
	if err != nil {
		return Event{}, fmt.Errorf("%w: sequence %q", ErrMalformed, w.Sequence)
	}
	data, err := decodeDataReference(w.Source, w.Type, w.Data)
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

// decodeDataReference is decodeData as it was before the scanner.
func decodeDataReference(src Source, typ Type, data json.RawMessage) (Payload, error) {
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, fmt.Errorf("%w: %s: no data", ErrMalformed, typ)
	}
	if _, ok := payloadDecoders[typ]; !ok {
		return otherData(src, typ, data), nil
	}
	p, err := referenceDecoders[typ](data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s data: %v", ErrMalformed, typ, err)
	}
	return p, nil
}

// referenceDecoders decodes the data of each known type with encoding/json
// alone, as payloadDecoders did before the scanner.
var referenceDecoders = map[Type]func([]byte) (Payload, error){
	TypeBidPlaced:           decodeAs[BidPlaced],
	TypeBidRejected:         decodeAs[BidRejected],
	TypeOrderCancelled:      decodeAs[OrderCancelled],
	TypeMarketCleared:       decodeAs[MarketCleared],
	TypeResourcesAllocated:  decodeAs[ResourcesAllocated],
	TypePriceUpdate:         decodeAs[PriceUpdate],
	TypeAccountOpened:       decodeAs[AccountOpened],
	TypeAccountClosed:       decodeAs[AccountClosed],
	TypeCreditsTransferred:  decodeAs[CreditsTransferred],
	TypeCreditsMinted:       decodeAs[CreditsMinted],
	TypeCreditsBurned:       decodeAs[CreditsBurned],
	TypeHoldPlaced:          decodeAs[HoldPlaced],
	TypeHoldCaptured:        decodeAs[HoldCaptured],
	TypeHoldReleased:        decodeAs[HoldReleased],
	TypeBalanceQueried:      decodeAs[BalanceQueried],
	TypeBundleScheduled:     decodeAs[BundleScheduled],
	TypeBundleActivated:     decodeAs[BundleActivated],
	TypeBundleExpired:       decodeAs[BundleExpired],
	TypeBundleReleased:      decodeAs[BundleReleased],
	TypeUsageRecorded:       decodeAs[UsageRecorded],
	TypeServiceDenied:       decodeAs[ServiceDenied],
	TypeSpendLimitReached:   decodeAs[SpendLimitReached],
	TypeUsageReserved:       decodeAs[UsageReserved],
	TypeReservationReleased: decodeAs[ReservationReleased],
	TypeAgentTerminated:     decodeAs[AgentTerminated],
	TypeAgentAwake:          decodeAs[AgentAwake],
	TypeAgentDormant:        decodeAs[AgentDormant],
	TypeReasoningTrace:      decodeAs[ReasoningTrace],
	TypeToolCallInitiated:   decodeAs[ToolCallInitiated],
	TypeToolCallCompleted:   decodeAs[ToolCallCompleted],
	TypeServiceInvoked:      decodeAs[ServiceInvoked],
	TypeHumanRewardIssued:   decodeAs[HumanRewardIssued],
	TypeJudgeEvaluation:     decodeAs[JudgeEvaluation],
	TypeSigningKeyAnnounced: decodeAs[SigningKeyAnnounced],
	TypeSnapshotTaken:       decodeAs[SnapshotTaken],
}

// encodeReference is Encode as it was before its hand-written writer:
// json.Marshal of the data, then of the wire form holding it as a
// json.RawMessage (which encoding/json validates and compacts again). The
// differential tests hold Encode to it byte for byte.
func encodeReference(e Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return nil, fmt.Errorf("events: encode %s data: %w", e.Type, err)
	}
	return json.Marshal(wireEvent{
		SpecVersion:     specVersion,
		ID:              e.ID,
		Source:          e.Source,
		Type:            e.Type,
		Subject:         e.Subject,
		Time:            e.Time.UTC().Format(time.RFC3339Nano),
		DataContentType: jsonContentType,
		DataSchema:      DataSchema(e.Type, e.Schema),
		Sequence:        strconv.FormatUint(e.Sequence, 10),
		Correlation:     e.Correlation,
		Causation:       e.Causation,
		TraceParent:     e.TraceParent,
		SchemaVersion:   e.Schema,
		ChainHash:       e.Hash,
		ChainSeal:       e.Seal,
		ChainSignature:  e.Signature,
		Data:            data,
	})
}

// checkScanWire returns an error describing how scanWire differs from
// json.Unmarshal on b, or nil if it gives up on b or agrees.
func checkScanWire(b []byte) error {
	var fast wireEvent
	if !scanWire(b, &fast) {
		return nil
	}
	var ref wireEvent
	if err := json.Unmarshal(b, &ref); err != nil {
		return fmt.Errorf("scanWire accepts what json.Unmarshal rejects: %v", err)
	}
	if diff := cmp.Diff(ref, fast); diff != "" {
		return fmt.Errorf("scanWire differs from json.Unmarshal (-ref +scan):\n%s", diff)
	}
	return nil
}

// decodeWireBaseline is the old path of Decode without its checks: the
// wire form and the typed payload, both by encoding/json.
func decodeWireBaseline(b []byte) error {
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if dec, ok := referenceDecoders[w.Type]; ok {
		_, err := dec(w.Data)
		return err
	}
	return nil
}
