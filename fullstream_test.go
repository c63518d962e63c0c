package scarcity_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// TestFullStreamIsARefusal fills a JetStream stream that has a byte limit
// with one agent's emits: the next command fails with events.ErrFull,
// nothing is fenced, reads go on, and once the operator makes room the
// market goes on by itself, its stream still restorable.
func TestFullStreamIsARefusal(t *testing.T) {
	ctx := context.Background()
	srv := natstest.StartServer(t)
	tr, err := natstransport.Open(ctx, natstransport.Options{URL: srv.URL(), MaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := scarcity.Config{Resources: testResources, Clock: clk, Publisher: tr, Correlation: "full",
		Reserve: map[string]string{"cpu": "0.001", "memory": "0.00001", "tokens": "0.00001"}}
	m, err := scarcity.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{cfg: cfg, m: m, clk: clk, ctx: ctx}
	f.open(t, "mallory", 100)
	f.open(t, "bob", 100)
	trace := events.ReasoningTrace{Content: strings.Repeat("x", 8<<10)}
	for i := 0; ; i++ {
		err := m.Emit(ctx, "mallory", trace)
		if err == nil {
			continue
		}
		if !errors.Is(err, events.ErrFull) || errors.Is(err, events.ErrInDoubt) {
			t.Fatalf("emit %d into a full stream: %v, want events.ErrFull and not in doubt", i, err)
		}
		break
	}
	// The refused emit changed nothing; the market rebuilds itself from
	// its stream and goes on: reads, and what still fits.
	if err := m.Emit(ctx, "mallory", trace); !errors.Is(err, events.ErrFull) || errors.Is(err, events.ErrFenced) {
		t.Fatalf("the same emit again: %v, want events.ErrFull alone", err)
	}
	_ = m.Prices()
	if err := m.Bid(ctx, cpuBid("b1", "bob", 10, "30")); err != nil && !errors.Is(err, events.ErrFull) {
		t.Fatalf("bob's bid on a full stream: %v", err)
	}
	// The operator makes room; the market goes on without a restore.
	info, err := tr.JetStream().Stream(ctx, natstransport.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	conf := info.CachedInfo().Config
	conf.MaxBytes = 1 << 20
	if _, err := tr.JetStream().UpdateStream(ctx, conf); err != nil {
		t.Fatal(err)
	}
	if err := m.Emit(ctx, "mallory", trace); err != nil {
		t.Fatalf("mallory's emit once room is made: %v", err)
	}
	if err := m.Bid(ctx, cpuBid("b2", "bob", 10, "30")); err != nil {
		t.Fatalf("bob's bid once room is made: %v", err)
	}
	f.tick(t, time.Minute)
	evs, err := tr.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	benchkit.AssertInvariants(t, evs)
	if _, err := scarcity.Restore(ctx, cfg, evs); err != nil {
		t.Fatalf("Restore: %v", err)
	}
}
