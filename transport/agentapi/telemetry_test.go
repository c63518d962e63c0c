package agentapi

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestServerMetricsAndLogs serves a market with a metrics reader and a
// logger, sends a request that succeeds and one the market refuses, and
// checks the counts by verb and outcome, the durations and the warning.
func TestServerMetricsAndLogs(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	var logs bytes.Buffer
	ns := startNATS(t, "alice")
	m, _, _ := newMarket(t)
	srv, err := Serve(context.Background(), connect(t, ns, nats.UserInfo(marketUser.Name, marketUser.Password)), m, Options{
		Meter:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := dialAgent(t, ns, "alice")
	ctx := context.Background()
	if _, err := c.Balance(ctx, "alice"); err == nil { // no account yet
		t.Fatal("Balance before the account is opened succeeded")
	}
	if err := c.OpenAccount(ctx, "alice"); err != nil {
		t.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	requests := map[string]int64{}
	var durations uint64
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			switch d := mt.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					requests[p.Attributes.Encoded(attribute.DefaultEncoder())] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					durations += p.Count
				}
			}
		}
	}
	open := "scarcity.agentapi.outcome=ok,scarcity.agentapi.verb=" + string(VerbOpen)
	if requests[open] != 1 || len(requests) != 2 || durations != 2 {
		t.Errorf("requests %v, %d durations; want one ok open, one refused balance, two durations", requests, durations)
	}
	if !strings.Contains(logs.String(), "command refused") || !strings.Contains(logs.String(), "verb="+string(VerbBalance)) {
		t.Errorf("no warning for the refused balance:\n%s", logs.String())
	}
}
