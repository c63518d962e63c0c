package main

import (
	"context"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// stream is where the market's events go, and where they are read back
// from for the verdict.
type stream interface {
	events.Publisher
	events.TailReader
	Events(ctx context.Context) ([]events.Event, error)
	// Snapshots returns the store the market keeps its snapshots in.
	Snapshots(ctx context.Context) (events.SnapshotStore, error)
	Close() error
}

// openStream opens the transport named by the -transport flag: "memory",
// "embedded" (a NATS JetStream server in this process, storing into data,
// or into a temporary directory removed when the stream is closed) or the
// URL of a NATS server.
func openStream(ctx context.Context, transport, data string) (stream, error) {
	if transport == "memory" {
		return memoryStream{events.NewLog(events.LogOptions{}), events.NewMemorySnapshots()}, nil
	}
	opts := natstransport.Options{Stream: "SPOTMARKET", Prefix: "spotmarket", DataDir: data}
	open := natsembed.Open // a server in this process, owned by the Transport
	if transport != "embedded" {
		opts.URL, open = transport, natstransport.Open
	}
	tr, err := open(ctx, opts)
	if err != nil {
		return nil, err
	}
	return natsStream{tr}, nil
}

// memoryStream is an in-memory log, its snapshots in memory too.
type memoryStream struct {
	*events.Log
	snapshots *events.MemorySnapshots
}

func (s memoryStream) Events(context.Context) ([]events.Event, error) { return s.Log.Events(0), nil }

func (s memoryStream) Snapshots(context.Context) (events.SnapshotStore, error) {
	return s.snapshots, nil
}

// natsStream is a JetStream stream.
type natsStream struct{ *natstransport.Transport }

func (s natsStream) Events(ctx context.Context) ([]events.Event, error) { return s.ReadAll(ctx) }

// Snapshots returns the Object Store bucket beside the stream.
func (s natsStream) Snapshots(ctx context.Context) (events.SnapshotStore, error) {
	return s.Transport.Snapshots(ctx)
}
