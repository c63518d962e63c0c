package report

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// Report is what a benchmark run found, for people (WriteHTML) and for
// programs (WriteJSON). Every number in it is an exact decimal string.
type Report struct {
	// Title names the run.
	Title string `json:"title"`
	// Generated is when the report was made, as the caller says.
	Generated time.Time `json:"generated"`
	// Settings are how the run was set up, as its caller says; nil if it
	// does not.
	Settings *Settings `json:"settings,omitempty"`
	// Summary is what the run amounted to, computed from its stream; nil
	// for a report not built from one.
	Summary *Summary `json:"summary,omitempty"`
	// Verdicts are the outcomes of the checks, rules and scenarios.
	Verdicts []VerdictRow `json:"verdicts"`
	// Series are values over time; the HTML draws a line chart per
	// Series.Chart.
	Series []Series `json:"series"`
	// Distribution is drawn as a histogram, such as agents' balances.
	Distribution Distribution `json:"distribution"`
}

// VerdictKind says what a verdict is about.
type VerdictKind string

// The kinds of verdicts.
const (
	KindInvariant VerdictKind = "invariant"
	KindRule      VerdictKind = "rule"
	KindScenario  VerdictKind = "scenario"
)

// VerdictStatus is the outcome of one verdict.
type VerdictStatus string

// The outcomes of a verdict.
const (
	StatusPass         VerdictStatus = "pass"
	StatusFail         VerdictStatus = "fail"
	StatusNotEvaluated VerdictStatus = "not_evaluated"
)

// VerdictRow is the outcome of one invariant, rule or scenario.
type VerdictRow struct {
	Name   string        `json:"name"`
	Kind   VerdictKind   `json:"kind"`
	Status VerdictStatus `json:"status"`
	// Detail says why, in words.
	Detail string `json:"detail,omitempty"`
	// Events are the ids of the events the verdict rests on.
	Events []string `json:"events,omitempty"`
}

// Series is one named value over time, such as the price of cpu.
type Series struct {
	// Name names the series: the label of its line in its chart's legend
	// (a chart of one series has none), or the title of its small chart.
	Name string `json:"name"`
	// Chart is the title of the chart the series is drawn in: series of
	// one Chart share it. Empty means Unit.
	Chart string `json:"chart,omitempty"`
	// Unit is the unit of the values, the title of the chart's value
	// axis.
	Unit string `json:"unit"`
	// Multiples draws each series of the chart as a small chart of its
	// own, the small charts side by side on one value scale, rather than
	// as lines of one chart; one series of the chart saying so is enough.
	Multiples bool    `json:"multiples,omitempty"`
	Points    []Point `json:"points"`
}

// chart returns the title of the chart of s.
func (s Series) chart() string { return cmp.Or(s.Chart, s.Unit) }

// Point is one value of a series at a time.
type Point struct {
	Time  time.Time      `json:"time"`
	Value events.Decimal `json:"value"`
}

// Distribution is a set of values drawn as a histogram. Labels, if set,
// name each value (such as the agent whose balance it is).
type Distribution struct {
	Name   string           `json:"name"`
	Unit   string           `json:"unit,omitempty"`
	Labels []string         `json:"labels,omitempty"`
	Values []events.Decimal `json:"values"`
}

// Units of the series FromStream builds.
const (
	// UnitPrice is the unit of the price of a resource whose unit the
	// Settings do not give; the price of a resource they say is counted
	// in MiB is in "credits/(MiB·s)".
	UnitPrice       = "credits per unit per second"
	UnitUtilisation = "share of capacity, 0 to 1"
	UnitCredits     = "credits"
)

// Charts of the series FromStream builds.
const (
	chartPrice       = "price of " // followed by the resource
	chartUtilisation = "utilisation"
)

// WriteJSON writes r as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// FromStream returns a report of evs titled title and generated at now,
// without settings or verdicts: FromRun without Settings.
func FromStream(title string, evs []events.Event, now time.Time) Report {
	return fromRun(title, evs, now, nil)
}

// FromRun returns a report of the run whose stream is evs, set up as s
// says, titled title and generated at now, without verdicts:
//
//   - its Settings, a copy of s, a URL's credentials dropped;
//   - its Summary, computed from evs with the strategies and the spend
//     limit of s;
//   - the price of each resource over time, a chart per resource, and
//     its utilisation, as small multiples, from price_update and
//     market_cleared events (the last value at an instant wins);
//   - the distribution of agents' balances, the last posted balance the
//     ledger reported for each account opened as an agent's, ordered by
//     account id.
func FromRun(title string, evs []events.Event, now time.Time, s Settings) Report {
	return fromRun(title, evs, now, s.clean())
}

func fromRun(title string, evs []events.Event, now time.Time, s *Settings) Report {
	b := newSeriesBuilder()
	price := func(resource string) seriesKey {
		unit := UnitPrice
		if u := s.unitOf(resource); u != "" {
			unit = "credits/(" + u + "·s)"
		}
		return seriesKey{chart: chartPrice + resource, unit: unit, name: resource}
	}
	utilisation := func(resource string) seriesKey {
		return seriesKey{chart: chartUtilisation, unit: UnitUtilisation, name: resource, multiples: true}
	}
	balances := balanceTracker{kinds: map[string]string{}, last: map[string]events.Decimal{}}
	for _, e := range evs {
		switch p := stream.Payload(e.Data).(type) {
		case events.PriceUpdate:
			b.add(price(p.Resource), e.Time, p.New)
			b.add(utilisation(p.Resource), e.Time, p.Utilisation)
		case events.MarketCleared:
			for _, name := range slices.Sorted(maps.Keys(p.Prices)) {
				b.add(price(name), e.Time, p.Prices[name])
			}
			for _, name := range slices.Sorted(maps.Keys(p.Utilisation)) {
				b.add(utilisation(name), e.Time, p.Utilisation[name])
			}
		}
		if e.Source == events.SourceLedger {
			balances.observe(stream.Payload(e.Data))
		}
	}
	return Report{Title: title, Generated: now, Settings: s, Summary: summarise(evs, s),
		Series: b.series(), Distribution: balances.distribution()}
}

// seriesBuilder collects points per series.
type seriesBuilder struct {
	keys   []seriesKey
	points map[seriesKey][]Point
}

type seriesKey struct {
	chart, unit, name string
	multiples         bool
}

func newSeriesBuilder() *seriesBuilder { return &seriesBuilder{points: map[seriesKey][]Point{}} }

// add appends a point, replacing the last if it is at the same time. An
// empty value is skipped.
func (b *seriesBuilder) add(k seriesKey, t time.Time, v events.Decimal) {
	if v == "" {
		return
	}
	pts, ok := b.points[k]
	if !ok {
		b.keys = append(b.keys, k)
	}
	if n := len(pts); n > 0 && pts[n-1].Time.Equal(t) {
		pts = pts[:n-1]
	}
	b.points[k] = append(pts, Point{Time: t, Value: v})
}

// series returns the series sorted by chart (prices before utilisation)
// then name.
func (b *seriesBuilder) series() []Series {
	keys := slices.Clone(b.keys)
	slices.SortFunc(keys, func(x, y seriesKey) int {
		return cmp.Or(cmp.Compare(x.chart, y.chart), cmp.Compare(x.name, y.name))
	})
	out := make([]Series, 0, len(keys))
	for _, k := range keys {
		out = append(out, Series{Name: k.name, Chart: k.chart, Unit: k.unit, Multiples: k.multiples, Points: b.points[k]})
	}
	return out
}

// balanceTracker follows the posted balance of every account from the
// ledger's events.
type balanceTracker struct {
	kinds map[string]string
	last  map[string]events.Decimal
}

// observe updates the tracker with one ledger payload.
func (t balanceTracker) observe(p events.Payload) {
	switch q := p.(type) {
	case events.AccountOpened:
		t.kinds[q.AccountID] = q.Kind
	case events.CreditsTransferred:
		t.movement(q.Movement)
	case events.CreditsMinted:
		t.movement(q.Movement)
	case events.CreditsBurned:
		t.movement(q.Movement)
	case events.HoldCaptured:
		t.set(q.AccountID, q.FromBalance)
		t.set(q.To, q.ToBalance)
	case events.BalanceQueried:
		t.set(q.AccountID, q.Balance)
	}
}

func (t balanceTracker) movement(m events.Movement) {
	t.set(m.From, m.FromBalance)
	t.set(m.To, m.ToBalance)
}

func (t balanceTracker) set(account string, balance events.Decimal) {
	if account != "" && balance != "" {
		t.last[account] = balance
	}
}

// distribution returns the balances of agents' accounts, by account id. An
// agent whose balance was never reported has a balance of zero.
func (t balanceTracker) distribution() Distribution {
	d := Distribution{Name: "agent balances", Unit: UnitCredits}
	for _, id := range slices.Sorted(maps.Keys(t.kinds)) {
		if t.kinds[id] != "agent" {
			continue
		}
		v, ok := t.last[id]
		if !ok {
			v = "0"
		}
		d.Labels = append(d.Labels, id)
		d.Values = append(d.Values, v)
	}
	return d
}

// maxVerdictEvents bounds the event ids one verdict row lists.
const maxVerdictEvents = 20

// InvariantVerdicts checks evs with o and returns one verdict row per
// invariant, in the order of invariant.Names: pass, fail (with the
// violations and their events), or not evaluated when the stream and o
// lack what the check needs (see invariant.Unchecked). An unusable o fails
// every row with its reason.
func InvariantVerdicts(evs []events.Event, o invariant.Options) []VerdictRow {
	rows := make([]VerdictRow, len(invariant.Names))
	for i, name := range invariant.Names {
		rows[i] = VerdictRow{Name: name, Kind: KindInvariant, Status: StatusPass}
	}
	err := invariant.CheckWith(evs, o)
	if errors.Is(err, invariant.ErrInvalidOptions) {
		for i := range rows {
			rows[i].Status, rows[i].Detail = StatusFail, err.Error()
		}
		return rows
	}
	unchecked := invariant.Unchecked(evs, o)
	byCheck := map[string][]*invariant.Violation{}
	for _, v := range violations(err) {
		byCheck[v.Check] = append(byCheck[v.Check], v)
	}
	for i := range rows {
		row := &rows[i]
		switch vs := byCheck[row.Name]; {
		case slices.Contains(unchecked, row.Name):
			row.Status, row.Detail = StatusNotEvaluated, "the stream and the options lack what this check needs"
		case len(vs) > 0:
			row.Status, row.Detail, row.Events = StatusFail, describe(vs), eventIDs(vs)
		}
	}
	return rows
}

// violations returns the violations err joins, as invariant.CheckWith
// returns them, in stream order.
func violations(err error) []*invariant.Violation {
	var out []*invariant.Violation
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if v, ok := e.(*invariant.Violation); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// describe summarises violations in words.
func describe(vs []*invariant.Violation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d violation(s); first at %s: %s", len(vs), vs[0].EventID, vs[0].Detail)
	return b.String()
}

// eventIDs returns the ids of the events of vs, at most maxVerdictEvents.
func eventIDs(vs []*invariant.Violation) []string {
	var out []string
	for _, v := range vs {
		if len(out) == maxVerdictEvents {
			break
		}
		out = append(out, v.EventID)
	}
	return out
}
