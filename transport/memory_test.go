package transport_test

import (
	"testing"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/transporttest"
)

// TestMemory runs the conformance suite against the in-memory log. It has no
// server to restart, so the restart test is skipped.
func TestMemory(t *testing.T) {
	transporttest.Run(t, transporttest.Harness{
		New: func(t *testing.T) transporttest.Transport {
			l := events.NewLog(events.LogOptions{})
			t.Cleanup(func() { _ = l.Close() })
			return l
		},
		AtomicBatch: true,
		ErrClosed:   events.ErrClosed,
	})
}

// TestMemorySnapshots runs the snapshot store suite against the in-memory
// store.
func TestMemorySnapshots(t *testing.T) {
	transporttest.RunSnapshotStore(t, transporttest.SnapshotHarness{
		New: func(t *testing.T) events.SnapshotStore { return events.NewMemorySnapshots() },
	})
}
