package agentapi

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// ScopeName is the instrumentation scope of a Server's metrics.
const ScopeName = "github.com/scarcitylabs/scarcity/transport/agentapi"

// serverMetrics are a Server's instruments: requests answered, by verb and
// outcome ("ok" or the error code the agent got), and how long the
// market took over them, by the Server's clock.
type serverMetrics struct {
	requests metric.Int64Counter
	duration metric.Float64Histogram
}

// Attribute keys of a Server's metrics.
var (
	attrVerb    = attribute.Key("scarcity.agentapi.verb")
	attrOutcome = attribute.Key("scarcity.agentapi.outcome")
)

// newServerMetrics makes the instruments of provider (a no-op if nil).
func newServerMetrics(provider metric.MeterProvider) (serverMetrics, error) {
	if provider == nil {
		provider = noop.NewMeterProvider()
	}
	m := provider.Meter(ScopeName)
	requests, err1 := m.Int64Counter("scarcity.agentapi.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Command requests answered, by verb and outcome (ok or the error code)."))
	duration, err2 := m.Float64Histogram("scarcity.agentapi.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a request's dequeue to its reply, by verb."))
	return serverMetrics{requests: requests, duration: duration}, errors.Join(err1, err2)
}

// answered records a request of verb answered with err, started at start
// (zero for a request refused before it was queued), and logs a refused
// command at warn.
func (s *Server) answered(agent string, verb Verb, start time.Time, err error) {
	ctx := context.Background()
	outcome := "ok"
	if err != nil {
		outcome = string(encodeError(err).Code)
		if outcome != string(CodeInternal) { // internal errors are logged at error by reply
			s.log.Warn("agentapi: command refused", "agent", agent, "verb", verb, "code", outcome, "err", err)
		}
	}
	s.metrics.requests.Add(ctx, 1, metric.WithAttributes(attrVerb.String(string(verb)), attrOutcome.String(outcome)))
	if !start.IsZero() {
		s.metrics.duration.Record(ctx, s.opts.Clock.Since(start).Seconds(), metric.WithAttributes(attrVerb.String(string(verb))))
	}
}
