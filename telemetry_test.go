package scarcity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// collect returns the sums and last values the reader holds, by instrument
// name and then by the attribute set's encoding ("" for none).
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scarcity.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, scarcity.ScopeName)
		}
		for _, m := range sm.Metrics {
			vals := map[string]float64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					vals[p.Attributes.Encoded(attribute.DefaultEncoder())] = float64(p.Value)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					vals[p.Attributes.Encoded(attribute.DefaultEncoder())] = float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					vals[p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Value
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					vals["count"], vals["sum"] = float64(p.Count), float64(p.Sum)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					vals["count"] = float64(p.Count)
				}
			}
			out[m.Name] = vals
		}
	}
	return out
}

// TestMetricsAgreeWithTheStream runs a market with a metrics reader and
// checks every figure read off events against the events on its stream.
func TestMetricsAgreeWithTheStream(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	f := newFixture(t, scarcity.Config{Meter: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	f.open(t, "alice", 100)
	f.open(t, "bob", 200)
	for _, b := range []scarcity.Bid{ // the reserve is 0.6 per cpu for 10 minutes
		cpuBid("a1", "alice", 30, "40"),
		cpuBid("b1", "bob", 50, "60"),
		cpuBid("b2", "bob", 40, "30"), // does not fit beside the others
		cpuBid("a2", "alice", 10, "1000"),
	} {
		_ = f.m.Bid(f.ctx, b) // a2 is refused: more than alice holds
	}
	f.tick(t, time.Minute)

	got := collect(t, reader)
	want := map[string]map[string]float64{
		"scarcity.bids.placed":   {"": 0},
		"scarcity.bids.rejected": {},
		"scarcity.allocations":   {"": 0},
		"scarcity.rounds":        {"": 0},
	}
	var cleared events.MarketCleared
	for _, e := range f.log.Events(0) {
		switch p := e.Data.(type) {
		case events.BidPlaced:
			want["scarcity.bids.placed"][""]++
		case events.BidRejected:
			want["scarcity.bids.rejected"]["scarcity.reason="+string(p.Reason)]++
		case events.ResourcesAllocated:
			want["scarcity.allocations"][""]++
		case events.MarketCleared:
			want["scarcity.rounds"][""]++
			cleared = p
		}
	}
	if want["scarcity.bids.placed"][""] != 3 || len(want["scarcity.bids.rejected"]) != 2 || want["scarcity.allocations"][""] != 2 {
		t.Fatalf("the scenario did not go as planned: %v", want)
	}
	for name, w := range want {
		if diff := cmp.Diff(w, got[name]); diff != "" {
			t.Errorf("%s (-stream +metrics):\n%s", name, diff)
		}
	}
	price, _ := cleared.Prices["cpu"].Apd()
	p, _ := price.Float64()
	if g := got["scarcity.clearing.price"]["scarcity.resource=cpu"]; g != p {
		t.Errorf("clearing price of cpu %v, want %v", g, p)
	}
	if g := got["scarcity.round.bids"]; g["count"] != 1 || g["sum"] != float64(cleared.Bids) {
		t.Errorf("round.bids %v, want one round of %d bids", g, cleared.Bids)
	}
	if g := got["scarcity.book.depth"][""]; g != float64(len(f.m.Orders())) {
		t.Errorf("book depth %v, want %d", g, len(f.m.Orders()))
	}
	if got["scarcity.publish.batch.size"]["count"] == 0 || got["scarcity.publish.duration"]["count"] == 0 {
		t.Errorf("no publish recorded: %v %v", got["scarcity.publish.batch.size"], got["scarcity.publish.duration"])
	}
	if g, ok := got["scarcity.committer.queue"][""]; !ok || g != 0 {
		t.Errorf("committer queue %v (recorded %v) once every command returned, want 0", g, ok)
	}
	if g, ok := got["scarcity.fenced"][""]; !ok || g != 0 {
		t.Errorf("fenced = %v (recorded %v) on a market that never failed, want 0", g, ok)
	}
}

// TestFencedMarketLogsOneErrorWithTheEventID fails one publish: the market
// logs exactly one error, naming the first event of the group that failed,
// and a warning when it has rebuilt itself from its stream.
func TestFencedMarketLogsOneErrorWithTheEventID(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, scarcity.Config{})
	var first string // the id of the first event of the group refused
	flaky := &flakyPublisher{next: f.log}
	m, err := scarcity.New(f.ctx, scarcity.Config{
		Resources: testResources, Clock: f.clk, Publisher: flaky, Correlation: "fenced", Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Open(f.ctx, "alice", dec("100")); err != nil {
		t.Fatal(err)
	}
	flaky.arm(func(e events.Event) bool {
		if first == "" {
			first = e.ID
		}
		return e.Type == events.TypeBidPlaced
	})
	if err := m.Bid(f.ctx, cpuBid("a1", "alice", 10, "10")); !errors.Is(err, errTransport) {
		t.Fatalf("Bid over a failing publisher: %v, want %v", err, errTransport)
	}
	flaky.arm(nil)
	if err := m.Bid(f.ctx, cpuBid("a2", "alice", 10, "10")); err != nil { // after the rebuild
		t.Fatal(err)
	}

	var errs, rebuilt []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch {
		case rec["level"] == "ERROR":
			errs = append(errs, rec)
		case rec["msg"] == "market rebuilt from its stream":
			rebuilt = append(rebuilt, rec)
		}
	}
	if len(errs) != 1 {
		t.Fatalf("%d errors logged, want 1:\n%s", len(errs), buf.String())
	}
	if id := errs[0]["event_id"]; id != first {
		t.Fatalf("error logged with event id %v, want %s, the first of the group refused: %v", id, first, errs[0])
	}
	if errs[0]["correlation"] != "fenced" || errs[0]["error"] == nil {
		t.Errorf("error logged without correlation or error: %v", errs[0])
	}
	if len(rebuilt) != 1 || rebuilt[0]["kind"] != "fenced" || rebuilt[0]["level"] != "WARN" {
		t.Errorf("rebuilds logged %v, want one warning of kind fenced", rebuilt)
	}
}

// watched is the README's "Watch a market" snippet.
func watched(cfg scarcity.Config, reader sdkmetric.Reader, logs io.Writer) scarcity.Config {
	cfg.Meter = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)) // or the Prometheus exporter
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return cfg
}

func Example_watch() {
	ctx, reader := context.Background(), sdkmetric.NewManualReader()
	var logs bytes.Buffer
	m, err := scarcity.New(ctx, watched(scarcity.Config{
		Resources: []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		Clock:     clock.NewMock(),
	}, reader, &logs))
	if err != nil {
		panic(err)
	}
	_ = m.Open(ctx, "alice", apd.New(100, 0))
	_ = m.Bid(ctx, scarcity.Bid{ID: "b1", Agent: "alice", Limit: apd.New(1_000_000, 0), Bundle: bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 10}, Window: bundle.Window{Duration: time.Minute}}})

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if sum, ok := mt.Data.(metricdata.Sum[int64]); ok && mt.Name == "scarcity.bids.rejected" {
				fmt.Println(mt.Name, sum.DataPoints[0].Value)
			}
		}
	}
	fmt.Println(strings.Contains(logs.String(), `"msg":"bid refused"`))
	// Output:
	// scarcity.bids.rejected 1
	// true
}
