package natsembed_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

func TestStartShutdown(t *testing.T) {
	srv, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	dir := srv.DataDir()
	srv.Shutdown()
	srv.Shutdown() // twice is not an error
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temporary store %s after Shutdown: %v, want removed", dir, err)
	}
}

func TestStartKeepsDataDir(t *testing.T) {
	dir := t.TempDir()
	srv, err := natsembed.Start(natsembed.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("DataDir after Shutdown: %v, want kept", err)
	}
}

func TestStartOptions(t *testing.T) {
	for _, o := range []natsembed.Options{{Port: -1}, {Port: 65536}, {MaxStore: -1}, {ReadyTimeout: -time.Second}} {
		if srv, err := natsembed.Start(o); !errors.Is(err, natstransport.ErrInvalidOptions) {
			if srv != nil {
				srv.Shutdown()
			}
			t.Errorf("Start(%+v): %v, want ErrInvalidOptions", o, err)
		}
	}
}

// TestOpenOwnsServer checks that the Transport shuts down the server Open
// started for it, and removes its temporary store.
func TestOpenOwnsServer(t *testing.T) {
	ctx := context.Background()
	tr, err := natsembed.Open(ctx, natstransport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	url := tr.ClientURL()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if nc, err := nats.Connect(url, nats.Timeout(time.Second)); err == nil {
		nc.Close()
		t.Fatalf("server at %s still accepts connections after Close", url)
	}
}

// TestOpenDataDir checks that events stored with DataDir outlive the
// Transport and its server.
func TestOpenDataDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := natstransport.Options{DataDir: dir, Stream: "KEEP", Prefix: "keep"}
	tr, err := natsembed.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	b := events.NewSequencer(events.SourceScheduler, "run", 0).Batch(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b.Add("a", events.AgentAwake{AgentID: "a"})
	if err := b.Publish(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := natsembed.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	evs, err := again.ReadAll(ctx)
	if err != nil || len(evs) != 1 {
		t.Fatalf("ReadAll after reopening: %d events, %v; want 1", len(evs), err)
	}
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "never")
	tests := []struct {
		name string
		opts natstransport.Options
		want error
	}{
		{"url", natstransport.Options{URL: "nats://127.0.0.1:1"}, natstransport.ErrConflictingOptions},
		{"conn", natstransport.Options{Conn: &nats.Conn{}}, natstransport.ErrConflictingOptions},
		// Checked before a server starts: DataDir is never created.
		{"invalid prefix", natstransport.Options{DataDir: dir, Prefix: "a.*"}, natstransport.ErrInvalidOptions},
		{"negative timeout", natstransport.Options{DataDir: dir, Timeout: -time.Second}, natstransport.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := natsembed.Open(ctx, tt.opts)
			if !errors.Is(err, tt.want) {
				if tr != nil {
					tr.Close()
				}
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("DataDir %s: %v, want never created", dir, err)
			}
		})
	}
}
