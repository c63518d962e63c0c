package events

import (
	"fmt"
	"time"
)

// SchemaVersion is the version of the payload schemas this package encodes.
const SchemaVersion = 1

// MinTime and MaxTime bound the instants an event can carry: the years
// 0000 to 9999 that RFC 3339 writes, in UTC. A time outside them, in an
// envelope or a payload, cannot be encoded.
var (
	MinTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)
)

// TimeInRange reports whether t is within MinTime and MaxTime.
func TimeInRange(t time.Time) bool { return !t.Before(MinTime) && !t.After(MaxTime) }

// Event is one immutable fact emitted by a service.
type Event struct {
	// ID is unique and sorts by time; transports deduplicate on it.
	ID string
	// Type names what happened; it always equals Data.EventType().
	Type Type
	// Source is the kind of service that emitted the event.
	Source Source
	// Subject is the agent or aggregate the event is about.
	Subject string
	// Time comes from the emitting service's injected clock, in UTC.
	Time time.Time
	// Sequence is gap-free per source and correlation, starting at 1. The
	// events of a group cut short (Verification.Void) keep their numbers:
	// the writer goes on after them.
	Sequence uint64
	// Correlation is the scenario or run the event belongs to.
	Correlation string
	// Causation is the ID of the event that caused this one, if any.
	Causation string
	// TraceParent is an optional W3C trace context.
	TraceParent string
	// Schema is the payload schema version.
	Schema int
	// Data is the typed payload.
	Data Payload
	// Hash is the event's link in its writer's hash chain: lower-case hex
	// SHA-256 of the previous event's Hash and of this event's canonical
	// encoding (see Chain). Empty on an event of an unchained stream.
	Hash string
	// Seal marks the last event of a group its writer published whole: a
	// reader trusts the events of a chain up to its last seal.
	Seal bool
	// Signature is the writer's Ed25519 signature of Hash, in standard
	// base64, on a sealed event of a signing writer.
	Signature string
}

// Validate reports whether e has every required envelope attribute. Errors
// wrap [ErrInvalid].
func (e Event) Validate() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("%w: empty id", ErrInvalid)
	case e.Type == "":
		return fmt.Errorf("%w: %s: empty type", ErrInvalid, e.ID)
	case e.Source == "":
		return fmt.Errorf("%w: %s: empty source", ErrInvalid, e.ID)
	case e.Time.IsZero():
		return fmt.Errorf("%w: %s: zero time", ErrInvalid, e.ID)
	case !TimeInRange(e.Time):
		return fmt.Errorf("%w: %s: time %v outside the years 0000-9999", ErrInvalid, e.ID, e.Time)
	case e.Sequence == 0:
		return fmt.Errorf("%w: %s: zero sequence", ErrInvalid, e.ID)
	case e.Data == nil:
		return fmt.Errorf("%w: %s: no data", ErrInvalid, e.ID)
	case e.Data.EventType() != e.Type:
		return fmt.Errorf("%w: %s: type %q carries %q data", ErrInvalid, e.ID, e.Type, e.Data.EventType())
	case e.Hash == "" && (e.Seal || e.Signature != ""):
		return fmt.Errorf("%w: %s: sealed or signed but not chained", ErrInvalid, e.ID)
	case e.Signature != "" && !e.Seal:
		return fmt.Errorf("%w: %s: signed but not sealed", ErrInvalid, e.ID)
	}
	return nil
}

// String returns a short human-readable form of e, for logs and test output.
func (e Event) String() string {
	return fmt.Sprintf("%s#%d %s %s", e.Source, e.Sequence, e.Type, e.Subject)
}
