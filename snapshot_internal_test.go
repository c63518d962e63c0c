package scarcity

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// TestReopenRefusesAForgedSnapshot re-encodes a market's snapshot with a
// state of its own, every checksum and hash in the file made to match: the
// stream's snapshot_taken names the state the market had, so Reopen
// refuses it and replays the whole stream.
func TestReopenRefusesAForgedSnapshot(t *testing.T) {
	ctx := context.Background()
	store := events.NewMemorySnapshots()
	cfg := Config{Resources: []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100}},
		Clock: clock.NewMock(), Publisher: events.NewLog(events.LogOptions{}), Correlation: "forged",
		Snapshots: store, SnapshotEvery: -1, SigningKey: newKey()}
	m, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx, "alice", apd.New(100, 0)); err != nil {
		t.Fatal(err)
	}
	info, err := m.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, err := store.GetSnapshot(ctx, info.Name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := decodeSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	f.Market.Round = 41 // the forger's change, every hash redone
	f.Header.StateHash = stateHash(f)
	_, forged, err := encodeSnapshot(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutSnapshot(ctx, info.Name, forged); err != nil {
		t.Fatal(err)
	}
	reopened, report, err := Reopen(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !report.FullReplay() || len(report.Rejected) != 1 || !errors.Is(report.Rejected[0].Err, ErrBadSnapshot) ||
		!strings.Contains(report.Rejected[0].Err.Error(), "names state") {
		t.Fatalf("reopened from %q, rejected %v", report.Snapshot.Name, report.Rejected)
	}
	if reopened.Round() != 0 || reopened.StateHash() != m.StateHash() {
		t.Fatalf("reopened at round %d, state %s; the market's is %s", reopened.Round(), reopened.StateHash(), m.StateHash())
	}
}

// FuzzDecodeSnapshot feeds decodeSnapshot bytes a snapshot store could
// hand back — a store is less trusted than the stream — starting from a
// real snapshot's body, sealed with a valid checksum: it must never panic,
// and whatever it decodes must encode back to a snapshot that decodes to
// the same header.
func FuzzDecodeSnapshot(f *testing.F) {
	ctx := context.Background()
	store := events.NewMemorySnapshots()
	cfg := Config{Resources: []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100}},
		Clock: clock.NewMock(), Publisher: events.NewLog(events.LogOptions{}), Correlation: "fuzz",
		Snapshots: store, SnapshotEvery: -1, SigningKey: newKey()}
	m, err := New(ctx, cfg)
	if err != nil {
		f.Fatal(err)
	}
	if err := m.Open(ctx, "alice", apd.New(100, 0)); err != nil {
		f.Fatal(err)
	}
	info, err := m.Snapshot(ctx)
	if err != nil {
		f.Fatal(err)
	}
	data, err := store.GetSnapshot(ctx, info.Name)
	if err != nil {
		f.Fatal(err)
	}
	body := data[len(snapshotMagic)+2 : len(data)-sha256.Size]
	f.Add(body)
	f.Add(body[:len(body)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		// The body sealed as the store would hand it back, so that the
		// fuzzer reaches the decoder rather than the checksum.
		data := append(binary.BigEndian.AppendUint16([]byte(snapshotMagic), snapshotVersion), body...)
		sum := sha256.Sum256(data)
		s, err := decodeSnapshot(append(data, sum[:]...))
		if err != nil {
			return
		}
		_, again, err := encodeSnapshot(s)
		if err != nil {
			t.Fatalf("a decoded snapshot does not encode: %v", err)
		}
		s2, err := decodeSnapshot(again)
		if err != nil || s2.Header.StateHash != s.Header.StateHash || s2.Header.From != s.Header.From {
			t.Fatalf("re-encoded snapshot: %v", err)
		}
	})
}
