package events

import (
	"context"
	"slices"
	"time"
)

// Publisher accepts events. Publish returns nil only once every event is
// accepted by the transport (durably, where the transport is durable); the
// events of one call are accepted in order. Re-publishing an event with an
// id already accepted is not an error and adds nothing. Like io.Writer,
// Publish must not retain evs, the slice, after it returns (callers reuse
// it); the events in it are values it may keep.
type Publisher interface {
	Publish(ctx context.Context, evs ...Event) error
}

// AsyncPublisher is a Publisher that can take the next events before the
// ones already sent are accepted: a writer pipelines its publishes through
// it and learns each outcome later. The events of successive calls are
// stored in the order of the calls; once a call fails, no call after it
// is stored either — those in flight, and those made before the writer has
// read the stream back (an AsyncPublisher that is a Reader: ReadAll) — so
// that the stream always holds a prefix of what was sent.
type AsyncPublisher interface {
	Publisher
	// PublishAsync sends evs and returns at once. The channel receives
	// exactly one value once the outcome is known: nil once every event
	// is accepted, or the error Publish would have returned.
	PublishAsync(ctx context.Context, evs ...Event) <-chan error
}

// Reader reads back every event its stream holds, in stream order: what a
// writer rebuilds itself from after a publish that failed.
type Reader interface {
	ReadAll(ctx context.Context) ([]Event, error)
}

// TailReader reads a stream from a position: what a writer restored from
// a snapshot reads after it, in memory bounded by the tail, not by the
// stream's history.
type TailReader interface {
	Reader
	// LastSequence returns the stream sequence of the last event the
	// stream holds now; 0 if it holds none.
	LastSequence(ctx context.Context) (uint64, error)
	// ReadFrom returns the events from stream sequence from (1 is the
	// first; 0 means 1) to the last the stream holds now, in stream order,
	// and the stream sequence of that last event. Like ReadAll, a read
	// through a writer's own TailReader tells the writer where its stream
	// stands.
	ReadFrom(ctx context.Context, from uint64) (evs []Event, last uint64, err error)
}

// SnapshotStore keeps a writer's snapshots beside its stream: named blobs,
// written once and read whole. A snapshot is state a writer can resume
// from without reading the stream's history; the writer binds each to its
// stream (scarcity: docs/decisions/0002-market-snapshots.md), so a store
// need only keep bytes.
type SnapshotStore interface {
	// PutSnapshot stores data as name, replacing any snapshot of that name.
	PutSnapshot(ctx context.Context, name string, data []byte) error
	// GetSnapshot returns the snapshot name: ErrNoSnapshot if there is
	// none, another error if it cannot be read whole (a store that checks
	// a digest, as natstransport's does, refuses a corrupt one).
	GetSnapshot(ctx context.Context, name string) ([]byte, error)
	// ListSnapshots returns the names of the snapshots that begin with
	// prefix, in ascending byte order.
	ListSnapshots(ctx context.Context, prefix string) ([]string, error)
	// DeleteSnapshot removes the snapshot name; removing one that is not
	// there is not an error.
	DeleteSnapshot(ctx context.Context, name string) error
}

// Subscriber delivers the events of a stream in stream order, from where
// opts says, then follows new events as they are published. A replay and a
// live tail are the same call.
type Subscriber interface {
	Subscribe(ctx context.Context, opts SubscribeOptions) (Subscription, error)
}

// SubscribeOptions says where a subscription starts and which events it
// delivers. The zero value delivers every event from the first.
type SubscribeOptions struct {
	// From is the stream sequence of the first event to deliver: 1 is the
	// first event of the stream; 0 means 1.
	From uint64
	// Since, if not zero, starts at the first event whose Time is at or
	// after it, and From is ignored.
	Since time.Time
	// Filter selects the events delivered. Deliveries keep their stream
	// sequences, so a filtered subscription sees gaps.
	Filter Filter
}

// Filter selects events. Each non-empty field must match (a list matches
// if it contains the event's value); the zero Filter matches every event.
type Filter struct {
	Sources     []Source
	Types       []Type
	Subjects    []string // the agents or accounts events are about
	Correlation string
}

// Match reports whether f selects e.
func (f Filter) Match(e Event) bool {
	return (len(f.Sources) == 0 || slices.Contains(f.Sources, e.Source)) &&
		(len(f.Types) == 0 || slices.Contains(f.Types, e.Type)) &&
		(len(f.Subjects) == 0 || slices.Contains(f.Subjects, e.Subject)) &&
		(f.Correlation == "" || f.Correlation == e.Correlation)
}

// Subscription is a running subscription. C is closed when the subscription
// ends: because it was closed, its context was cancelled, or it failed, as
// Err then reports.
type Subscription interface {
	C() <-chan Delivery
	Err() error
	Close() error
}

// Delivery is an event and its position in the stream.
type Delivery struct {
	Seq   uint64
	Event Event
}

// PublisherFunc adapts a function to the Publisher interface.
type PublisherFunc func(ctx context.Context, evs ...Event) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, evs ...Event) error { return f(ctx, evs...) }

// Discard is a Publisher that accepts every event and keeps none.
var Discard Publisher = PublisherFunc(func(context.Context, ...Event) error { return nil })
