package natstransport_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// benchSnapshotSizes are the snapshot sizes of BenchmarkSnapshotGet and its
// baseline.
var benchSnapshotSizes = []int{1 << 20, 16 << 20}

// BenchmarkSnapshotGet measures Snapshots.GetSnapshot of one snapshot on an
// embedded server with file storage: the metadata, a direct get per
// 128 KiB chunk, the size and SHA-256 checks.
func BenchmarkSnapshotGet(b *testing.B) {
	for _, size := range benchSnapshotSizes {
		b.Run(fmt.Sprintf("size=%dMiB", size>>20), func(b *testing.B) {
			_, s, name := benchSnapshot(b, size)
			ctx := context.Background()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := s.GetSnapshot(ctx, name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSnapshotGetBaseline is the same read through the Object Store's
// own reader (ObjectStore.GetBytes: a push consumer on the chunks, the
// same SHA-256 check).
func BenchmarkSnapshotGetBaseline(b *testing.B) {
	for _, size := range benchSnapshotSizes {
		b.Run(fmt.Sprintf("size=%dMiB", size>>20), func(b *testing.B) {
			tr, s, name := benchSnapshot(b, size)
			ctx := context.Background()
			obs, err := tr.JetStream().ObjectStore(ctx, s.Bucket())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := obs.GetBytes(ctx, name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchSnapshot starts a server and puts a snapshot of size bytes into the
// default stream's bucket; it returns the writer, its store and the name.
func benchSnapshot(b *testing.B, size int) (*natstransport.Transport, *natstransport.Snapshots, string) {
	srv := natstest.StartServer(b)
	tr := open(b, srv.URL(), natstransport.Options{})
	s := snapshots(b, tr)
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*31 + i>>9)
	}
	const name = "bench/00000000000000000001-00"
	if err := s.PutSnapshot(context.Background(), name, data); err != nil {
		b.Fatal(err)
	}
	return tr, s, name
}
