package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

// figures are the charts of a report, laid out.
type figures struct {
	// Efficiency is the efficiency per round; nil without one.
	Efficiency *chart
	// Charts are the charts of the report's series, one per Series.Chart,
	// but those drawn as small multiples, in Multiples.
	Charts    []chart
	Multiples []multiples
	// Spend is the spend against its limit, Lorenz the Lorenz curve of the
	// balances and Histogram their distribution; each nil without data.
	Spend, Lorenz, Histogram *chart
	// Values describes the distribution: "200 values from 0 to 140.5
	// credits".
	Values string
}

// multiples are small charts of the series of one Series.Chart, one per
// series, on one value scale.
type multiples struct {
	Title, Unit string
	Charts      []chart
}

var (
	zero = apd.New(0, 0)
	one  = apd.New(1, 0)
)

// newFigures lays out the charts of r.
func newFigures(r Report) figures {
	clock := clockOf(r.Settings)
	f := figures{Efficiency: efficiencyChart(r.Summary)}
	f.Charts, f.Multiples = seriesCharts(r.Series, clock)
	f.Spend = spendChart(r.Summary, r.Settings, clock)
	f.Lorenz = lorenzChart(r.Summary)
	f.Histogram, f.Values = histogramChart(r.Distribution)
	return f
}

// clockOf names the clock of the times of a run set up as s.
func clockOf(s *Settings) string {
	if s != nil && s.SimulatedClock {
		return "simulated clock, UTC"
	}
	return "market clock, UTC"
}

// seriesCharts returns the charts of series, in order of first
// appearance: a wide chart per Series.Chart, or small multiples.
func seriesCharts(series []Series, clock string) ([]chart, []multiples) {
	var titles []string
	byChart := map[string][]Series{}
	split := map[string]bool{}
	for _, s := range series {
		t := s.chart()
		if _, ok := byChart[t]; !ok {
			titles = append(titles, t)
		}
		byChart[t] = append(byChart[t], s)
		split[t] = split[t] || s.Multiples
	}
	var wide []chart
	var groups []multiples
	for _, t := range titles {
		ss := byChart[t]
		first, last := timeRange(ss)
		unit := unitsOf(ss)
		plots := make([]plot, len(ss))
		for i, s := range ss {
			plots[i] = timePlot(s, last.Sub(first))
		}
		lo, hi := extent(plots, zero, zero)
		if !split[t] {
			f := smallFrame
			if len(plots) > 1 {
				f = wideFrame
			}
			c := newChart(t, f, len(plots))
			x := c.timeAxis(first, last, clock, timeTicks)
			c.Y.Unit = unit // the caption names the chart
			c.draw(plots, x, c.valueScale(lo, hi, false))
			wide = append(wide, c)
			continue
		}
		g := multiples{Title: t, Unit: unit}
		for _, p := range plots {
			c := newChart(p.Name, smallFrame, 1)
			x := c.timeAxis(first, last, clock, timeTicks-1)
			c.Y.Unit = unit // the caption names the series, the axis the chart
			if t != unit {
				c.Y.Name = t
			}
			c.draw([]plot{p}, x, c.valueScale(lo, hi, false))
			g.Charts = append(g.Charts, c)
		}
		groups = append(groups, g)
	}
	return wide, groups
}

// unitsOf returns the units of ss, each once.
func unitsOf(ss []Series) string {
	var units []string
	for _, s := range ss {
		if !slices.Contains(units, s.Unit) {
			units = append(units, s.Unit)
		}
	}
	return strings.Join(units, "; ")
}

// timeRange returns the first and last time of series.
func timeRange(series []Series) (first, last time.Time) {
	for _, s := range series {
		for _, p := range s.Points {
			if first.IsZero() || p.Time.Before(first) {
				first = p.Time
			}
			if p.Time.After(last) {
				last = p.Time
			}
		}
	}
	return first, last
}

// timePlot returns the plot of s, over a span of time: a value it cannot
// read is left out.
func timePlot(s Series, span time.Duration) plot {
	p := plot{Name: s.Name}
	for _, q := range s.Points {
		v, ok := decimal(q.Value)
		if !ok {
			continue
		}
		p.Points = append(p.Points, point{X: instant(q.Time), Y: v,
			Title: fmt.Sprintf("%s at %s: %s %s", s.Name, hoverTime(q.Time, span), q.Value, s.Unit)})
	}
	return p
}

// instant is t on a time axis: nanoseconds since 1970.
func instant(t time.Time) *apd.Decimal { return apd.New(t.UnixNano(), 0) }

// hoverTime writes t for a tooltip of a chart spanning span.
func hoverTime(t time.Time, span time.Duration) string {
	if span >= 24*time.Hour {
		return t.UTC().Format("2006-01-02 15:04:05")
	}
	return t.UTC().Format("15:04:05")
}

// timeAxis sets the horizontal axis of c to time from first to last, on
// clock, with at most most ticks at round times, and returns its scale.
func (c *chart) timeAxis(first, last time.Time, clock string, most int) scale {
	c.X.Name, c.X.Unit = "time", clock
	s := scale{instant(first), instant(last)}
	ts, step := niceTimes(first, last, most)
	layout := timeLabel(step, last.Sub(first))
	for _, t := range ts {
		c.X.Ticks = append(c.X.Ticks, tick{Pos: c.xPos(instant(t), s), Label: t.UTC().Format(layout)})
	}
	return s
}

// efficiencyChart draws the efficiency of each round; nil if no round
// reports it.
func efficiencyChart(sum *Summary) *chart {
	if sum == nil {
		return nil
	}
	p := plot{Name: "efficiency", Gaps: true}
	for _, r := range sum.RoundEfficiency {
		v, ok := decimal(r.Value)
		if !ok {
			continue
		}
		round, _, _ := apd.NewFromString(strconv.FormatUint(r.Round, 10))
		p.Points = append(p.Points, point{X: round, Y: v, Title: fmt.Sprintf("round %d: efficiency %s", r.Round, r.Value)})
	}
	if len(p.Points) == 0 {
		return nil
	}
	c := newChart("allocative efficiency per round", wideFrame, 1)
	c.X.Name, c.X.Unit = "clearing round", "number"
	c.Y.Name, c.Y.Unit = "efficiency", "welfare ÷ optimal welfare"
	x := c.numberScale(p.Points[0].X, p.Points[len(p.Points)-1].X, roundTicks, true)
	lo, hi := extent([]plot{p}, zero, one)
	y := c.valueScale(lo, hi, false)
	c.draw([]plot{p}, x, y)
	if v, ok := decimal(sum.Efficiency); ok {
		c.Refs = append(c.Refs, c.hline(v, y, "all rounds: "+string(sum.Efficiency)))
	}
	return &c
}

// spendChart draws the spend in the window against its limit; nil
// without spend.
func spendChart(sum *Summary, s *Settings, clock string) *chart {
	if sum == nil || sum.Spend == nil || len(sum.Spend.Use) == 0 {
		return nil
	}
	sp := sum.Spend
	unit := s.unitOf(sp.Limit.Resource)
	if unit == "" {
		unit = "units of " + sp.Limit.Resource
	}
	first, last := sp.Use[0].Time, sp.Use[len(sp.Use)-1].Time
	span := last.Sub(first)
	used := plot{Name: "spent in the window"}
	refused := plot{Name: "request refused", Markers: true}
	for _, u := range sp.Use {
		at := point{X: instant(u.Time), Y: apd.New(u.Spent, 0)}
		if u.Refused > 0 {
			at.Title = fmt.Sprintf("%s: refused %d %s, %d spent in the window", hoverTime(u.Time, span), u.Refused, unit, u.Spent)
			refused.Points = append(refused.Points, at)
			continue
		}
		at.Title = fmt.Sprintf("%s: %d %s spent in the window", hoverTime(u.Time, span), u.Spent, unit)
		used.Points = append(used.Points, at)
	}
	plots := []plot{used}
	if len(refused.Points) > 0 {
		plots = append(plots, refused)
	}
	c := newChart(fmt.Sprintf("spend of %s against its limit", sp.Limit.Resource), wideFrame, len(plots))
	x := c.timeAxis(first, last, clock, timeTicks)
	c.Y.Name, c.Y.Unit = "spent in the last "+shortDuration(sp.Limit.Window), unit
	limit := apd.New(sp.Limit.Limit, 0)
	lo, hi := extent(plots, zero, limit)
	y := c.valueScale(lo, hi, true)
	c.draw(plots, x, y)
	c.Refs = append(c.Refs, c.hline(limit, y, fmt.Sprintf("limit %d", sp.Limit.Limit)))
	return &c
}

// shortDuration writes d without its zero minutes and seconds: "1h",
// "5m", "1h30m", "90ms".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// lorenzChart draws the Lorenz curve of the balances, and the line of
// equality; nil without one.
func lorenzChart(sum *Summary) *chart {
	if sum == nil || len(sum.Lorenz) < 2 {
		return nil
	}
	p := plot{Name: "Lorenz curve"}
	for _, l := range sum.Lorenz {
		a, ok := decimal(l.Agents)
		b, ok2 := decimal(l.Credits)
		if !ok || !ok2 {
			continue
		}
		p.Points = append(p.Points, point{X: a, Y: b,
			Title: fmt.Sprintf("the poorest %s %% of agents hold %s %% of the credits", percent(a), percent(b))})
	}
	title := "Lorenz curve of the agents' final balances"
	if sum.Gini != "" {
		title += ", Gini " + string(sum.Gini)
	}
	c := newChart(title, wideFrame, 1)
	c.X.Name, c.X.Unit = "agents, poorest first", "cumulative share"
	c.Y.Name, c.Y.Unit = "credits", "cumulative share"
	x := c.numberScale(zero, one, valueTicks, false)
	y := c.valueScale(zero, one, false)
	c.draw([]plot{p}, x, y)
	c.Refs = append(c.Refs, ref{X1: c.F.Left, Y1: c.F.Bottom, X2: c.F.Right, Y2: c.F.Top, Label: "equality",
		LX: c.F.XMid() - 8, LY: (c.F.Top + c.F.Bottom) / 2, Anchor: "end"})
	return &c
}

// percent writes a share as a percentage, exactly.
func percent(share *apd.Decimal) string {
	d := new(apd.Decimal).Set(share)
	d.Exponent += 2
	d.Reduce(d)
	return d.Text('f')
}

// histogramChart draws the histogram of d, in at most maxBins bins of a
// 1-2-5 width, and describes its values; nil without values.
func histogramChart(d Distribution) (*chart, string) {
	var vals []*apd.Decimal
	for _, x := range d.Values {
		if v, ok := decimal(x); ok {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil, ""
	}
	lo, hi := extremes(vals)
	unit := d.Unit
	values := fmt.Sprintf("%d values from %s to %s", len(vals), lo.Text('f'), hi.Text('f'))
	if unit != "" {
		values += " " + unit
	}
	top := new(apd.Decimal).Set(hi)
	if lo.Cmp(hi) == 0 {
		drawCtx.Add(top, lo, one)
	}
	edges := niceTicks(lo, top, maxBins+1, false)
	if len(edges) < 2 {
		edges = append(edges, top)
	}
	step := new(apd.Decimal)
	drawCtx.Sub(step, edges[1], edges[0])
	bins := len(edges) - 1
	counts := make([]int64, bins)
	for _, v := range vals {
		counts[min(binOf(v, edges[0], step), bins-1)]++
	}
	c := newChart("distribution of "+cmp.Or(d.Name, "values"), wideFrame, 1)
	c.X.Name, c.X.Unit = cmp.Or(d.Name, "value"), unit
	c.Y.Name, c.Y.Unit = "count", "values per bin"
	x := c.numberScale(edges[0], edges[bins], maxBins+1, false)
	y := c.valueScale(zero, apd.New(max(slices.Max(counts), 1), 0), true)
	for i, n := range counts {
		x0, x1 := c.xPos(edges[i], x), c.xPos(edges[i+1], x)
		y0 := c.yPos(apd.New(n, 0), y)
		c.Bars = append(c.Bars, bar{X: x0 + 1, Y: y0, W: max(x1-x0-2, 1), H: c.F.Bottom - y0,
			Title: fmt.Sprintf("%s to %s %s: %d of %d", edges[i].Text('f'), edges[i+1].Text('f'), unit, n, len(vals))})
	}
	return &c, values
}

// binOf returns the bin of v, of bins step wide from first: ⌊(v −
// first) / step⌋, exactly; step is a tick step, 1, 2 or 5 times a power
// of ten.
func binOf(v, first, step *apd.Decimal) int {
	s, q := new(apd.Decimal), new(apd.Decimal)
	s.Reduce(step)
	i := -1
	if s.Coeff.IsInt64() {
		i = slices.Index(steps[:], s.Coeff.Int64())
	}
	if i < 0 {
		return 0
	}
	exact.Context.Sub(q, v, first)
	n := new(apd.Decimal)
	exact.Context.Floor(n, inSteps(q, i, s.Exponent))
	bin, err := n.Int64()
	if err != nil || bin < 0 {
		return 0
	}
	return int(min(bin, 1<<30))
}

// extremes returns the least and greatest of vals, which is not empty.
func extremes(vals []*apd.Decimal) (lo, hi *apd.Decimal) {
	lo, hi = vals[0], vals[0]
	for _, v := range vals[1:] {
		if v.Cmp(lo) < 0 {
			lo = v
		}
		if v.Cmp(hi) > 0 {
			hi = v
		}
	}
	return lo, hi
}
