package natsauth_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natsauth"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// TestMarketSnapshots checks the snapshot bucket under the generated
// permissions: the market's runtime user creates it on first use and puts,
// gets, lists, replaces and deletes snapshots, but may not update or delete
// the bucket nor make another; an agent with its own valid credentials can
// neither read nor write it (a snapshot holds every agent's state).
func TestMarketSnapshots(t *testing.T) {
	d := deploy(t, "alice", "mallory")
	ctx := context.Background()
	bucket := natstransport.SnapshotBucket(stream)
	objStream := "OBJ_" + bucket

	s, err := d.stream.Snapshots(ctx) // the market's Provisioned transport
	if err != nil {
		t.Fatalf("the market opens its snapshot bucket: %v", err)
	}
	big := bytes.Repeat([]byte("every agent's state "), 20<<10) // several chunks
	names := []string{"scenario/00000000000000000007", "scenario/00000000000000000042"}
	for _, n := range names {
		if err := s.PutSnapshot(ctx, n, big); err != nil {
			t.Fatalf("the market's PutSnapshot(%q): %v", n, err)
		}
	}
	if err := s.PutSnapshot(ctx, names[1], []byte("replaced")); err != nil {
		t.Fatalf("the market replaces a snapshot: %v", err)
	}
	if got, err := s.GetSnapshot(ctx, names[0]); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("the market's GetSnapshot = %d bytes, %v", len(got), err)
	}
	if got, err := s.ListSnapshots(ctx, "scenario/"); err != nil || len(got) != 2 || got[0] != names[0] {
		t.Fatalf("the market's ListSnapshots = %q, %v", got, err)
	}
	if err := s.DeleteSnapshot(ctx, names[0]); err != nil {
		t.Fatalf("the market's DeleteSnapshot: %v", err)
	}
	if _, err := s.GetSnapshot(ctx, names[0]); !errors.Is(err, events.ErrNoSnapshot) {
		t.Fatalf("GetSnapshot of a deleted snapshot = %v", err)
	}

	t.Run("an agent cannot touch the bucket", func(t *testing.T) {
		nc, errs, _ := d.client("mallory")
		refusedSubscribe(t, nc, "$O."+bucket+".>")
		refusedSubscribe(t, nc, "$O."+bucket+".C.>")
		for _, api := range []string{"STREAM.INFO." + objStream, "DIRECT.GET." + objStream, "DIRECT.GET." + objStream + ".$O." + bucket + ".M.>",
			"STREAM.MSG.GET." + objStream, "CONSUMER.CREATE." + objStream, "STREAM.PURGE." + objStream, "STREAM.DELETE." + objStream} {
			subj := "$JS.API." + api
			if _, err := nc.Request(subj, []byte(`{"seq":1}`), 500*time.Millisecond); err == nil {
				t.Errorf("mallory's request on %s answered", subj)
			}
			violation(t, errs, subj)
		}
		subj := "$O." + bucket + ".C.forged"
		if err := nc.Publish(subj, []byte("forged chunk")); err != nil {
			t.Fatal(err)
		}
		violation(t, errs, subj)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if obs, err := js.ObjectStore(short, bucket); err == nil {
			if _, err := obs.GetBytes(short, names[1]); err == nil {
				t.Error("mallory read a snapshot")
			}
		}
	})

	t.Run("the market cannot manage buckets", func(t *testing.T) {
		mopts, err := natsauth.MarketOptions(prefix, d.files.Markets[prefix])
		if err != nil {
			t.Fatal(err)
		}
		merrs := make(chan error, 16)
		mc := d.connect(append(mopts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case merrs <- err:
			default:
			}
		}))...)
		for _, api := range []string{"STREAM.DELETE." + objStream, "STREAM.UPDATE." + objStream, "STREAM.CREATE.OBJ_OTHER_SNAPSHOTS"} {
			subj := "$JS.API." + api
			if _, err := mc.Request(subj, []byte(`{"name":"`+objStream+`"}`), 500*time.Millisecond); err == nil {
				t.Errorf("market's request on %s answered", subj)
			}
			violation(t, merrs, subj)
		}
	})

	// The snapshot the agent went after is intact.
	if got, err := s.GetSnapshot(ctx, names[1]); err != nil || string(got) != "replaced" {
		t.Errorf("after the attempts: GetSnapshot = %q, %v", got, err)
	}
	if got, err := s.ListSnapshots(ctx, ""); err != nil || len(got) != 1 || got[0] != names[1] {
		t.Errorf("after the attempts: ListSnapshots = %q, %v", got, err)
	}
}
