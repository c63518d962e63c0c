package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// streamConfigJSON returns the configuration of the stream name on js as
// JSON, to compare byte for byte.
func streamConfigJSON(t *testing.T, js jetstream.JetStream, name string) string {
	t.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatalf("Stream %s: %v", name, err)
	}
	b, err := json.Marshal(s.CachedInfo().Config)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestVerifyLiveNATSStream runs verify against the stream of a market with
// prefix "shard-a" while the market keeps publishing to it: verify reads it
// (with no --prefix or the right one) or fails clearly (a wrong --prefix, an
// unknown stream), and never changes the stream, so every publish of the
// market succeeds. Verify used to update the stream's subjects to the
// default prefix, and the market was fenced.
func TestVerifyLiveNATSStream(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	market, err := natstransport.Open(ctx, natstransport.Options{URL: srv.URL(), Prefix: "shard-a", Stream: "S"})
	if err != nil {
		t.Fatal(err)
	}
	defer market.Close()
	js := market.JetStream()
	before := streamConfigJSON(t, js, "S")

	// The market publishes batches, one after another, until stopped.
	seq := events.NewSequencer(events.SourceScheduler, "market", 0)
	var mu sync.Mutex
	acked := 0
	publishBatch := func(i int) error {
		b := seq.Batch(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second))
		agent := fmt.Sprintf("agent-%d", i%3)
		b.Add(agent, events.AgentAwake{AgentID: agent})
		b.Add(agent, events.AgentDormant{AgentID: agent})
		if err := b.Publish(ctx, market); err != nil {
			return fmt.Errorf("batch %d: %w", i, err)
		}
		mu.Lock()
		acked += b.Len()
		mu.Unlock()
		return nil
	}
	if err := publishBatch(0); err != nil {
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := publishBatch(i); err != nil {
				done <- err
				return
			}
		}
	}()
	stopped := false
	stopMarket := func() error {
		if stopped {
			return nil
		}
		stopped = true
		close(stop)
		return <-done
	}
	defer stopMarket()

	tests := []struct {
		name   string
		stream string
		prefix string
		code   int
		text   string
	}{
		{"no prefix", "S", "", 0, "pass           invariant"},
		{"right prefix", "S", "shard-a", 0, "pass           invariant"},
		{"default prefix", "S", "scarcity", 2, "prefix does not match the stream"},
		{"other prefix", "S", "shard-b", 2, "prefix does not match the stream"},
		{"unknown stream", "NOPE", "", 2, "no such stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			ackedBefore := acked
			mu.Unlock()
			text, code := verify(t, options{NATS: srv.URL(), Stream: tt.stream, Prefix: tt.prefix})
			if code != tt.code || !strings.Contains(text, tt.text) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tt.code, tt.text, text)
			}
			if code != 0 {
				return
			}
			var n int
			if _, err := fmt.Sscanf(text, "%d events", &n); err != nil || n < ackedBefore {
				t.Errorf("verify read %d events (%v), %d were acknowledged before:\n%s", n, err, ackedBefore, text)
			}
		})
	}

	if err := stopMarket(); err != nil {
		t.Fatalf("the market's publish failed: %v", err)
	}
	if diff := cmp.Diff(before, streamConfigJSON(t, js, "S")); diff != "" {
		t.Errorf("stream config changed (-before +after):\n%s", diff)
	}
	if _, err := js.Stream(ctx, "NOPE"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("stream NOPE after verify: %v, want not found", err)
	}

}
