package events

import "context"

// Publisher accepts events. Publish returns nil only once every event is
// accepted by the transport (durably, where the transport is durable); the
// events of one call are accepted in order. Re-publishing an event with an
// id already accepted is not an error and adds nothing. Like io.Writer,
// Publish must not retain evs, the slice, after it returns (callers reuse
// it); the events in it are values it may keep.
type Publisher interface {
	Publish(ctx context.Context, evs ...Event) error
}

// Subscriber delivers the events of a stream in stream order, starting at
// stream sequence from (1 is the first event; 0 means 1), then follows new
// events as they are published.
type Subscriber interface {
	Subscribe(ctx context.Context, from uint64) (Subscription, error)
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
