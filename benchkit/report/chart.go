package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// Chart geometry, in SVG user units. Coordinates are computed with exact
// decimals and rounded to whole units.
const (
	chartWidth   = 760
	chartHeight  = 300
	plotLeft     = 80
	plotTop      = 20
	plotWidth    = 500
	plotHeight   = 220
	legendLeft   = plotLeft + plotWidth + 20
	yTicks       = 4 // intervals between y labels
	xTicks       = 4
	maxBins      = 10
	maxDots      = 200 // a series with more points is drawn without dots
	labelDigits  = 4   // significant digits of axis labels
	drawingDigit = 34  // precision of coordinate arithmetic
)

// palette colours the series of a chart, in order.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"}

var (
	drawCtx  = apd.BaseContext.WithPrecision(drawingDigit)
	labelCtx = apd.BaseContext.WithPrecision(labelDigits)
)

// tick is an axis label at a position along its axis.
type tick struct {
	Pos   int64
	Label string
}

// line is one series of a line chart.
type line struct {
	Name, Color string
	Points      string // the polyline's "x,y x,y ..."
	Dots        []dot
	LegendY     int64
}

type dot struct{ X, Y int64 }

// lineChart is a chart of the series of one unit.
type lineChart struct {
	Unit           string
	XTicks, YTicks []tick
	Lines          []line
}

// bar is one bin of a histogram.
type bar struct {
	X, Y, W, H int64
	Count      int
	Range      string
}

// histogram is the chart of a distribution.
type histogram struct {
	Name, Unit     string
	Bars           []bar
	XTicks, YTicks []tick
	N              int
	Min, Max       string
}

// decimal returns x as an apd decimal, or false if it is not one.
func decimal(x events.Decimal) (*apd.Decimal, bool) {
	d, err := x.Apd()
	return d, err == nil && x != ""
}

// position maps v in [lo, hi] to [0, px], rounded; a value outside is
// clamped and an empty range maps to 0.
func position(v, lo, hi *apd.Decimal, px int64, round func(d, x *apd.Decimal) (apd.Condition, error)) int64 {
	num, span, q := new(apd.Decimal), new(apd.Decimal), new(apd.Decimal)
	drawCtx.Sub(span, hi, lo)
	if span.Sign() <= 0 {
		return 0
	}
	drawCtx.Sub(num, v, lo)
	drawCtx.Mul(num, num, apd.New(px, 0))
	drawCtx.Quo(q, num, span)
	round(q, q)
	n, err := q.Int64()
	if err != nil {
		n = px
	}
	return min(max(n, 0), px)
}

// nearest rounds to the nearest integer.
func nearest(d, x *apd.Decimal) (apd.Condition, error) { return drawCtx.RoundToIntegralValue(d, x) }

// floor rounds down.
func floor(d, x *apd.Decimal) (apd.Condition, error) { return drawCtx.Floor(d, x) }

// label returns d to labelDigits significant digits, without exponent.
func label(d *apd.Decimal) string {
	r := new(apd.Decimal)
	labelCtx.Round(r, d)
	r.Reduce(r)
	return r.Text('f')
}

// between returns lo + (hi-lo)*i/n.
func between(lo, hi *apd.Decimal, i, n int64) *apd.Decimal {
	d := new(apd.Decimal)
	drawCtx.Sub(d, hi, lo)
	drawCtx.Mul(d, d, apd.New(i, 0))
	drawCtx.Quo(d, d, apd.New(n, 0))
	drawCtx.Add(d, d, lo)
	return d
}

// valueRange returns the range of a chart's y axis: from zero (or the
// least value, if negative) to the greatest value, one unit wide if empty.
func valueRange(series []Series) (lo, hi *apd.Decimal) {
	lo, hi = new(apd.Decimal), new(apd.Decimal)
	for _, s := range series {
		for _, p := range s.Points {
			if v, ok := decimal(p.Value); ok {
				if v.Cmp(lo) < 0 {
					lo.Set(v)
				}
				if v.Cmp(hi) > 0 {
					hi.Set(v)
				}
			}
		}
	}
	if hi.Cmp(lo) <= 0 {
		drawCtx.Add(hi, lo, apd.New(1, 0))
	}
	return lo, hi
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

// lineCharts returns one chart per unit of series, in order of first
// appearance.
func lineCharts(series []Series) []lineChart {
	var units []string
	byUnit := map[string][]Series{}
	for _, s := range series {
		if _, ok := byUnit[s.Unit]; !ok {
			units = append(units, s.Unit)
		}
		byUnit[s.Unit] = append(byUnit[s.Unit], s)
	}
	out := make([]lineChart, 0, len(units))
	for _, u := range units {
		out = append(out, newLineChart(u, byUnit[u]))
	}
	return out
}

// newLineChart lays out the chart of series of one unit.
func newLineChart(unit string, series []Series) lineChart {
	lo, hi := valueRange(series)
	first, last := timeRange(series)
	t0, t1 := apd.New(first.UnixNano(), 0), apd.New(last.UnixNano(), 0)
	c := lineChart{Unit: unit, XTicks: timeTicks(first, last), YTicks: valueTicks(lo, hi, plotHeight)}
	for i, s := range series {
		l := line{Name: s.Name, Color: palette[i%len(palette)], LegendY: plotTop + 10 + int64(i)*18}
		var pts []string
		for _, p := range s.Points {
			v, ok := decimal(p.Value)
			if !ok {
				continue
			}
			x := plotLeft + position(apd.New(p.Time.UnixNano(), 0), t0, t1, plotWidth, nearest)
			y := plotTop + plotHeight - position(v, lo, hi, plotHeight, nearest)
			pts = append(pts, fmt.Sprintf("%d,%d", x, y))
			if len(s.Points) <= maxDots {
				l.Dots = append(l.Dots, dot{x, y})
			}
		}
		l.Points = strings.Join(pts, " ")
		c.Lines = append(c.Lines, l)
	}
	return c
}

// valueTicks returns the labels of a value axis of px units from lo to hi,
// positions measured downwards from the top of the plot.
func valueTicks(lo, hi *apd.Decimal, px int64) []tick {
	out := make([]tick, 0, yTicks+1)
	for i := range int64(yTicks + 1) {
		out = append(out, tick{Pos: plotTop + px - px*i/yTicks, Label: label(between(lo, hi, i, yTicks))})
	}
	return out
}

// timeTicks returns the labels of the time axis from first to last.
func timeTicks(first, last time.Time) []tick {
	layout := "15:04:05"
	if last.Sub(first) > 24*time.Hour {
		layout = "2006-01-02 15:04"
	}
	span := last.Sub(first)
	out := make([]tick, 0, xTicks+1)
	for i := range int64(xTicks + 1) {
		t := first.Add(span / xTicks * time.Duration(i))
		out = append(out, tick{Pos: plotLeft + plotWidth*i/xTicks, Label: t.UTC().Format(layout)})
	}
	return out
}

// newHistogram lays out the histogram of d.
func newHistogram(d Distribution) histogram {
	h := histogram{Name: d.Name, Unit: d.Unit}
	var vals []*apd.Decimal
	for _, x := range d.Values {
		if v, ok := decimal(x); ok {
			vals = append(vals, v)
		}
	}
	h.N = len(vals)
	if h.N == 0 {
		return h
	}
	lo, hi := extremes(vals)
	h.Min, h.Max = lo.Text('f'), hi.Text('f')
	bins := int64(min(maxBins, h.N))
	if lo.Cmp(hi) == 0 {
		bins = 1
		hi = new(apd.Decimal)
		drawCtx.Add(hi, lo, apd.New(1, 0))
	}
	counts := make([]int, bins)
	for _, v := range vals {
		counts[min(position(v, lo, hi, bins, floor), bins-1)]++
	}
	h.layoutBars(counts, lo, hi)
	return h
}

// layoutBars places the bars of counts, bins of equal width from lo to hi.
func (h *histogram) layoutBars(counts []int, lo, hi *apd.Decimal) {
	bins := int64(len(counts))
	top := int64(max(1, maxOf(counts)))
	w := int64(plotWidth) / bins
	step := int64(1)
	if bins > 6 {
		step = 2
	}
	for i, n := range counts {
		x := plotLeft + int64(i)*w
		bh := int64(plotHeight) * int64(n) / top
		lower, upper := between(lo, hi, int64(i), bins), between(lo, hi, int64(i)+1, bins)
		h.Bars = append(h.Bars, bar{X: x + 1, Y: plotTop + plotHeight - bh, W: w - 2, H: bh, Count: n,
			Range: label(lower) + " to " + label(upper)})
	}
	for i := int64(0); i <= bins; i += step {
		h.XTicks = append(h.XTicks, tick{Pos: plotLeft + i*w, Label: label(between(lo, hi, i, bins))})
	}
	for i := range int64(yTicks + 1) {
		v := top * i / yTicks
		if i > 0 && v == top*(i-1)/yTicks {
			continue // no repeated integer labels for small counts
		}
		h.YTicks = append(h.YTicks, tick{Pos: plotTop + plotHeight - plotHeight*v/top, Label: fmt.Sprint(v)})
	}
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

func maxOf(ns []int) int {
	m := 0
	for _, n := range ns {
		m = max(m, n)
	}
	return m
}
