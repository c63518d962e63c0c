package transporttest

import (
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// DefaultTimeout bounds every wait of the suite, and of [Collect] and
// [Drain], when [Harness.Timeout] is zero. It is generous: a wait that
// succeeds does not wait for it.
const DefaultTimeout = 10 * time.Second

// Transport is what the suite tests: a publisher and subscriber over one
// stream that can be closed. Close ends the transport's subscriptions and
// makes later publishes fail; closing twice is not an error.
type Transport interface {
	events.Publisher
	events.Subscriber
	Close() error
}

// Harness is what a transport's test gives [Run]: how to make the transport
// and what it promises beyond the contract. The zero value of every field
// but New means the strictest reading of the contract.
type Harness struct {
	// New returns a transport over a new, empty stream: no event published
	// through an earlier transport is visible in it. New releases what it
	// makes with t.Cleanup; the suite also closes the transport when the
	// test ends. Required.
	New func(t *testing.T) Transport
	// Restart, if not nil, stops the server behind tr, starts it again on
	// the same storage, and returns a new transport over the same stream.
	// The suite does not use tr afterwards. Nil skips the restart case, as
	// for a transport without a server.
	Restart func(t *testing.T, tr Transport) Transport
	// AtomicBatch declares that a publish is all or nothing: when Publish
	// fails, none of its events was accepted. Without it the suite only
	// requires that a refused invalid event is not accepted and that the
	// valid events around it are accepted at most once, in order.
	AtomicBatch bool
	// ErrClosed, if not nil, is the sentinel that Publish on a closed
	// transport and Err of a closed subscription wrap. Nil requires only
	// that they are not nil.
	ErrClosed error
	// SlowConsumer is the transport's policy for a subscriber that falls
	// behind. The zero value, Lossless, is the contract's default.
	SlowConsumer SlowConsumerPolicy
	// Timeout bounds every wait; zero means DefaultTimeout.
	Timeout time.Duration
}

// SlowConsumerPolicy says what a transport does with a subscriber that reads
// more slowly than events are published. Under every policy publishers never
// wait for subscribers.
type SlowConsumerPolicy int

const (
	// Lossless: a slow subscriber misses nothing; it reads the stream at its
	// own pace, however far behind it falls. This is the contract's policy
	// and the in-memory log's.
	Lossless SlowConsumerPolicy = iota
	// EndsSubscription: a subscriber that falls too far behind has its
	// subscription ended: C closes after a gap-free run of deliveries and Err
	// reports why. Nothing is lost from the stream: a new subscription From
	// the sequence after the last delivery resumes where it stopped. A
	// subscriber that reads continuously must not be ended.
	EndsSubscription
)

// String returns the policy's name.
func (p SlowConsumerPolicy) String() string {
	switch p {
	case Lossless:
		return "Lossless"
	case EndsSubscription:
		return "EndsSubscription"
	}
	return "SlowConsumerPolicy(?)"
}

// timeout returns the bound on every wait.
func (h Harness) timeout() time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return DefaultTimeout
}
