package natstransport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
	"github.com/scarcitylabs/scarcity/transport/transporttest"
)

// snapshots returns tr's snapshot store or fails the test.
func snapshots(tb testing.TB, tr *natstransport.Transport) *natstransport.Snapshots {
	tb.Helper()
	s, err := tr.Snapshots(context.Background())
	if err != nil {
		tb.Fatalf("Snapshots: %v", err)
	}
	return s
}

// TestSnapshotStoreConformance runs the SnapshotStore suite against the
// Object Store bucket of a writer's stream on a real server.
func TestSnapshotStoreConformance(t *testing.T) {
	transporttest.RunSnapshotStore(t, transporttest.SnapshotHarness{
		New: func(t *testing.T) events.SnapshotStore {
			_, tr := startOpen(t)
			return snapshots(t, tr)
		},
		Timeout: waitTimeout,
	})
}

// TestSnapshotBucket checks the bucket a writer creates on first use: its
// name, the stream's storage and replicas, one store per Transport.
func TestSnapshotBucket(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	tr := open(t, srv.URL(), natstransport.Options{Prefix: "shard-a", Stream: "SHARD_A"})
	js := tr.JetStream()
	if _, err := js.ObjectStore(ctx, "SHARD_A_SNAPSHOTS"); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("bucket before first use: %v, want not found", err)
	}
	s := snapshots(t, tr)
	if s.Bucket() != "SHARD_A_SNAPSHOTS" || natstransport.SnapshotBucket("SHARD_A") != s.Bucket() {
		t.Errorf("Bucket = %q", s.Bucket())
	}
	if again := snapshots(t, tr); again != s {
		t.Error("a second Snapshots returned another store")
	}
	st, err := js.Stream(ctx, "OBJ_SHARD_A_SNAPSHOTS")
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if cfg.Storage != jetstream.FileStorage || cfg.Replicas != 1 || !cfg.AllowDirect || !cfg.AllowRollup {
		t.Errorf("bucket stream config %+v", cfg)
	}
	// Another writer of the same stream finds the bucket and shares it.
	other := open(t, srv.URL(), natstransport.Options{Prefix: "shard-a", Stream: "SHARD_A"})
	if err := s.PutSnapshot(ctx, "run/1", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if got, err := snapshots(t, other).GetSnapshot(ctx, "run/1"); err != nil || string(got) != "one" {
		t.Errorf("another writer's GetSnapshot = %q, %v", got, err)
	}
}

// TestSnapshotsReadOnly checks that a reader never creates the bucket,
// fails with ErrNoSnapshots while there is none, then reads the writer's
// snapshots and refuses to write or delete them.
func TestSnapshotsReadOnly(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	w := open(t, srv.URL(), natstransport.Options{Stream: "RO"})
	r := open(t, srv.URL(), natstransport.Options{Stream: "RO", ReadOnly: true})
	if _, err := r.Snapshots(ctx); !errors.Is(err, natstransport.ErrNoSnapshots) || !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("reader's Snapshots with no bucket = %v, want ErrNoSnapshots", err)
	}
	if _, err := w.JetStream().Stream(ctx, "OBJ_RO_SNAPSHOTS"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("the reader created the bucket: %v", err)
	}
	ws := snapshots(t, w)
	if err := ws.PutSnapshot(ctx, "run/00000000000000000007-ab", []byte("seven")); err != nil {
		t.Fatal(err)
	}
	before := streamConfig(t, srv.URL(), "OBJ_RO_SNAPSHOTS")
	rs := snapshots(t, r)
	if got, err := rs.GetSnapshot(ctx, "run/00000000000000000007-ab"); err != nil || string(got) != "seven" {
		t.Errorf("reader's GetSnapshot = %q, %v", got, err)
	}
	if names, err := rs.ListSnapshots(ctx, "run/"); err != nil || len(names) != 1 {
		t.Errorf("reader's ListSnapshots = %q, %v", names, err)
	}
	if err := rs.PutSnapshot(ctx, "run/x", []byte("x")); !errors.Is(err, natstransport.ErrReadOnly) {
		t.Errorf("reader's PutSnapshot = %v, want ErrReadOnly", err)
	}
	if err := rs.DeleteSnapshot(ctx, "run/00000000000000000007-ab"); !errors.Is(err, natstransport.ErrReadOnly) {
		t.Errorf("reader's DeleteSnapshot = %v, want ErrReadOnly", err)
	}
	if got, err := ws.GetSnapshot(ctx, "run/00000000000000000007-ab"); err != nil || string(got) != "seven" {
		t.Errorf("after the reader's attempts: %q, %v", got, err)
	}
	if after := streamConfig(t, srv.URL(), "OBJ_RO_SNAPSHOTS"); after != before {
		t.Errorf("the reader changed the bucket's configuration:\n%s\n%s", before, after)
	}
}

func TestSnapshotsErrors(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	odd := open(t, srv.URL(), natstransport.Options{Prefix: "odd", Stream: "ODD$NAME"})
	if _, err := odd.Snapshots(ctx); !errors.Is(err, natstransport.ErrInvalidOptions) {
		t.Errorf("Snapshots of stream ODD$NAME = %v, want ErrInvalidOptions", err)
	}
	tr := open(t, srv.URL(), natstransport.Options{Prefix: "closing", Stream: "CLOSING"})
	s := snapshots(t, tr)
	if err := s.PutSnapshot(ctx, "a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if _, err := tr.Snapshots(ctx); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Snapshots after Close = %v", err)
	}
	if err := s.PutSnapshot(ctx, "b", nil); !errors.Is(err, events.ErrClosed) {
		t.Errorf("PutSnapshot after Close = %v", err)
	}
	if _, err := s.GetSnapshot(ctx, "a"); !errors.Is(err, events.ErrClosed) {
		t.Errorf("GetSnapshot after Close = %v", err)
	}
	if _, err := s.ListSnapshots(ctx, ""); !errors.Is(err, events.ErrClosed) {
		t.Errorf("ListSnapshots after Close = %v", err)
	}
	if err := s.DeleteSnapshot(ctx, "a"); !errors.Is(err, events.ErrClosed) {
		t.Errorf("DeleteSnapshot after Close = %v", err)
	}
}

// TestSnapshotDeleteLeavesNothing checks that deleting snapshots removes
// their chunks and metadata: no delete marker stays behind to grow the
// bucket with every snapshot ever taken.
func TestSnapshotDeleteLeavesNothing(t *testing.T) {
	_, tr := startOpen(t)
	ctx := context.Background()
	s := snapshots(t, tr)
	names := []string{"r/1", "r/2", "r/3"}
	for _, n := range names {
		if err := s.PutSnapshot(ctx, n, bytes.Repeat([]byte(n), 100<<10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutSnapshot(ctx, "r/2", []byte("replaced")); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := s.DeleteSnapshot(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	st, err := tr.JetStream().Stream(ctx, "OBJ_"+s.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("the bucket holds %d messages after every snapshot was deleted", info.State.Msgs)
	}
}

// TestSnapshotCorrupt damages a stored snapshot by writing to its bucket's
// stream directly, as a faulty disk or a hostile writer would, and checks
// that GetSnapshot refuses it with ErrCorruptSnapshot, never returning
// wrong bytes nor ErrNoSnapshot.
func TestSnapshotCorrupt(t *testing.T) {
	const name = "run/00000000000000000042-beef"
	data := make([]byte, 300<<10) // three chunks of 128 KiB at most
	r := rand.New(rand.NewPCG(42, 42))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, d damage)
		digest bool // the digest check is what refuses it
	}{
		{"a chunk's bytes changed", func(t *testing.T, d damage) {
			chunks := d.chunks(t)
			chunks[1][5] ^= 0xff
			d.rewrite(t, chunks)
		}, true},
		{"chunks swapped", func(t *testing.T, d damage) {
			chunks := d.chunks(t)
			chunks[0], chunks[1] = chunks[1], chunks[0]
			d.rewrite(t, chunks)
		}, true},
		{"the last chunk truncated", func(t *testing.T, d damage) {
			chunks := d.chunks(t)
			chunks[2] = chunks[2][:len(chunks[2])-1]
			d.rewrite(t, chunks)
		}, false},
		{"a chunk's bytes changed, the size kept", func(t *testing.T, d damage) {
			chunks := d.chunks(t)
			chunks[0] = chunks[0][:len(chunks[0])-1]
			chunks[2] = append(chunks[2], 0)
			d.rewrite(t, chunks)
		}, true},
		{"a chunk lost", func(t *testing.T, d damage) {
			if err := d.stream.Purge(context.Background(), jetstream.WithPurgeSubject(d.chunkSubj), jetstream.WithPurgeKeep(2)); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"every chunk lost", func(t *testing.T, d damage) {
			if err := d.stream.Purge(context.Background(), jetstream.WithPurgeSubject(d.chunkSubj)); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"the recorded digest changed", func(t *testing.T, d damage) {
			info := d.info
			info.Digest = "SHA-256=" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
			d.rewriteMeta(t, info)
		}, true},
		{"the recorded size changed", func(t *testing.T, d damage) {
			info := d.info
			info.Size--
			d.rewriteMeta(t, info)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, tr := startOpen(t)
			ctx := context.Background()
			s := snapshots(t, tr)
			if err := s.PutSnapshot(ctx, name, data); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, newDamage(t, tr, s.Bucket(), name))
			ctx, cancel := context.WithTimeout(ctx, waitTimeout)
			defer cancel()
			got, err := s.GetSnapshot(ctx, name)
			switch {
			case err == nil:
				t.Fatalf("GetSnapshot of a corrupt snapshot returned %d bytes (equal: %t)", len(got), bytes.Equal(got, data))
			case errors.Is(err, events.ErrNoSnapshot):
				t.Fatalf("GetSnapshot = %v: a corrupt snapshot is not a missing one", err)
			case !errors.Is(err, natstransport.ErrCorruptSnapshot):
				t.Errorf("GetSnapshot = %v, want ErrCorruptSnapshot", err)
			case tt.digest && !errors.Is(err, jetstream.ErrDigestMismatch):
				t.Errorf("GetSnapshot = %v, want jetstream.ErrDigestMismatch", err)
			}
			if ctx.Err() != nil {
				t.Errorf("GetSnapshot waited until the deadline: %v", err)
			}
			// The store still works.
			if err := s.PutSnapshot(ctx, "other", []byte("fine")); err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetSnapshot(ctx, "other"); err != nil || string(got) != "fine" {
				t.Errorf("GetSnapshot of a sound snapshot = %q, %v", got, err)
			}
		})
	}
}

// damage gives a test raw access to a stored object: its metadata and the
// subject and messages of its chunks, in the bucket's own stream.
type damage struct {
	js        jetstream.JetStream
	stream    jetstream.Stream
	info      jetstream.ObjectInfo
	metaSubj  string
	chunkSubj string
}

func newDamage(t *testing.T, tr *natstransport.Transport, bucket, name string) damage {
	t.Helper()
	ctx := context.Background()
	js := tr.JetStream()
	obs, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := obs.GetInfo(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Chunks != 3 {
		t.Fatalf("the object has %d chunks, want 3", info.Chunks)
	}
	stream, err := js.Stream(ctx, "OBJ_"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := stream.GetLastMsgForSubject(ctx, "$O."+bucket+".M.>")
	if err != nil {
		t.Fatal(err)
	}
	return damage{js: js, stream: stream, info: *info, metaSubj: meta.Subject, chunkSubj: "$O." + bucket + ".C." + info.NUID}
}

// chunks returns the object's chunks, in order.
func (d damage) chunks(t *testing.T) [][]byte {
	t.Helper()
	ctx := context.Background()
	var out [][]byte
	info, err := d.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := d.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject == d.chunkSubj {
			out = append(out, m.Data)
		}
	}
	if len(out) != int(d.info.Chunks) {
		t.Fatalf("read %d chunks, want %d", len(out), d.info.Chunks)
	}
	return out
}

// rewrite replaces the object's chunks with chunks.
func (d damage) rewrite(t *testing.T, chunks [][]byte) {
	t.Helper()
	ctx := context.Background()
	if err := d.stream.Purge(ctx, jetstream.WithPurgeSubject(d.chunkSubj)); err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if _, err := d.js.Publish(ctx, d.chunkSubj, c); err != nil {
			t.Fatal(err)
		}
	}
}

// rewriteMeta replaces the object's metadata with info.
func (d damage) rewriteMeta(t *testing.T, info jetstream.ObjectInfo) {
	t.Helper()
	info.ModTime = time.Time{}
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(d.metaSubj)
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Data = b
	if _, err := d.js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}
