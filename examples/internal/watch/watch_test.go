package watch_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/examples/internal/watch"
)

// scrape GETs url and returns its samples, "name{labels}" → value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %s, Content-Type %q", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples[dropScope(line[:i])] = v
	}
	return samples
}

// dropScope removes the otel_scope_* labels the exporter adds, so that
// a sample reads "name{label="value"}".
func dropScope(series string) string {
	name, labels, ok := strings.Cut(series, "{")
	if !ok {
		return series
	}
	var kept []string
	for _, l := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
		if l != "" && !strings.HasPrefix(l, "otel_scope_") {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return name
	}
	return name + "{" + strings.Join(kept, ",") + "}"
}

// TestScrapeAgreesWithTheStream runs a market whose metrics are served
// over HTTP, scrapes them as Prometheus would, and checks the counts
// against the market's stream.
func TestScrapeAgreesWithTheStream(t *testing.T) {
	metrics, err := watch.ServeMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer metrics.Close(context.Background())
	var logs bytes.Buffer
	logger, err := watch.Logger(&logs, "json", slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	ctx, clk, log := context.Background(), clock.NewMock(), events.NewLog(events.LogOptions{})
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources: []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		Reserve:   map[string]string{"cpu": "0.001"},
		Clock:     clk, Publisher: log, Meter: metrics.Provider, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, limit := range []int64{40, 60, 30, 1000} { // 30 loses to the others, 1000 is more than held
		agent := fmt.Sprintf("agent-%d", i)
		if err := m.Open(ctx, agent, apd.New(100, 0)); err != nil {
			t.Fatal(err)
		}
		_ = m.Bid(ctx, scarcity.Bid{ID: "b", Agent: agent, Limit: apd.New(limit, 0), Bundle: bundle.Bundle{
			Quantities: bundle.Quantities{"cpu": 40}, Window: bundle.Window{Duration: 10 * time.Minute}}})
	}
	clk.Add(time.Minute)
	if err := m.Tick(ctx); err != nil {
		t.Fatal(err)
	}

	want := map[string]float64{}
	for _, e := range log.Events(0) {
		switch p := e.Data.(type) {
		case events.BidPlaced:
			want["scarcity_bids_placed_total"]++
		case events.BidRejected:
			want[`scarcity_bids_rejected_total{scarcity_reason="`+string(p.Reason)+`"}`]++
		case events.ResourcesAllocated:
			want["scarcity_allocations_total"]++
		case events.MarketCleared:
			want["scarcity_rounds_total"]++
			price, _ := p.Prices["cpu"].Apd()
			want[`scarcity_clearing_price{scarcity_resource="cpu"}`], _ = price.Float64()
		}
	}
	if len(want) < 5 {
		t.Fatalf("the scenario did not go as planned: %v", want)
	}
	got := scrape(t, metrics.URL())
	for series, w := range want {
		if g, ok := got[series]; !ok || g != w {
			t.Errorf("%s = %v (present %v), want %v from the stream", series, g, ok, w)
		}
	}
	if t.Failed() {
		t.Logf("scraped:\n%v", got)
	}
	if !strings.Contains(logs.String(), `"msg":"round cleared"`) {
		t.Errorf("no round summary logged at debug:\n%s", logs.String())
	}
}

func TestLoggerFormats(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		l, err := watch.Logger(&buf, format, slog.LevelInfo)
		if err != nil {
			t.Fatal(err)
		}
		l.Debug("hidden")
		l.Info("shown", "k", 1)
		if s := buf.String(); strings.Contains(s, "hidden") || !strings.Contains(s, "shown") {
			t.Errorf("%s: %q", format, s)
		}
	}
	if _, err := watch.Logger(io.Discard, "xml", slog.LevelInfo); err == nil {
		t.Error("format xml accepted")
	}
}
