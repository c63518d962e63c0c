package natstransport

import "errors"

// Sentinel errors returned by this package. Test for them with errors.Is;
// the returned errors wrap them with details and, where there is one, the
// underlying NATS error.
var (
	// ErrInvalidOptions reports an Options field out of its bounds (or, from
	// package natsembed, a natsembed.Options field).
	ErrInvalidOptions = errors.New("natstransport: invalid options")
	// ErrConflictingOptions reports options that exclude each other, such as
	// both a URL and a connection.
	ErrConflictingOptions = errors.New("natstransport: conflicting options")
	// ErrNoServer reports an Open given neither Options.URL nor
	// Options.Conn: natstransport starts no server. Package natsembed runs
	// one in the process and opens a Transport over it (natsembed.Open).
	ErrNoServer = errors.New("natstransport: no server to connect to")
	// ErrStream reports a failure to create, update or inspect the stream.
	ErrStream = errors.New("natstransport: stream setup")
	// ErrNoStream reports a read-only Open (Options.ReadOnly) of a stream
	// that does not exist. It also wraps jetstream.ErrStreamNotFound.
	ErrNoStream = errors.New("natstransport: no such stream")
	// ErrPrefixMismatch reports a read-only Open whose Options.Prefix is not
	// the prefix of the stream's subjects.
	ErrPrefixMismatch = errors.New("natstransport: prefix does not match the stream")
	// ErrSubjectsMismatch reports an Open that would change the subjects of
	// a stream that already holds events (another market's stream, or the
	// same one opened with another prefix). Nothing is changed.
	ErrSubjectsMismatch = errors.New("natstransport: stream holds events under other subjects")
	// ErrReadOnly reports a Publish on a Transport opened with
	// Options.ReadOnly, or a PutSnapshot or DeleteSnapshot of its
	// Snapshots; nothing is written.
	ErrReadOnly = errors.New("natstransport: read-only transport")
	// ErrNotAccepted reports a publish that the server did not acknowledge:
	// some of its events may be stored, some not. Publishing the same events
	// again is safe (see Transport.Publish).
	ErrNotAccepted = errors.New("natstransport: publish not acknowledged")
	// ErrConflict reports a publish the stream refused whole because its
	// last sequence was not the one the Transport expected: another writer
	// wrote to the stream, or an earlier publish failed. Nothing of it was
	// stored; it is not in doubt.
	ErrConflict = errors.New("natstransport: stream changed under the writer")
	// ErrTooLarge reports an event whose NATS subject or message exceeds
	// what the server accepts. It is also an events.ErrInvalid.
	ErrTooLarge = errors.New("natstransport: event too large")
	// ErrDecode reports a stored message that is not an event; the
	// subscription that met it ends. It also wraps the events package's
	// error.
	ErrDecode = errors.New("natstransport: undecodable message")
	// ErrConsumer reports a subscription whose JetStream consumer failed.
	ErrConsumer = errors.New("natstransport: consumer failed")
	// ErrNotHeld reports a ReadFrom of events the stream no longer holds:
	// it starts after 1 but before the stream's first event.
	ErrNotHeld = errors.New("natstransport: events no longer held by the stream")
	// ErrNoSnapshots reports a read-only Transport's Snapshots when the
	// stream has no snapshot bucket: a reader never creates one. It also
	// wraps jetstream.ErrBucketNotFound.
	ErrNoSnapshots = errors.New("natstransport: no snapshot bucket")
	// ErrSnapshots reports a failure to create, open, write, read, list or
	// delete in the snapshot bucket.
	ErrSnapshots = errors.New("natstransport: snapshot store")
	// ErrCorruptSnapshot reports a snapshot that cannot be read whole: a
	// chunk missing, or bytes whose size or SHA-256 digest is not the one
	// the Object Store recorded (then it also wraps
	// jetstream.ErrDigestMismatch).
	ErrCorruptSnapshot = errors.New("natstransport: corrupt snapshot")
)
