package events

import (
	"maps"
	"slices"
)

// DecodedTypes returns, sorted, the types whose data Decode turns into a
// typed payload rather than Raw.
func DecodedTypes() []Type { return slices.Sorted(maps.Keys(payloadDecoders)) }

// Unexported decoders for the differential tests and benchmarks.
var (
	DecodeReference    = decodeReference
	CheckScanWire      = checkScanWire
	DecodeWireBaseline = decodeWireBaseline
	EncodeReference    = encodeReference
)

// WritesData reports whether Encode writes the JSON of p itself rather than
// leaving it to json.Marshal.
func WritesData(p Payload) bool {
	_, ok := appendPayload(nil, p)
	return ok
}

// ScansWire reports whether Decode's scanner handles b itself.
func ScansWire(b []byte) bool {
	var w wireEvent
	return scanWire(b, &w)
}
