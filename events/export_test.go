package events

import (
	"maps"
	"slices"
)

// DecodedTypes returns, sorted, the types whose data Decode turns into a
// typed payload rather than Raw.
func DecodedTypes() []Type { return slices.Sorted(maps.Keys(payloadDecoders)) }
