package scarcity_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// The functions below are the README's snippets, verbatim: readme_test.go
// fails if a snippet of the README is not found in a test file, and the
// examples run them.

func useIt(ctx context.Context) error {
	clk := clock.NewMock()                       // or clock.New() for real time
	stream := events.NewLog(events.LogOptions{}) // or natsembed.Open(ctx, natstransport.Options{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources: []bundle.Resource{
			{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
			{Name: "tokens", Unit: "tokens", Capacity: 100_000, Enforcement: bundle.ServiceLevel},
		},
		Reserve:    map[string]string{"cpu": "0.001", "tokens": "0.00001"}, // credits per unit per second
		ClearEvery: time.Minute,
		Clock:      clk,
		Publisher:  stream,
	})
	if err != nil {
		return err
	}
	if err := m.Open(ctx, "alice", apd.New(100, 0)); err != nil { // 100 credits, minted
		return err
	}

	// 10 % of the CPU and 5,000 tokens for 10 minutes, for at most 40
	// credits: 36 at the reserve prices (10 × 0.001 × 600 s + 5,000 ×
	// 0.00001 × 600 s).
	err = m.Bid(ctx, scarcity.Bid{
		ID: "alice-1", Agent: "alice", Limit: apd.New(40, 0),
		Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": 10, "tokens": 5000},
			Window:     bundle.Window{Duration: 10 * time.Minute},
		},
	})
	if err != nil {
		return err // a *scarcity.RejectedError says why, e.g. insufficient_balance
	}

	clk.Add(time.Minute)
	if err := m.Tick(ctx); err != nil { // clears the round: alice's bundle is active,
		return err // its price held by a lease until it ends
	}
	active := m.Scheduler().Active("alice") // [bundle/alice-1/1]
	if err := m.Use(ctx, "alice", "tokens", 1200); err != nil {
		return err // sched.ErrServiceDenied beyond the bundle
	}
	clk.Add(4 * time.Minute)
	unused, total, err := m.Release(ctx, "alice", active[0]) // pays for the time used, refunds the rest
	if err != nil {
		return err
	}
	balance, err := m.Balance(ctx, "alice")
	if err != nil {
		return err
	}
	fmt.Printf("%s released with %d of %d s unused; alice has %s credits\n", active[0], unused, total, balance.Available)
	return benchkit.Check(stream.Events(0)) // credits conserved, every allocation paid
}

// The README's "Use it": a bid, a round, usage, an early release.
func Example_useIt() {
	if err := useIt(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// bundle/alice-1/1 released with 360 of 600 s unused; alice has 85.6 credits
}

func rebuild(ctx context.Context, cfg scarcity.Config, url string) (*scarcity.Market, error) {
	tr, err := natstransport.Open(ctx, natstransport.Options{URL: url})
	if err != nil {
		return nil, err
	}
	evs, err := tr.ReadAll(ctx)
	if err != nil {
		return nil, err
	}
	cfg.Publisher = tr
	return scarcity.Restore(ctx, cfg, evs) // the market as its stream left it
}

// The README's "Rebuild after a crash": a market over an embedded JetStream
// server is dropped, and rebuilt from its stream.
func Example_rebuild() {
	ctx := context.Background()
	srv, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	tr, err := natstransport.Open(ctx, natstransport.Options{URL: srv.ClientURL()})
	if err != nil {
		panic(err)
	}
	clk := clock.NewMock()
	cfg := scarcity.Config{
		Resources: []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		Clock:     clk, Publisher: tr,
	}
	m, err := scarcity.New(ctx, cfg)
	if err != nil {
		panic(err)
	}
	if err := m.Open(ctx, "alice", apd.New(100, 0)); err != nil {
		panic(err)
	}
	err = m.Bid(ctx, scarcity.Bid{ID: "a1", Agent: "alice", Limit: apd.New(30, 0),
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 10}, Window: bundle.Window{Duration: 10 * time.Minute}}})
	if err != nil {
		panic(err)
	}
	tr.Close() // the market is gone; its stream stays

	restored, err := rebuild(ctx, cfg, srv.ClientURL())
	if err != nil {
		panic(err)
	}
	b, err := restored.Ledger().Balance("alice")
	if err != nil {
		panic(err)
	}
	fmt.Println("orders:", len(restored.Orders()), "alice holds", b.Pending)
	// Output:
	// orders: 1 alice holds 30
}

func reopen(ctx context.Context, cfg scarcity.Config, url string) (*scarcity.Market, error) {
	tr, err := natstransport.Open(ctx, natstransport.Options{URL: url})
	if err != nil {
		return nil, err
	}
	if cfg.Snapshots, err = tr.Snapshots(ctx); err != nil {
		return nil, err
	}
	cfg.Publisher = tr
	m, report, err := scarcity.Reopen(ctx, cfg) // its newest snapshot, and the events after it
	if err != nil {
		return nil, err
	}
	fmt.Printf("restored from %s and %d events\n", report.Snapshot.Name, report.Events)
	return m, nil
}

// The README's "Restart from a snapshot": a market over an embedded
// JetStream server keeps snapshots in the stream's Object Store; it is
// dropped, and reopened from its snapshot and the events after it.
func Example_reopen() {
	ctx := context.Background()
	srv, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	tr, err := natstransport.Open(ctx, natstransport.Options{URL: srv.ClientURL()})
	if err != nil {
		panic(err)
	}
	snapshots, err := tr.Snapshots(ctx)
	if err != nil {
		panic(err)
	}
	cfg := scarcity.Config{
		Resources:   []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		Clock:       clock.NewMock(),
		Correlation: "demo",
		SigningKey:  ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), // the market's, across restarts
		Publisher:   tr, Snapshots: snapshots,
	}
	m, err := scarcity.New(ctx, cfg)
	if err != nil {
		panic(err)
	}
	if err := m.Open(ctx, "alice", apd.New(100, 0)); err != nil {
		panic(err)
	}
	if _, err := m.Snapshot(ctx); err != nil { // Config.SnapshotEvery takes them as the market runs
		panic(err)
	}
	err = m.Bid(ctx, scarcity.Bid{ID: "a1", Agent: "alice", Limit: apd.New(30, 0),
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 10}, Window: bundle.Window{Duration: 10 * time.Minute}}})
	if err != nil {
		panic(err)
	}
	tr.Close() // the market is gone; its stream and snapshots stay

	restored, err := reopen(ctx, cfg, srv.ClientURL())
	if err != nil {
		panic(err)
	}
	fmt.Println("orders:", len(restored.Orders()))
	// Output:
	// restored from demo/00000000000000000002 and 3 events
	// orders: 1
}
