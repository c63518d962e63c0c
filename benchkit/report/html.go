package report

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"
)

// WriteHTML writes r as one self-contained HTML page that tells the run's
// story: its settings; its summary (rounds, volume and prices per
// resource, revenue, efficiency, refusals, terminations, spend, survivors
// and credits per strategy, Gini); the verdict table, colour-coded by
// status; and SVG charts drawn here — efficiency per round, a chart per
// resource's price, utilisation as small multiples, spend against its
// limit, the Lorenz curve and the histogram of balances. Axes have ticks
// at 1-2-5 steps (round times on a time axis) and titles with units; a
// chart of more than one series has a legend; every point and bar shows
// its value on hover (an SVG title). Styles are inline; the page loads
// nothing and runs no script. Every text of r is escaped.
func (r Report) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, newReportView(r))
}

// reportView is what the template draws.
type reportView struct {
	Report
	Generated, Start, End string
	Simulated             bool
	Settings              []row
	Resources             []resourceRow
	Figures               figures
}

// row is a labelled value of a table.
type row struct{ Label, Value string }

// resourceRow is a resource of the summary, with its unit and capacity
// from the settings.
type resourceRow struct {
	ResourceSummary
	Unit     string
	Capacity string
}

func newReportView(r Report) reportView {
	v := reportView{Report: r, Generated: r.Generated.UTC().Format(time.RFC3339), Figures: newFigures(r)}
	v.Simulated = r.Settings != nil && r.Settings.SimulatedClock
	if s := r.Settings; s != nil {
		v.Settings = settingRows(*s)
	}
	if s := r.Summary; s != nil {
		v.Start, v.End = s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339)
		for _, res := range s.Resources {
			rr := resourceRow{ResourceSummary: res, Unit: r.Settings.unitOf(res.Name)}
			if c := capacityOf(r.Settings, res.Name); c > 0 {
				rr.Capacity = strconv.FormatInt(c, 10)
			}
			v.Resources = append(v.Resources, rr)
		}
	}
	return v
}

// settingRows returns the rows of the settings s states.
func settingRows(s Settings) []row {
	var rows []row
	add := func(label, value string) {
		if value != "" {
			rows = append(rows, row{label, value})
		}
	}
	add("Mechanism", s.Mechanism)
	add("Reserve-price rule", s.Reserve)
	if s.Agents > 0 {
		add("Agents", strconv.Itoa(s.Agents))
	}
	if s.Duration > 0 {
		d := shortDuration(s.Duration)
		if s.SimulatedClock {
			d += " of simulated time"
		}
		add("Duration", d)
	}
	if s.Seed != 0 {
		add("Seed", strconv.FormatUint(s.Seed, 10))
	}
	add("Transport", s.Transport)
	if l := s.Spend; l != nil {
		unit := s.unitOf(l.Resource)
		if unit == "" {
			unit = "units"
		}
		add("Spend limit", fmt.Sprintf("%d %s of %s in any %s", l.Limit, unit, l.Resource, shortDuration(l.Window)))
	}
	if n := len(s.Strategies); n > 0 {
		add("Strategies", fmt.Sprintf("named for %d agents", n))
	}
	return rows
}

// capacityOf returns the capacity s gives resource, or 0.
func capacityOf(s *Settings, resource string) int64 {
	if s == nil {
		return 0
	}
	for _, r := range s.Resources {
		if r.Name == resource {
			return r.Capacity
		}
	}
	return 0
}

var reportTemplate = template.Must(template.New("report").Parse(chartHTML + reportHTML))

// chartHTML draws a chart: its grid, its axes (ticks, labels and a title
// with the unit in a tspan of class unit), its reference lines, its
// series (class series: lines with dots, or bars, each with its value as
// a title) and, if it has more than one series, its legend.
const chartHTML = `{{define "chart"}}<figure class="{{if .Small}}small{{else}}wide{{end}}">
<figcaption>{{.Title}}</figcaption>
<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{{.F.W}}" height="{{.F.H}}" viewBox="0 0 {{.F.W}} {{.F.H}}" role="img" aria-label="{{.Title}}">
<g class="grid">{{range .Y.Ticks}}<line x1="{{$.F.Left}}" y1="{{.Pos}}" x2="{{$.F.Right}}" y2="{{.Pos}}"/>{{end}}</g>
<g class="axis x-axis"><line class="axis-line" x1="{{.F.Left}}" y1="{{.F.Bottom}}" x2="{{.F.Right}}" y2="{{.F.Bottom}}"/>
{{range .X.Ticks}}<line class="tick-mark" x1="{{.Pos}}" y1="{{$.F.Bottom}}" x2="{{.Pos}}" y2="{{$.F.TickY}}"/><text class="tick" x="{{.Pos}}" y="{{$.F.XLabelY}}" text-anchor="middle">{{.Label}}</text>
{{end}}<text class="axis-title" x="{{.F.XMid}}" y="{{.F.XTitleY}}" text-anchor="middle">{{.X.Name}}{{with .X.Unit}} <tspan class="unit">({{.}})</tspan>{{end}}</text></g>
<g class="axis y-axis"><line class="axis-line" x1="{{.F.Left}}" y1="{{.F.Top}}" x2="{{.F.Left}}" y2="{{.F.Bottom}}"/>
{{range .Y.Ticks}}<text class="tick" x="{{$.F.Left}}" y="{{.Pos}}" dx="-6" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}<text class="axis-title" x="4" y="{{.F.YTitleY}}">{{if .Y.Name}}{{.Y.Name}}{{with .Y.Unit}} <tspan class="unit">({{.}})</tspan>{{end}}{{else}}<tspan class="unit">{{.Y.Unit}}</tspan>{{end}}</text></g>
{{range .Refs}}<g class="ref"><line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}"/><text x="{{.LX}}" y="{{.LY}}" text-anchor="{{.Anchor}}">{{.Label}}</text></g>
{{end}}{{if .Bars}}<g class="series bars">{{range .Bars}}<rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Title}}</title></rect>{{end}}</g>
{{end}}{{range .Lines}}{{$c := .Color}}{{$hover := .Hover}}<g class="series">{{range .Segments}}<polyline fill="none" stroke="{{$c}}" stroke-width="2" points="{{.}}"/>{{end}}
{{range .Dots}}<circle class="{{if $hover}}hover{{else}}dot{{end}}" cx="{{.X}}" cy="{{.Y}}" r="{{if $hover}}4{{else}}3{{end}}" fill="{{$c}}"><title>{{.Title}}</title></circle>{{end}}</g>
{{end}}{{with .Legend}}<g class="legend">{{range .}}<rect x="{{.X}}" y="{{.Y}}" width="14" height="4" fill="{{.Color}}"/><text x="{{.X}}" y="{{.Y}}" dx="19" dy="5">{{.Name}}</text>{{end}}</g>
{{end}}</svg>
</figure>
{{end}}`

// reportHTML is well-formed XML as well as HTML, so that tools of either
// kind can read it.
const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 66em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
p.meta { color: #666; margin-top: 0; }
p.clock { background: #fff8e0; border-left: 4px solid #e0b000; padding: 0.4em 0.8em; }
p.problem { background: #f8d4d4; padding: 0.4em 0.8em; }
table { border-collapse: collapse; width: 100%; }
table.settings { width: auto; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.events { font-family: monospace; font-size: 0.85em; word-break: break-all; }
tr.pass td.status { background: #d8f0d8; color: #145214; }
tr.fail td.status { background: #f8d4d4; color: #8a1010; font-weight: bold; }
tr.not_evaluated td.status { background: #eeeeee; color: #555; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 0.6em; margin: 0.6em 0 1em; }
.figure { border: 1px solid #ddd; border-radius: 4px; padding: 0.4em 0.6em; }
.figure .label { color: #666; font-size: 0.85em; }
.figure .value { font-size: 1.3em; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 0.5em 1em; }
figure { margin: 0; }
figcaption { font-size: 0.9em; font-weight: bold; color: #333; }
span.unit { color: #666; font-weight: normal; }
svg { display: block; margin: 0.2em 0 0.6em; }
svg text { font-size: 11px; fill: #333; }
svg .axis-line, svg .tick-mark { stroke: #333; stroke-width: 1; }
svg .grid line { stroke: #e4e4e4; stroke-width: 1; }
svg .axis-title { font-size: 12px; }
svg .axis-title .unit { fill: #666; }
svg .ref line { stroke: #888; stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .ref text { fill: #555; font-style: italic; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg .bar { fill: #4a7ebb; }
svg .bar:hover, svg .dot:hover { opacity: 0.7; }
svg .hover { fill-opacity: 0; }
svg .hover:hover { fill-opacity: 1; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Generated {{.Generated}}{{with .Summary}} · {{.Events}} events from {{$.Start}} to {{$.End}}{{end}}</p>
<p class="clock">{{if .Simulated}}Every time in this report is <strong>simulated time</strong>: the market's simulated clock (UTC), as its events record it, not when the run took place.{{else}}Every time in this report is the market's clock (UTC), as its events record it.{{end}} Hover over a point or a bar to read its value.</p>
{{with .Settings}}
<h2>Settings</h2>
<table class="settings">
{{range .}}<tr><th>{{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{with .Summary}}
<h2>Summary</h2>
{{with .Problem}}<p class="problem">Some figures are missing: {{.}}</p>
{{end}}<div class="figures">
<div class="figure"><div class="label">clearing rounds</div><div class="value">{{.Rounds}}</div></div>
<div class="figure"><div class="label">revenue (credits)</div><div class="value">{{.Revenue}}</div></div>
<div class="figure"><div class="label">allocative efficiency, all rounds</div><div class="value">{{with .Efficiency}}{{.}}{{else}}n/a{{end}}</div></div>
<div class="figure"><div class="label">Gini of final balances</div><div class="value">{{with .Gini}}{{.}}{{else}}n/a{{end}}</div></div>
<div class="figure"><div class="label">bids rejected</div><div class="value">{{.Rejections.Total}}</div></div>
<div class="figure"><div class="label">service denied</div><div class="value">{{.Denials.Total}}</div></div>
<div class="figure"><div class="label">spend limit reached</div><div class="value">{{with .Spend}}{{.Refusals}}{{else}}n/a{{end}}</div></div>
<div class="figure"><div class="label">agents terminated</div><div class="value">{{.Terminations.Total}}</div></div>
</div>
{{if $.Resources}}<h3>Resources</h3>
<table class="resources">
<tr><th>resource</th><th>unit</th><th class="num">capacity</th><th class="num">volume allocated (Σ rounds)</th><th class="num">lowest clearing price</th><th class="num">highest</th><th class="num">last</th></tr>
{{range $.Resources}}<tr><td>{{.Name}}</td><td>{{.Unit}}</td><td class="num">{{.Capacity}}</td><td class="num">{{.Volume}}</td><td class="num">{{.Low}}</td><td class="num">{{.High}}</td><td class="num">{{.Last}}</td></tr>
{{end}}</table>
<p class="meta">Clearing prices in credits per unit per second.</p>
{{end}}<h3>Refusals and terminations</h3>
<table class="refusals">
<tr><th>event</th><th class="num">count</th><th>by</th></tr>
<tr><td>bid_rejected</td><td class="num">{{.Rejections.Total}}</td><td>{{range $i, $k := .Rejections.Keys}}{{if $i}}, {{end}}{{$k}} {{index $.Summary.Rejections.By $k}}{{end}}</td></tr>
<tr><td>service_denied</td><td class="num">{{.Denials.Total}}</td><td>{{range $i, $k := .Denials.Keys}}{{if $i}}, {{end}}{{$k}} {{index $.Summary.Denials.By $k}}{{end}}</td></tr>
{{with .Spend}}<tr><td>spend_limit_reached</td><td class="num">{{.Refusals}}</td><td>{{.Refused}} units of {{.Limit.Resource}} refused; at most {{.Peak}} of {{.Limit.Limit}} spent in a window</td></tr>
{{end}}<tr><td>agent_terminated</td><td class="num">{{.Terminations.Total}}</td><td>{{range $i, $k := .Terminations.Keys}}{{if $i}}, {{end}}{{$k}} {{index $.Summary.Terminations.By $k}}{{end}}</td></tr>
</table>
{{if .Strategies}}<h3>Agents by strategy</h3>
<table class="strategies">
<tr><th>strategy</th><th class="num">agents</th><th class="num">survivors</th><th class="num">terminated</th><th class="num">credits left</th></tr>
{{range .Strategies}}<tr><td>{{.Strategy}}</td><td class="num">{{.Agents}}</td><td class="num">{{.Survivors}}</td><td class="num">{{.Terminated}}</td><td class="num">{{.Credits}}</td></tr>
{{end}}</table>
<p class="meta">A survivor was never terminated and ends the run with credits.</p>
{{end}}{{end}}
<h2>Verdicts</h2>
{{if .Verdicts}}<table>
<tr><th>Name</th><th>Kind</th><th>Status</th><th>Detail</th><th>Events</th></tr>
{{range .Verdicts}}<tr class="{{.Status}}"><td>{{.Name}}</td><td>{{.Kind}}</td><td class="status">{{.Status}}</td><td>{{.Detail}}</td><td class="events">{{range $i, $e := .Events}}{{if $i}}, {{end}}{{$e}}{{end}}</td></tr>
{{end}}</table>{{else}}<p>No verdicts.</p>{{end}}
{{with .Figures}}{{if or .Efficiency .Spend}}
<h2>Efficiency and spend</h2>
<div class="charts">
{{with .Efficiency}}{{template "chart" .}}{{end}}{{with .Spend}}{{template "chart" .}}{{end}}</div>
{{end}}
<h2>Over time</h2>
{{if .Charts}}<div class="charts">
{{range .Charts}}{{template "chart" .}}{{end}}</div>
{{end}}{{range .Multiples}}<h3>{{.Title}}{{with .Unit}} <span class="unit">({{.}})</span>{{end}}</h3>
<div class="charts">
{{range .Charts}}{{template "chart" .}}{{end}}</div>
{{end}}{{if not (or .Charts .Multiples)}}<p>No series.</p>
{{end}}
<h2>Balances</h2>
{{if .Histogram}}<p class="meta">{{.Values}}</p>
{{end}}{{if or .Lorenz .Histogram}}<div class="charts">
{{with .Lorenz}}{{template "chart" .}}{{end}}{{with .Histogram}}{{template "chart" .}}{{end}}</div>
{{else}}<p>No values.</p>
{{end}}{{end}}</body>
</html>
`
