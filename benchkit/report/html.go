package report

import (
	"html/template"
	"io"
	"time"
)

// WriteHTML writes r as one self-contained HTML page: the verdict table,
// colour-coded by status; a line chart per unit of its series (price and
// utilisation per resource over time, with axes, ticks and a legend); and a
// histogram of its distribution. Styles and charts are inline (SVG drawn
// here); the page loads nothing and runs no script. Every text of r is
// escaped.
func (r Report) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, reportView{
		Report:    r,
		Generated: r.Generated.UTC().Format(time.RFC3339),
		Charts:    lineCharts(r.Series),
		Histogram: newHistogram(r.Distribution),
		Geometry:  geometry,
	})
}

// reportView is what the template draws.
type reportView struct {
	Report
	Generated string
	Charts    []lineChart
	Histogram histogram
	Geometry  chartGeometry
}

// chartGeometry gives the template the chart constants.
type chartGeometry struct {
	Width, Height, Left, Top, Right, Bottom, LegendLeft, TickY, XLabelY, XTitleY int
}

var geometry = chartGeometry{
	Width: chartWidth, Height: chartHeight, Left: plotLeft, Top: plotTop,
	Right: plotLeft + plotWidth, Bottom: plotTop + plotHeight, LegendLeft: legendLeft,
	TickY: plotTop + plotHeight + 5, XLabelY: plotTop + plotHeight + 14, XTitleY: plotTop + plotHeight + 40,
}

var reportTemplate = template.Must(template.New("report").Parse(reportHTML))

// reportHTML is well-formed XML as well as HTML, so that tools of either
// kind can read it.
const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 62em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
p.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.events { font-family: monospace; font-size: 0.85em; word-break: break-all; }
tr.pass td.status { background: #d8f0d8; color: #145214; }
tr.fail td.status { background: #f8d4d4; color: #8a1010; font-weight: bold; }
tr.not_evaluated td.status { background: #eeeeee; color: #555; }
svg { display: block; margin: 0.5em 0; }
svg text { font-size: 11px; fill: #333; }
svg .axis { stroke: #333; stroke-width: 1; }
svg .grid { stroke: #e4e4e4; stroke-width: 1; }
svg .bar { fill: #4a7ebb; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Generated {{.Generated}}</p>

<h2>Verdicts</h2>
{{if .Verdicts}}<table>
<tr><th>Name</th><th>Kind</th><th>Status</th><th>Detail</th><th>Events</th></tr>
{{range .Verdicts}}<tr class="{{.Status}}"><td>{{.Name}}</td><td>{{.Kind}}</td><td class="status">{{.Status}}</td><td>{{.Detail}}</td><td class="events">{{range $i, $e := .Events}}{{if $i}}, {{end}}{{$e}}{{end}}</td></tr>
{{end}}</table>{{else}}<p>No verdicts.</p>{{end}}
{{$g := .Geometry}}
{{range .Charts}}
<h2>{{.Unit}}</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{$g.Width}}" height="{{$g.Height}}" viewBox="0 0 {{$g.Width}} {{$g.Height}}" role="img" aria-label="{{.Unit}} over time">
{{range .YTicks}}<line class="grid" x1="{{$g.Left}}" y1="{{.Pos}}" x2="{{$g.Right}}" y2="{{.Pos}}"/>
<text x="{{$g.Left}}" y="{{.Pos}}" dx="-6" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}{{range .XTicks}}<line class="axis" x1="{{.Pos}}" y1="{{$g.Bottom}}" x2="{{.Pos}}" y2="{{$g.TickY}}"/>
<text x="{{.Pos}}" y="{{$g.XLabelY}}" dy="6" text-anchor="middle">{{.Label}}</text>
{{end}}<line class="axis" x1="{{$g.Left}}" y1="{{$g.Top}}" x2="{{$g.Left}}" y2="{{$g.Bottom}}"/>
<line class="axis" x1="{{$g.Left}}" y1="{{$g.Bottom}}" x2="{{$g.Right}}" y2="{{$g.Bottom}}"/>
<text x="{{$g.Left}}" y="{{$g.XTitleY}}" dx="250" text-anchor="middle">time (UTC)</text>
{{range .Lines}}<polyline fill="none" stroke="{{.Color}}" stroke-width="2" points="{{.Points}}"/>
{{$c := .Color}}{{range .Dots}}<circle cx="{{.X}}" cy="{{.Y}}" r="2.5" fill="{{$c}}"/>{{end}}
<rect x="{{$g.LegendLeft}}" y="{{.LegendY}}" width="14" height="4" fill="{{.Color}}"/>
<text x="{{$g.LegendLeft}}" y="{{.LegendY}}" dx="20" dy="5">{{.Name}}</text>
{{end}}</svg>
{{else}}
<h2>Prices and utilisation</h2>
<p>No series.</p>
{{end}}
<h2>{{with .Histogram.Name}}{{.}}{{else}}Distribution{{end}}</h2>
{{with .Histogram}}{{if .N}}<p class="meta">{{.N}} values from {{.Min}} to {{.Max}}{{with .Unit}} {{.}}{{end}}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{{$g.Width}}" height="{{$g.Height}}" viewBox="0 0 {{$g.Width}} {{$g.Height}}" role="img" aria-label="histogram of {{.Name}}">
{{range .YTicks}}<line class="grid" x1="{{$g.Left}}" y1="{{.Pos}}" x2="{{$g.Right}}" y2="{{.Pos}}"/>
<text x="{{$g.Left}}" y="{{.Pos}}" dx="-6" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}{{range .Bars}}<rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Range}}: {{.Count}}</title></rect>
{{end}}{{range .XTicks}}<line class="axis" x1="{{.Pos}}" y1="{{$g.Bottom}}" x2="{{.Pos}}" y2="{{$g.TickY}}"/>
<text x="{{.Pos}}" y="{{$g.XLabelY}}" dy="6" text-anchor="middle">{{.Label}}</text>
{{end}}<line class="axis" x1="{{$g.Left}}" y1="{{$g.Top}}" x2="{{$g.Left}}" y2="{{$g.Bottom}}"/>
<line class="axis" x1="{{$g.Left}}" y1="{{$g.Bottom}}" x2="{{$g.Right}}" y2="{{$g.Bottom}}"/>
<text x="{{$g.Left}}" y="{{$g.XTitleY}}" dx="250" text-anchor="middle">{{with .Unit}}{{.}}{{else}}value{{end}}</text>
<text x="20" y="{{$g.Top}}" dy="110" text-anchor="middle" transform="rotate(-90 20 130)">count</text>
</svg>{{else}}<p>No values.</p>{{end}}{{end}}
</body>
</html>
`
