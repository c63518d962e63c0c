package events

import "errors"

// Sentinel errors returned by this package. Test for them with errors.Is.
var (
	// ErrMalformed reports an encoded event that is not valid JSON, is not a
	// CloudEvents 1.0 structured event, or whose data does not match its type.
	ErrMalformed = errors.New("events: malformed event")
	// ErrInvalid reports an event that lacks a required envelope attribute.
	ErrInvalid = errors.New("events: invalid event")
	// ErrClosed reports an operation on a closed log or subscription.
	ErrClosed = errors.New("events: closed")
	// ErrFull reports a publish refused because it would take a log or a
	// stream past its maximum size: nothing of it was stored, so it is not
	// in doubt, and the same publish may succeed once room is made.
	ErrFull = errors.New("events: log full")
	// ErrInDoubt reports a publish whose outcome is unknown: it failed
	// after some or all of its events may have been stored (a lost
	// acknowledgement, a connection lost mid-batch). A Publisher wraps it
	// in such errors; an error without it means nothing was stored.
	ErrInDoubt = errors.New("events: publish outcome unknown")
	// ErrFenced reports a publish through a Sequencer whose earlier publish
	// was in doubt: the writer's state may differ from the stream's, so it
	// publishes nothing more. Rebuild the writer from the stream.
	ErrFenced = errors.New("events: writer fenced after a publish in doubt")
	// ErrNoSnapshot reports a snapshot a SnapshotStore does not hold.
	ErrNoSnapshot = errors.New("events: no such snapshot")
	// ErrSnapshotName reports a snapshot name a SnapshotStore refuses to
	// store: the empty name, which names no snapshot, or one that is not
	// valid UTF-8 (see ValidSnapshotName).
	ErrSnapshotName = errors.New("events: invalid snapshot name")
	// ErrBadDecimal reports a string that is not a finite decimal number.
	ErrBadDecimal = errors.New("events: bad decimal")
)
