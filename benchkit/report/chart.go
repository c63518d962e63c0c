package report

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/events"
)

// Chart geometry, in SVG user units. Coordinates are computed with exact
// decimals and rounded to whole units.
const (
	legendHeight = 16  // added above the plot of a chart with a legend
	maxDots      = 60  // a line of more points has its hover targets unseen
	valueTicks   = 6   // at most this many ticks on a value axis
	timeTicks    = 6   // on a time axis
	roundTicks   = 8   // on an axis of rounds
	drawingDigit = 34  // precision of coordinate arithmetic
	maxBins      = 12  // at most this many bars in a histogram
	charWidth    = 7   // the width of a character of a legend, roughly
	maxPlotWidth = 600 // of any frame: a line keeps at most 2 points per unit of it
)

// palette colours the series of a chart, in order.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"}

var drawCtx = apd.BaseContext.WithPrecision(drawingDigit)

// frame is the size of a chart and the box of its plot, in SVG user
// units.
type frame struct {
	W, H                     int64
	Left, Top, Right, Bottom int64
}

// The frames of charts: a wide one, two to a row (the summary's charts,
// and a chart with a legend), and a small one, three to a row (a chart of
// one series, small multiples). The title of the value axis runs above the
// plot, the legend (if any) above it.
var (
	wideFrame  = frame{W: 500, H: 290, Left: 64, Top: 28, Right: 480, Bottom: 240}
	smallFrame = frame{W: 330, H: 220, Left: 60, Top: 28, Right: 308, Bottom: 170}
)

// TickY, XLabelY, XTitleY, XMid and YTitleY place the parts of the axes;
// the template reads them.
func (f frame) TickY() int64   { return f.Bottom + 5 }
func (f frame) XLabelY() int64 { return f.Bottom + 18 }
func (f frame) XTitleY() int64 { return f.H - 8 }
func (f frame) XMid() int64    { return (f.Left + f.Right) / 2 }
func (f frame) YTitleY() int64 { return f.Top - 12 }

// chart is one SVG chart, laid out.
type chart struct {
	Title  string
	Small  bool
	F      frame
	X, Y   axis
	Lines  []line
	Bars   []bar
	Refs   []ref
	Legend []legendItem
}

// axis is an axis of a chart: its title, the name of what it measures
// and its unit, and its ticks.
type axis struct {
	Name, Unit string
	Ticks      []tick
}

// tick is an axis label at a position along its axis.
type tick struct {
	Pos   int64
	Label string
}

// line is one series of a chart: the segments of its polyline ("x,y x,y
// ..."), none if Markers, and a dot per point, each with its value as a
// tooltip; Hover dots are unseen, only hovered.
type line struct {
	Name, Color string
	Segments    []string
	Dots        []dot
	Hover       bool
}

type dot struct {
	X, Y  int64
	Title string
}

// ref is a reference line, such as a limit, labelled where it ends.
type ref struct {
	X1, Y1, X2, Y2 int64
	Label          string
	LX, LY         int64
	Anchor         string
}

type legendItem struct {
	X, Y        int64
	Name, Color string
}

// bar is one bin of a histogram.
type bar struct {
	X, Y, W, H int64
	Title      string
}

// point is a point to plot, with its tooltip.
type point struct {
	X, Y  *apd.Decimal
	Title string
}

// plot is a series to draw.
type plot struct {
	Name   string
	Points []point
	// Markers draws the points alone, without a line.
	Markers bool
	// Gaps breaks the line where X steps by more than one.
	Gaps bool
}

// scale is the range of an axis, from its first tick to its last.
type scale struct{ lo, hi *apd.Decimal }

// decimal returns x as an apd decimal, or false if it is not one.
func decimal(x events.Decimal) (*apd.Decimal, bool) {
	d, err := x.Apd()
	return d, err == nil && x != ""
}

// position maps v in [lo, hi] to [0, px], rounded; a value outside is
// clamped and an empty range maps to 0.
func position(v, lo, hi *apd.Decimal, px int64) int64 {
	num, span, q := new(apd.Decimal), new(apd.Decimal), new(apd.Decimal)
	drawCtx.Sub(span, hi, lo)
	if span.Sign() <= 0 {
		return 0
	}
	drawCtx.Sub(num, v, lo)
	drawCtx.Mul(num, num, apd.New(px, 0))
	drawCtx.Quo(q, num, span)
	drawCtx.RoundToIntegralValue(q, q)
	n, err := q.Int64()
	if err != nil {
		n = px
	}
	return min(max(n, 0), px)
}

func (c *chart) xPos(v *apd.Decimal, s scale) int64 {
	return c.F.Left + position(v, s.lo, s.hi, c.F.Right-c.F.Left)
}

func (c *chart) yPos(v *apd.Decimal, s scale) int64 {
	return c.F.Bottom - position(v, s.lo, s.hi, c.F.Bottom-c.F.Top)
}

// newChart returns an empty chart in f, with room for a legend if it is
// to draw more than one series.
func newChart(title string, f frame, series int) chart {
	c := chart{Title: title, F: f, Small: f == smallFrame}
	if series > 1 {
		c.F.Top += legendHeight
	}
	return c
}

// valueScale sets the value axis of c to cover lo to hi (hi above lo)
// with ticks of 1-2-5 steps, and returns its scale.
func (c *chart) valueScale(lo, hi *apd.Decimal, integer bool) scale {
	ts := niceTicks(lo, hi, valueTicks, integer)
	s := scale{ts[0], ts[len(ts)-1]}
	for _, t := range ts {
		c.Y.Ticks = append(c.Y.Ticks, tick{Pos: c.yPos(t, s), Label: t.Text('f')})
	}
	return s
}

// numberScale sets the horizontal axis of c to cover lo to hi, as
// valueScale does, with at most most ticks.
func (c *chart) numberScale(lo, hi *apd.Decimal, most int, integer bool) scale {
	ts := niceTicks(lo, hi, most, integer)
	s := scale{ts[0], ts[len(ts)-1]}
	for _, t := range ts {
		c.X.Ticks = append(c.X.Ticks, tick{Pos: c.xPos(t, s), Label: t.Text('f')})
	}
	return s
}

// draw lays out plots on the scales x and y, and their legend if there is
// more than one.
func (c *chart) draw(plots []plot, x, y scale) {
	for i, p := range plots {
		l := line{Name: p.Name, Color: palette[i%len(palette)]}
		pix := c.pixels(p, x, y)
		l.Hover = len(pix) > maxDots && !p.Markers
		var seg []string
		for _, q := range pix {
			if q.gap && len(seg) > 0 {
				l.Segments = append(l.Segments, strings.Join(seg, " "))
				seg = nil
			}
			seg = append(seg, fmt.Sprintf("%d,%d", q.X, q.Y))
			l.Dots = append(l.Dots, q.dot)
		}
		if len(seg) > 1 && !p.Markers {
			l.Segments = append(l.Segments, strings.Join(seg, " "))
		}
		c.Lines = append(c.Lines, l)
	}
	if len(plots) < 2 {
		return
	}
	x0 := c.F.Left
	for _, l := range c.Lines {
		c.Legend = append(c.Legend, legendItem{X: x0, Y: 8, Name: l.Name, Color: l.Color})
		x0 += 32 + charWidth*int64(len([]rune(l.Name)))
	}
}

// pixel is a point placed on the chart; gap marks a break in the line
// before it.
type pixel struct {
	dot
	gap bool
}

// pixels places the points of p, keeping at most the lowest and the
// highest of each unit of width when there are more than two per unit.
func (c *chart) pixels(p plot, x, y scale) []pixel {
	out := make([]pixel, 0, len(p.Points))
	var prev *apd.Decimal
	for _, q := range p.Points {
		gap := false
		if p.Gaps && prev != nil {
			d := new(apd.Decimal)
			drawCtx.Sub(d, q.X, prev)
			gap = d.Cmp(apd.New(1, 0)) > 0
		}
		prev = q.X
		out = append(out, pixel{dot{X: c.xPos(q.X, x), Y: c.yPos(q.Y, y), Title: q.Title}, gap})
	}
	if int64(len(out)) <= 2*min(c.F.Right-c.F.Left, maxPlotWidth) {
		return out
	}
	return decimate(out)
}

// decimate keeps, of each run of pixels of one X, the lowest and the
// highest in their order; a kept pixel breaks the line if one it stands
// for did.
func decimate(pix []pixel) []pixel {
	var out []pixel
	for i := 0; i < len(pix); {
		j, lo, hi, gap := i, i, i, false
		for ; j < len(pix) && pix[j].X == pix[i].X; j++ {
			gap = gap || pix[j].gap
			if pix[j].Y > pix[lo].Y { // SVG's y grows downwards
				lo = j
			}
			if pix[j].Y < pix[hi].Y {
				hi = j
			}
		}
		first, second := min(lo, hi), max(lo, hi)
		p := pix[first]
		p.gap = gap
		out = append(out, p)
		if second != first {
			out = append(out, pix[second])
		}
		i = j
	}
	return out
}

// hline returns a horizontal reference line at v on the scale y, labelled
// at its right end on the side with fewer of the points drawn near it.
func (c *chart) hline(v *apd.Decimal, y scale, label string) ref {
	at := c.yPos(v, y)
	above, below := 0, 0
	for _, l := range c.Lines {
		for _, d := range l.Dots {
			switch {
			case d.X < c.F.XMid():
			case d.Y < at && d.Y >= at-16:
				above++
			case d.Y > at && d.Y <= at+16:
				below++
			}
		}
	}
	ly := at - 5
	if below < above {
		ly = at + 14
	}
	return ref{X1: c.F.Left, Y1: at, X2: c.F.Right, Y2: at, Label: label, LX: c.F.Right - 4, LY: ly, Anchor: "end"}
}

// extent returns the least and the greatest of the values of plots,
// starting from lo and hi (the least at most zero).
func extent(plots []plot, lo, hi *apd.Decimal) (*apd.Decimal, *apd.Decimal) {
	lo, hi = new(apd.Decimal).Set(lo), new(apd.Decimal).Set(hi)
	for _, p := range plots {
		for _, q := range p.Points {
			if q.Y.Cmp(lo) < 0 {
				lo.Set(q.Y)
			}
			if q.Y.Cmp(hi) > 0 {
				hi.Set(q.Y)
			}
		}
	}
	if hi.Cmp(lo) <= 0 {
		drawCtx.Add(hi, lo, apd.New(1, 0))
	}
	return lo, hi
}
