// Package watch gives the example programs what an operator watches a
// market with: its metrics, exposed for Prometheus to scrape at /metrics
// through the OpenTelemetry Prometheus exporter, and its logs through
// log/slog, as text or JSON.
//
// The library itself links no exporter: scarcity.Config.Meter takes any
// OpenTelemetry MeterProvider and Config.Logger any *slog.Logger. This
// package is how a program wires the two it most likely wants.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Metrics serves the metrics of a MeterProvider at http://ADDR/metrics, in
// Prometheus's text format.
type Metrics struct {
	// Provider is what to give scarcity.Config.Meter (and agentapi's
	// server options).
	Provider *sdkmetric.MeterProvider
	server   *http.Server
	addr     net.Addr
	done     chan error
}

// ServeMetrics listens on addr ("127.0.0.1:9464"; port 0 picks one) and
// serves the metrics of a new provider there until Close.
func ServeMetrics(addr string) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("metrics exporter: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m := &Metrics{
		Provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)),
		server:   &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		addr:     ln.Addr(),
		done:     make(chan error, 1),
	}
	go func() { m.done <- m.server.Serve(ln) }()
	return m, nil
}

// URL returns the address of the metrics endpoint.
func (m *Metrics) URL() string { return "http://" + m.addr.String() + "/metrics" }

// Close stops serving and shuts the provider down.
func (m *Metrics) Close(ctx context.Context) error {
	err := m.server.Shutdown(ctx)
	if serr := <-m.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, m.Provider.Shutdown(ctx))
}

// Logger returns a logger writing to w in format "text" or "json" at level
// and above.
func Logger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}
