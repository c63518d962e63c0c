package scarcity_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// TestCrashOverNATS runs a market over an embedded JetStream server, kills
// it mid-run (and, in one variant, restarts the server too), starts a new
// market on the same stream and checks that it shows what was acknowledged
// before the kill, that republished events are deduplicated, and that
// benchkit's checks pass over the whole stream once the new market has
// run on. The market keeps snapshots in the stream's Object Store: the new
// market is both replayed from the whole stream and reopened from its
// snapshot and the events after it, and the two must be the one killed.
func TestCrashOverNATS(t *testing.T) {
	for _, restartServer := range []bool{false, true} {
		t.Run(fmt.Sprintf("server restarted=%t", restartServer), func(t *testing.T) {
			ctx := context.Background()
			srv := natstest.StartServer(t)
			tr := openNATS(t, srv.URL())
			clk := clock.NewMock()
			clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			cfg := scarcity.Config{Resources: testResources, Clock: clk, Publisher: tr, Correlation: "crash",
				Reserve:    map[string]string{"cpu": "0.001", "memory": "0.00001", "tokens": "0.00001"},
				SigningKey: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), Snapshots: snapshotsOf(t, tr), SnapshotEvery: -1}
			m, err := scarcity.New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			live := &fixture{cfg: cfg, m: m, clk: clk, ctx: ctx}
			runMarket(t, live, 0, 3)
			snap, err := m.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			runMarket(t, live, 3, 3)
			// Orders still open at the kill, and a bundle released early.
			for i, a := range agentPool[:3] {
				if err := m.Bid(ctx, cpuBid(fmt.Sprintf("open-%d", i), a, 5, "20")); err != nil && !errors.Is(err, scarcity.ErrBidRejected) {
					t.Fatal(err)
				}
			}
			before := live.capture(agentPool, allOrders(6))
			if len(before.Orders) == 0 || len(before.Bundles) == 0 || before.Round == 0 {
				t.Fatalf("the run left nothing to restore: %d orders, %d bundles, round %d",
					len(before.Orders), len(before.Bundles), before.Round)
			}

			// The kill: the market is gone without a word; its stream stays.
			_ = tr.Close()
			if restartServer {
				srv.Restart(t)
			}
			tr = openNATS(t, srv.URL())
			stream, err := tr.ReadAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Publisher, cfg.Snapshots = tr, snapshotsOf(t, tr)
			restored, err := scarcity.Restore(ctx, cfg, stream)
			if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			after := &fixture{cfg: cfg, m: restored, clk: clk, ctx: ctx}
			if diff := cmp.Diff(before, after.capture(agentPool, allOrders(6)), cmp.Comparer(decEqual)); diff != "" {
				t.Fatalf("the restored market differs from the one killed (-killed +restored):\n%s", diff)
			}
			reopened, report, err := scarcity.Reopen(ctx, cfg)
			if err != nil || report.Snapshot.Name != snap.Name || report.Events >= len(stream) {
				t.Fatalf("Reopen: %v; from %q (want %q) and %d events of %d", err, report.Snapshot.Name, snap.Name, report.Events, len(stream))
			}
			if restartServer { // the market goes on from its snapshot
				after.m = reopened
			}
			if diff := cmp.Diff(before, after.capture(agentPool, allOrders(6)), cmp.Comparer(decEqual)); diff != "" {
				t.Fatalf("the market reopened from its snapshot differs from the one killed (-killed +reopened):\n%s", diff)
			}

			// A publisher that retries its last batch adds nothing.
			stream, err = tr.ReadAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Publish(ctx, stream[len(stream)-10:]...); err != nil {
				t.Fatal(err)
			}
			if again, err := tr.ReadAll(ctx); err != nil || len(again) != len(stream) {
				t.Fatalf("republishing changed the stream from %d to %d events (%v)", len(stream), len(again), err)
			}

			runMarket(t, after, 6, 4) // the market goes on
			all, err := tr.ReadAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := benchkit.Check(all); err != nil {
				t.Errorf("benchkit over the whole stream: %v", err)
			}
		})
	}
}

// openNATS opens a transport on the server at url, closed with the test.
func openNATS(t *testing.T, url string) *natstransport.Transport {
	t.Helper()
	tr, err := natstransport.Open(context.Background(), natstransport.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// snapshotsOf returns the snapshot store beside tr's stream.
func snapshotsOf(t *testing.T, tr *natstransport.Transport) events.SnapshotStore {
	t.Helper()
	store, err := tr.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// runMarket runs rounds [from, from+n) of a small market: agents open,
// bid, use tokens, release a bundle now and then, and the clock ticks.
func runMarket(t *testing.T, f *fixture, from, n int) {
	t.Helper()
	for round := from; round < from+n; round++ {
		for i, a := range agentPool {
			if round == 0 {
				f.open(t, a, 200)
			}
			b := scarcity.Bid{ID: orderID(a, round), Agent: a, Limit: apd.New(int64(5+i*3+round%4), 0),
				Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": int64(10 + 7*i), "tokens": 2000},
					Window: bundle.Window{Duration: time.Duration(90+30*i) * time.Second}}}
			if err := f.m.Bid(f.ctx, b); err != nil && !errors.Is(err, scarcity.ErrBidRejected) {
				t.Fatalf("Bid: %v", err)
			}
			if err := f.m.Use(f.ctx, a, "tokens", 700); err != nil && !errors.Is(err, sched.ErrServiceDenied) {
				t.Fatalf("Use: %v", err)
			}
		}
		if round%3 == 2 {
			for _, id := range f.m.Scheduler().Active(agentPool[round%len(agentPool)]) {
				if _, _, err := f.m.Release(f.ctx, agentPool[round%len(agentPool)], id); err != nil && !errors.Is(err, sched.ErrAftermath) {
					t.Fatalf("Release: %v", err)
				}
			}
		}
		f.tick(t, time.Minute)
	}
}

func orderID(agent string, round int) string { return fmt.Sprintf("%s-r%d", agent, round) }

// allOrders returns the ids of the orders runMarket places in rounds
// [0, n), and the open ones of TestCrashOverNATS.
func allOrders(n int) []string {
	var out []string
	for round := range n {
		for _, a := range agentPool {
			out = append(out, orderID(a, round))
		}
	}
	return append(out, "open-0", "open-1", "open-2")
}
