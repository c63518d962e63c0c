package report

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

var t0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// series returns a series of n points, one a minute.
func series(name, chart, unit string, multiples bool, n int) Series {
	s := Series{Name: name, Chart: chart, Unit: unit, Multiples: multiples}
	for i := range n {
		s.Points = append(s.Points, Point{Time: t0.Add(time.Duration(i) * time.Minute), Value: events.DecimalInt(int64(i % 7))})
	}
	return s
}

// legends returns, per chart of f in the order the page draws them, its
// title and the names of its legend.
func legends(f figures) map[string][]string {
	out := map[string][]string{}
	add := func(c chart) {
		var names []string
		for _, l := range c.Legend {
			names = append(names, l.Name)
		}
		out[c.Title] = names
	}
	for _, c := range []*chart{f.Efficiency, f.Spend, f.Lorenz, f.Histogram} {
		if c != nil {
			add(*c)
		}
	}
	for _, c := range f.Charts {
		add(c)
	}
	for _, g := range f.Multiples {
		for _, c := range g.Charts {
			add(c)
		}
	}
	return out
}

func TestLegendOnlyWithMoreThanOneSeries(t *testing.T) {
	spend := invariant.SpendLimit{Resource: "llm_spend", Limit: 50, Window: time.Hour}
	summary := func(refused int64) *Summary {
		return &Summary{
			RoundEfficiency: []RoundValue{{1, "0.5"}, {2, "1"}}, Efficiency: "0.75",
			Lorenz: []LorenzPoint{{"0", "0"}, {"0.5", "0.25"}, {"1", "1"}},
			Spend: &SpendSummary{Limit: spend, Use: []SpendPoint{
				{Time: t0, Spent: 10}, {Time: t0.Add(time.Minute), Spent: 40, Refused: refused}}},
		}
	}
	for _, c := range []struct {
		name   string
		report Report
		want   map[string][]string
	}{
		{"one series", Report{Series: []Series{series("cpu", "price of cpu", "credits", false, 3)}},
			map[string][]string{"price of cpu": nil}},
		{"two series of one chart", Report{Series: []Series{
			series("cpu", "", "credits", false, 3), series("memory", "", "credits", false, 3)}},
			map[string][]string{"credits": {"cpu", "memory"}}},
		{"small multiples", Report{Series: []Series{
			series("cpu", "utilisation", "share", true, 3), series("memory", "utilisation", "share", true, 3)}},
			map[string][]string{"cpu": nil, "memory": nil}},
		{"summary charts", Report{Summary: summary(0), Distribution: Distribution{Name: "balances", Values: []events.Decimal{"1", "2"}}},
			map[string][]string{
				"allocative efficiency per round": nil, "spend of llm_spend against its limit": nil,
				"Lorenz curve of the agents' final balances": nil, "distribution of balances": nil,
			}},
		{"spend refused", Report{Summary: &Summary{Spend: summary(25).Spend}},
			map[string][]string{"spend of llm_spend against its limit": {"spent in the window", "request refused"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, legends(newFigures(c.report))); diff != "" {
				t.Errorf("legends by chart (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChartsShowValuesOnHover checks that every point and bar of every
// chart has its value as a tooltip.
func TestChartsShowValuesOnHover(t *testing.T) {
	f := newFigures(Report{Series: []Series{series("cpu", "price of cpu", "credits", false, 5)},
		Distribution: Distribution{Name: "balances", Values: []events.Decimal{"1", "2", "7"}}})
	for _, c := range append(f.Charts, *f.Histogram) {
		for _, l := range c.Lines {
			for _, d := range l.Dots {
				if d.Title == "" {
					t.Errorf("%s: a dot of %s has no tooltip", c.Title, l.Name)
				}
			}
		}
		for _, b := range c.Bars {
			if b.Title == "" {
				t.Errorf("%s: a bar has no tooltip", c.Title)
			}
		}
	}
	if got, want := f.Charts[0].Lines[0].Dots[1].Title, "cpu at 09:01:00: 1 credits"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
}

// TestLongSeriesAreThinned checks the bound on the points drawn: at most
// the lowest and the highest of each unit of width.
func TestLongSeriesAreThinned(t *testing.T) {
	s := series("cpu", "", "u", false, 20_000)
	wide, _ := seriesCharts([]Series{s}, "clock")
	l := wide[0].Lines[0]
	width := smallFrame.Right - smallFrame.Left
	if n := int64(len(l.Dots)); n > 2*(width+1) || n < width || !l.Hover {
		t.Errorf("%d dots of 20000 points over %d units (hover %v)", n, width, l.Hover)
	}
}

// TestHistogramBinsAreRound checks that the bins of a histogram are 1, 2
// or 5 times a power of ten wide, and hold every value.
func TestHistogramBinsAreRound(t *testing.T) {
	var vals []events.Decimal
	for i := range 200 {
		vals = append(vals, events.DecimalInt(int64(1+i*119/199)))
	}
	c, caption := histogramChart(Distribution{Name: "balances", Unit: "credits", Values: vals})
	var labels []string
	for _, tk := range c.X.Ticks {
		labels = append(labels, tk.Label)
	}
	if diff := cmp.Diff([]string{"0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100", "110", "120"}, labels); diff != "" {
		t.Errorf("bin edges (-want +got):\n%s", diff)
	}
	var total int
	for _, b := range c.Bars {
		var n, of int
		var lo, hi, unit string
		fmt.Sscanf(b.Title, "%s to %s %s %d of %d", &lo, &hi, &unit, &n, &of)
		total += n
	}
	if total != 200 || caption != "200 values from 1 to 120 credits" {
		t.Errorf("%d values in the bins; caption %q", total, caption)
	}
}
