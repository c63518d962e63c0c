// Package transporttest is the conformance suite of scarcity's transports,
// in the manner of testing/fstest: [Run] puts a transport through the cases
// every implementation of the [events.Publisher] and [events.Subscriber]
// contracts must pass, and states, case by case, what the contract means
// where the interfaces alone cannot say it.
//
// A transport's test provides a [Harness] that makes fresh, empty streams:
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, transporttest.Harness{
//			New: func(t *testing.T) transporttest.Transport {
//				tr := newTransportOnAFreshStream(t)
//				t.Cleanup(func() { tr.Close() })
//				return tr
//			},
//			Restart:     restartServer, // nil skips the restart case
//			AtomicBatch: true,
//			ErrClosed:   mytransport.ErrClosed,
//		})
//	}
//
// # What the suite asserts
//
// Deliveries carry stream sequences from 1, without gaps unless a filter
// skips events, and events equal to what was published (times compared with
// time.Time.Equal). A publish is accepted in order and deduplicated by event
// id; it does not retain the caller's slice. A subscription replays from a
// sequence or a time and then follows the stream; a start beyond the end
// waits for the events to come. Filters select by source, type, subject and
// correlation, together or apart. Concurrent publishers lose nothing and
// keep their own order. Cancelling a subscription's context ends it with
// the context's cause; a cancelled context fails a publish that then
// publishes nothing. Closing twice is not an error; a closed transport
// refuses publishes and ends its subscriptions. Invalid events are refused
// with [events.ErrInvalid]. A slow subscriber blocks no publisher and, by
// default, loses nothing (see [SlowConsumerPolicy]). Events, and the
// deduplication of their ids, survive a server restart ([Harness.Restart]).
// A transport that is an [events.Reader] reads its whole stream back in
// order; one that is an [events.TailReader] also reports its last sequence
// and reads its stream from any sequence, a start beyond the end giving no
// events and the last sequence.
//
// # Snapshot stores
//
// [RunSnapshotStore] puts an [events.SnapshotStore] through the cases every
// implementation must pass: a snapshot reads back as it was put, a put
// replaces, a missing or deleted snapshot is [events.ErrNoSnapshot],
// listing selects by prefix in ascending byte order and leaves out deleted
// snapshots, names may hold '/' and '.', the store copies bytes in and out,
// the empty name is refused ([events.ErrSnapshotName]), and concurrent use
// is safe (run it with -race).
//
// The suite only uses event times that grow with the stream, so it does not
// decide how Since treats an event older than one before it.
//
// No case sleeps or depends on the machine's speed: every wait is bounded by
// [Harness.Timeout] and fails the test when it expires.
//
// # Helpers
//
// [Events] and [Generator] build valid events for a transport's own tests;
// [Collect] and [Drain] read a subscription with a bound on the wait.
package transporttest
