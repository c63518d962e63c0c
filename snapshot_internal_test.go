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

// TestReopenRefusesAForgedSnapshot re-encodes a market's snapshot with
// each part a forger could change — its state, where its sections say they
// stand, its sequences, its configuration, an amount whose text would run
// to megabytes — every checksum and hash in the file made to match: the
// stream's snapshot_taken names the state and the sequences the market
// had, so Reopen refuses each and replays the whole stream.
func TestReopenRefusesAForgedSnapshot(t *testing.T) {
	for name, forge := range map[string]func(f *snapshotFile){
		"round":            func(f *snapshotFile) { f.Market.Round = 41 },
		"ledger sequence":  func(f *snapshotFile) { f.Ledger.LastSequence += 1000; f.Header.Positions.Ledger += 1000 },
		"sched sequence":   func(f *snapshotFile) { f.Sched.LastSequence += 1000 },
		"agent sequence":   func(f *snapshotFile) { f.Header.Positions.Agent += 5 },
		"configuration":    func(f *snapshotFile) { f.Header.Config = "scale 2" },
		"huge amount":      func(f *snapshotFile) { f.Market.Prices[0].Amount = apd.New(1, 99999) },
		"another ledger":   func(f *snapshotFile) { f.Ledger.Accounts = f.Ledger.Accounts[:1] },
		"ledger hash only": func(f *snapshotFile) { f.Ledger.StateHash = strings.Repeat("0", 64) },
	} {
		t.Run(name, func(t *testing.T) {
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
			if err := m.Open(ctx, "bob", apd.New(60, 0)); err != nil { // the tail a forger would hide
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
			forge(f)
			f.Header.StateHash = stateHash(f) // every hash redone
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
			if !report.FullReplay() || len(report.Rejected) != 1 || !errors.Is(report.Rejected[0].Err, ErrBadSnapshot) {
				t.Fatalf("reopened from %q, rejected %v", report.Snapshot.Name, report.Rejected)
			}
			if reopened.StateHash() != m.StateHash() {
				t.Fatalf("reopened state %s; the market's is %s", reopened.StateHash(), m.StateHash())
			}
			t.Logf("refused: %v", report.Rejected[0].Err)
		})
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
