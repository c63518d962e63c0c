package scarcity

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/scarcitylabs/scarcity/events"
)

// ScopeName is the instrumentation scope of the market's metrics: the name
// of the Meter it takes from Config.Meter.
const ScopeName = "github.com/scarcitylabs/scarcity"

// telemetry is what a market tells its operator: metrics through the
// OpenTelemetry metrics API (a no-op unless Config.Meter is set) and logs
// through log/slog (discarded unless Config.Logger is set).
//
// Most figures are read off the events a market commits, once the
// publisher has accepted them (committed), so that what is scraped agrees
// with the stream: a command whose publish failed counts nothing. The
// others are measured where they happen: a round's duration and the
// committer's publishes, by the market's clock; the book's depth, the
// committer's queue, the spend window and whether the market is fenced,
// as gauges recorded when they change.
//
// Prices, reserves and utilisations are exact decimals in the market and
// on its stream; metrics carry them as float64, as every metrics backend
// does, for watching, never for accounting.
type telemetry struct {
	log   *slog.Logger
	clock clock.Clock
	on    bool // a Meter was given: record the gauges that cost a query

	bidsPlaced, bidsRejected metric.Int64Counter
	allocations, rounds      metric.Int64Counter
	denials, terminations    metric.Int64Counter
	restores                 metric.Int64Counter
	roundDuration            metric.Float64Histogram
	roundBids                metric.Int64Histogram
	publishBatch             metric.Int64Histogram
	publishDuration          metric.Float64Histogram
	clearingPrice            metric.Float64Gauge
	reservePrice             metric.Float64Gauge
	utilisation              metric.Float64Gauge
	bookDepth, queue         metric.Int64Gauge
	fenced                   metric.Int64Gauge
	spent, spendLimit        metric.Int64Gauge
}

// newTelemetry makes the instruments of cfg.Meter, and its logger. An
// instrument the provider refuses is logged and left as the provider
// returned it, which the API requires to be usable.
func newTelemetry(cfg Config) *telemetry {
	t := &telemetry{log: cfg.Logger, clock: cfg.Clock, on: cfg.Meter != nil}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	provider := cfg.Meter
	if provider == nil {
		provider = noop.NewMeterProvider()
	}
	m := provider.Meter(ScopeName)
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	gauge := func(name, unit, desc string) metric.Int64Gauge {
		g, err := m.Int64Gauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return g
	}
	fgauge := func(name, unit, desc string) metric.Float64Gauge {
		g, err := m.Float64Gauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return g
	}
	var err error
	t.bidsPlaced = counter("scarcity.bids.placed", "{bid}", "Bids placed in the book.")
	t.bidsRejected = counter("scarcity.bids.rejected", "{bid}", "Bids refused, by reason (scarcity.reason).")
	t.allocations = counter("scarcity.allocations", "{allocation}", "Bundles allocated by clearing rounds.")
	t.rounds = counter("scarcity.rounds", "{round}", "Clearing rounds closed.")
	t.denials = counter("scarcity.denials", "{denial}", "Uses refused by the scheduler, by reason and resource.")
	t.terminations = counter("scarcity.terminations", "{agent}", "Agents terminated, by reason and resource.")
	t.restores = counter("scarcity.restores", "{restore}", "Markets rebuilt from their stream, by kind (restore, reopen, fenced).")
	t.roundDuration, err = m.Float64Histogram("scarcity.round.duration", metric.WithUnit("s"),
		metric.WithDescription("Time a clearing round took, by the market's clock."))
	errs = append(errs, err)
	t.roundBids, err = m.Int64Histogram("scarcity.round.bids", metric.WithUnit("{bid}"),
		metric.WithDescription("Bids a clearing round considered."))
	errs = append(errs, err)
	t.publishBatch, err = m.Int64Histogram("scarcity.publish.batch.size", metric.WithUnit("{event}"),
		metric.WithDescription("Events per publish call to the transport."))
	errs = append(errs, err)
	t.publishDuration, err = m.Float64Histogram("scarcity.publish.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a group's publish to its acknowledgement, by the market's clock."))
	errs = append(errs, err)
	t.clearingPrice = fgauge("scarcity.clearing.price", "{credit}/{unit}/s", "Last clearing price per resource (scarcity.resource).")
	t.reservePrice = fgauge("scarcity.reserve.price", "{credit}/{unit}/s", "Reserve price per resource (scarcity.resource).")
	t.utilisation = fgauge("scarcity.utilisation", "1", "Share of capacity allocated at the last round, per resource.")
	t.bookDepth = gauge("scarcity.book.depth", "{bid}", "Bids standing in the book.")
	t.queue = gauge("scarcity.committer.queue", "{command}", "Commands applied whose events await acknowledgement.")
	t.fenced = gauge("scarcity.fenced", "1", "1 while the market is fenced (its state ahead of its stream), else 0.")
	t.spent = gauge("scarcity.spend.spent", "{unit}", "LLM spend committed in the sliding window, in spend units.")
	t.spendLimit = gauge("scarcity.spend.limit", "{unit}", "The LLM spend limit of the sliding window, in spend units.")
	if err := errors.Join(errs...); err != nil {
		t.log.Warn("metrics: an instrument was refused", "error", err)
	}
	if t.on {
		t.fenced.Record(context.Background(), 0)
	}
	return t
}

// Attribute keys of the market's metrics.
var (
	attrReason   = attribute.Key("scarcity.reason")
	attrResource = attribute.Key("scarcity.resource")
	attrKind     = attribute.Key("scarcity.restore.kind")
)

// committed records what the events of a committed group tell.
func (t *telemetry) committed(evs []events.Event) {
	ctx := context.Background()
	for i := range evs {
		e := &evs[i]
		switch p := e.Data.(type) {
		case events.BidPlaced:
			t.bidsPlaced.Add(ctx, 1)
		case events.BidRejected:
			t.bidsRejected.Add(ctx, 1, metric.WithAttributes(attrReason.String(string(p.Reason))))
			t.log.Warn("bid refused", eventAttrs(e, "agent", p.AgentID, "order", p.OrderID, "reason", p.Reason, "detail", p.Detail)...)
		case events.ResourcesAllocated:
			t.allocations.Add(ctx, 1)
		case events.MarketCleared:
			t.cleared(ctx, e, p)
		case events.PriceUpdate:
			t.reservePrice.Record(ctx, approx(p.New), metric.WithAttributes(attrResource.String(p.Resource)))
		case events.ServiceDenied:
			t.denials.Add(ctx, 1, metric.WithAttributes(attrReason.String(p.Reason), attrResource.String(p.Resource)))
			t.log.Warn("use denied", eventAttrs(e, "agent", p.AgentID, "resource", p.Resource, "reason", p.Reason)...)
		case events.AgentTerminated:
			t.terminations.Add(ctx, 1, metric.WithAttributes(attrReason.String(p.Reason), attrResource.String(p.Resource)))
			t.log.Warn("agent terminated", eventAttrs(e, "agent", p.AgentID, "bundle", p.BundleID, "reason", p.Reason)...)
		}
	}
}

// cleared records a round's summary.
func (t *telemetry) cleared(ctx context.Context, e *events.Event, p events.MarketCleared) {
	t.rounds.Add(ctx, 1)
	t.roundBids.Record(ctx, int64(p.Bids))
	for name, price := range p.Prices {
		t.clearingPrice.Record(ctx, approx(price), metric.WithAttributes(attrResource.String(name)))
	}
	for name, u := range p.Utilisation {
		t.utilisation.Record(ctx, approx(u), metric.WithAttributes(attrResource.String(name)))
	}
	if t.log.Enabled(ctx, slog.LevelDebug) {
		t.log.Debug("round cleared", eventAttrs(e, "round", p.Round, "mechanism", p.Mechanism, "bids", p.Bids,
			"winners", p.Winners, "revenue", p.Revenue, "efficiency", p.Efficiency)...)
	}
}

// roundTook records the duration of a round that started at start.
func (t *telemetry) roundTook(start time.Time) {
	t.roundDuration.Record(context.Background(), t.clock.Since(start).Seconds())
}

// published records a publish call of n events.
func (t *telemetry) published(n int) {
	t.publishBatch.Record(context.Background(), int64(n))
}

// acknowledged records the time a group took from its publish, at sent,
// to its acknowledgement.
func (t *telemetry) acknowledged(sent time.Time) {
	t.publishDuration.Record(context.Background(), t.clock.Since(sent).Seconds())
}

// fence logs the failed publish that fenced the market: the first and last
// events of the group it failed, and the error.
func (t *telemetry) fence(evs []events.Event, err error) {
	t.fenced.Record(context.Background(), 1)
	attrs := []any{"error", err}
	if len(evs) > 0 {
		attrs = append(eventAttrs(&evs[0], "events", len(evs)), append(attrs, "last_event_id", evs[len(evs)-1].ID)...)
	}
	t.log.Error("publish failed: market fenced until it rebuilds from its stream", attrs...)
}

// restored records a market rebuilt from n events of its stream; kind is
// restore, reopen or fenced (a fenced market rebuilding itself).
func (t *telemetry) restored(kind string, n int, err error) {
	ctx := context.Background()
	if err != nil {
		t.log.Error("market could not be rebuilt from its stream", "kind", kind, "events", n, "error", err)
		return
	}
	t.restores.Add(ctx, 1, metric.WithAttributes(attrKind.String(kind)))
	t.fenced.Record(ctx, 0)
	t.log.Warn("market rebuilt from its stream", "kind", kind, "events", n)
}

// aftermath logs the payments and settlements that failed after a tick or
// a round had done its work (sched.ErrAftermath).
func (t *telemetry) aftermath(err error) {
	t.log.Error("settlement failed after the work it settles was done", "error", err)
}

// state records the gauges a write may have moved: the book's depth and
// the spend window. It runs with the writer's lock
// held, and only with a Meter, as it queries.
func (t *telemetry) state(m *Market) {
	if !t.on {
		return
	}
	ctx := context.Background()
	t.bookDepth.Record(ctx, int64(len(m.orders.byKey)))
	if st, ok := m.sched.Spend(); ok {
		t.spent.Record(ctx, st.Spent)
		t.spendLimit.Record(ctx, st.Limit)
	}
}

// queued records the committer's queue: n units submitted and not yet
// answered.
func (t *telemetry) queued(n int) {
	if t.on {
		t.queue.Record(context.Background(), int64(n))
	}
}

// eventAttrs returns the attributes of a log line about e: its id, its
// correlation and trace context, then kvs.
func eventAttrs(e *events.Event, kvs ...any) []any {
	attrs := make([]any, 0, 6+len(kvs))
	attrs = append(attrs, "event_id", e.ID, "correlation", e.Correlation)
	if e.TraceParent != "" {
		attrs = append(attrs, "trace_parent", e.TraceParent)
	}
	return append(attrs, kvs...)
}

// approx returns d as a float64 for a metric; 0 if d is empty or malformed.
func approx(d events.Decimal) float64 {
	x, err := d.Apd()
	if err != nil {
		return 0
	}
	f, _ := x.Float64()
	return f
}
