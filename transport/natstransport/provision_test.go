package natstransport_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// An operator provisions the stream; a writer opened with Provisioned
// publishes to it without changing its configuration, and refuses a stream
// that is missing or not the one Provision makes.
func TestProvisioned(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	opts := natstransport.Options{URL: srv.URL(), Prefix: "shard-a", Stream: "S", MaxBytes: 1 << 20}

	// Nothing provisioned yet: the writer fails and creates nothing.
	po := opts
	po.Provisioned = true
	if tr, err := natstransport.Open(ctx, po); !errors.Is(err, natstransport.ErrNoStream) {
		if tr != nil {
			tr.Close()
		}
		t.Fatalf("Open Provisioned before Provision: %v, want ErrNoStream", err)
	}
	if err := natstransport.Provision(ctx, opts); err != nil {
		t.Fatal(err)
	}
	before := streamConfig(t, srv.URL(), "S")

	// Stream settings of a provisioned writer are ignored.
	po.MaxBytes, po.Replicas = 7, 1
	w := open(t, srv.URL(), po)
	evs := agentEvents(3, events.SourceLedger, "p", t0)
	publish(t, w, evs...)
	got, err := w.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diffEvents(t, evs, got)
	if diff := cmp.Diff(before, streamConfig(t, srv.URL(), "S")); diff != "" {
		t.Errorf("stream config changed (-before +after):\n%s", diff)
	}

	// Provisioning again is an update to the same configuration.
	if err := natstransport.Provision(ctx, opts); err != nil {
		t.Fatalf("Provision again: %v", err)
	}

	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "LAX", Subjects: natstransport.StreamSubjects("shard-b")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		prefix string
		stream string
		want   error
	}{
		{"other prefix", "shard-b", "S", natstransport.ErrSubjectsMismatch},
		{"not as provisioned", "shard-b", "LAX", natstransport.ErrStream},
		{"missing", "shard-a", "NOPE", natstransport.ErrNoStream},
	}
	for _, tt := range tests {
		o := natstransport.Options{URL: srv.URL(), Prefix: tt.prefix, Stream: tt.stream, Provisioned: true}
		if tr, err := natstransport.Open(ctx, o); !errors.Is(err, tt.want) {
			if tr != nil {
				tr.Close()
			}
			t.Errorf("%s: Open: %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := js.Stream(ctx, "NOPE"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("a Provisioned Open created a stream: %v", err)
	}

	for name, o := range map[string]natstransport.Options{
		"provision read-only":   {URL: srv.URL(), ReadOnly: true},
		"provision provisioned": {URL: srv.URL(), Provisioned: true},
	} {
		if err := natstransport.Provision(ctx, o); !errors.Is(err, natstransport.ErrConflictingOptions) {
			t.Errorf("%s: %v, want ErrConflictingOptions", name, err)
		}
	}
	if _, err := natstransport.Open(ctx, natstransport.Options{URL: srv.URL(), ReadOnly: true, Provisioned: true}); !errors.Is(err, natstransport.ErrConflictingOptions) {
		t.Errorf("ReadOnly and Provisioned: %v, want ErrConflictingOptions", err)
	}
}

// An event of a source the stream has no subject for is refused before
// anything is published.
func TestPublishUnknownSource(t *testing.T) {
	_, tr := startOpen(t)
	evs := agentEvents(2, events.SourceAgent, "r", t0)
	evs[1].Source = "cmd"
	if err := tr.Publish(context.Background(), evs...); !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("Publish: %v, want ErrInvalid", err)
	}
	if n := streamMsgs(t, tr); n != 0 {
		t.Fatalf("stream holds %d events, want 0", n)
	}
}
