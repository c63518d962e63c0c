package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

var writeReport = flag.Bool("report", false, "write the sample report to benchkit/testdata/report/sample.html")

// generated is the time the test reports are made at.
var generated = time.Date(2025, 6, 1, 13, 0, 0, 0, time.UTC)

// marketStream returns a stream of three clearing rounds of cpu and memory
// over the ledger stream of validStream.
func marketStream(tb testing.TB) []events.Event {
	evs := streamtest.ValidStream(tb).Events()
	s := events.NewSequencer(events.SourceMarket, "run-1", 1000)
	t := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	rounds := []struct{ cpu, mem, ucpu, umem events.Decimal }{
		{"0.001", "0.00001", "0.2", "0.1"},
		{"0.0015", "0.00001", "0.6", "0.3"},
		{"0.0025", "0.00002", "0.95", "0.5"},
	}
	old := events.Decimal("0.001")
	for i, r := range rounds {
		b := s.Batch(t.Add(time.Duration(i+1) * time.Minute))
		b.Add("cpu", events.PriceUpdate{Resource: "cpu", Round: uint64(i + 1), Old: old, New: r.cpu, Utilisation: r.ucpu})
		old = r.cpu
		b.Add("", &events.MarketCleared{Round: uint64(i + 1),
			Prices:      map[string]events.Decimal{"cpu": r.cpu, "memory": r.mem},
			Utilisation: map[string]events.Decimal{"cpu": r.ucpu, "memory": r.umem}})
		evs = append(evs, b.Events()...)
		if err := b.Publish(context.Background(), events.Discard); err != nil {
			tb.Fatal(err)
		}
	}
	return evs
}

func TestReportFromStream(t *testing.T) {
	r := report.FromStream("run-1", marketStream(t), generated)
	if r.Title != "run-1" || !r.Generated.Equal(generated) || len(r.Verdicts) != 0 {
		t.Errorf("report header %q %v %v", r.Title, r.Generated, r.Verdicts)
	}
	var names []string
	for _, s := range r.Series {
		names = append(names, fmt.Sprintf("%s/%s/%s/%v", s.Chart, s.Unit, s.Name, s.Multiples))
	}
	want := []string{
		"price of cpu/" + report.UnitPrice + "/cpu/false", "price of memory/" + report.UnitPrice + "/memory/false",
		"utilisation/" + report.UnitUtilisation + "/cpu/true", "utilisation/" + report.UnitUtilisation + "/memory/true",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
	var cpu []events.Decimal
	for _, p := range r.Series[0].Points {
		cpu = append(cpu, p.Value)
	}
	if diff := cmp.Diff([]events.Decimal{"0.001", "0.0015", "0.0025"}, cpu); diff != "" {
		t.Errorf("cpu prices, one per round (-want +got):\n%s", diff)
	}
	if r.Settings != nil || r.Summary == nil || r.Summary.Rounds != 3 {
		t.Errorf("settings %v, summary %+v; want none, and 3 rounds", r.Settings, r.Summary)
	}
	if len(r.Distribution.Values) == 0 || len(r.Distribution.Values) != len(r.Distribution.Labels) {
		t.Fatalf("distribution %+v", r.Distribution)
	}
	for i, l := range r.Distribution.Labels {
		if l == "mint" || l == "burn" {
			t.Errorf("distribution holds system account %q = %s", l, r.Distribution.Values[i])
		}
	}
}

func TestReportFromRun(t *testing.T) {
	s := report.Settings{Mechanism: "greedy", Agents: 2, Duration: time.Hour, Seed: 3,
		Transport: "nats://alice:s3cret@nats.example:4222,nats://token@backup:4222", SimulatedClock: true,
		Resources: report.ResourcesOf(runResources...), Strategies: map[string]string{"alice": "truthful"}}
	r := report.FromRun("run-1", marketStream(t), generated, s)
	if r.Settings.Transport != "nats://nats.example:4222,nats://backup:4222" {
		t.Errorf("transport %q keeps its credentials", r.Settings.Transport)
	}
	s.Strategies["alice"] = "changed"
	s.Resources[0].Unit = "changed"
	if r.Settings.Strategies["alice"] != "truthful" || r.Settings.Resources[0].Unit != "percent" {
		t.Errorf("the report shares its settings with the caller: %+v", r.Settings)
	}
	if got := r.Series[0].Unit; got != "credits/(percent·s)" {
		t.Errorf("unit of the price of cpu %q, want credits/(percent·s)", got)
	}
	if got := report.FromRun("r", nil, generated, report.Settings{Transport: "embedded"}).Settings.Transport; got != "embedded" {
		t.Errorf("transport %q, want embedded", got)
	}
}

func TestReportBalancesAreTheLastReported(t *testing.T) {
	b := streamtest.NewLedger(t, "alice", "bob")
	b.Mint("alice", 10000)
	b.Transfer("alice", "bob", 2550)
	r := report.FromStream("r", b.Events(), generated)
	want := report.Distribution{Name: "agent balances", Unit: report.UnitCredits,
		Labels: []string{"alice", "bob"}, Values: []events.Decimal{streamtest.Cents(7450), streamtest.Cents(2550)}}
	if diff := cmp.Diff(want, r.Distribution); diff != "" {
		t.Errorf("distribution (-want +got):\n%s", diff)
	}
}

// sampleReport is a report with every part set, and text that needs
// escaping.
func sampleReport(tb testing.TB) report.Report {
	r := report.FromRun(`run <1> & "co"`, marketStream(tb), generated, report.Settings{
		Mechanism: "greedy <b>", Agents: 2, Duration: 3 * time.Minute, Seed: 1, SimulatedClock: true,
		Resources: report.ResourcesOf(runResources...), Spend: runSpend,
		Strategies: map[string]string{"alice": "truthful", "bob": "<shading>"},
	})
	r.Verdicts = []report.VerdictRow{
		{Name: invariant.CreditsConserved, Kind: report.KindInvariant, Status: report.StatusPass},
		{Name: "fc_001", Kind: report.KindScenario, Status: report.StatusFail,
			Detail: `no "tool_call_initiated" with tool_name market.bid <script>alert(1)</script>`, Events: []string{"e1", "e2"}},
		{Name: "judge", Kind: report.KindRule, Status: report.StatusNotEvaluated, Detail: "no judge_evaluation"},
	}
	return r
}

func TestReportJSONRoundTrip(t *testing.T) {
	for name, r := range map[string]report.Report{"sample": sampleReport(t), "run": runReport(t)} {
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		for _, number := range []string{`"value": 0`, `"revenue": 0`, `"gini": 0`, `"credits": 0`} {
			if strings.Contains(buf.String(), number) {
				t.Errorf("%s: an exact value is a JSON number (%s):\n%s", name, number, buf.String())
			}
		}
		for _, key := range []string{`"settings"`, `"summary"`, `"strategies"`, `"rounds"`} {
			if !strings.Contains(buf.String(), key) {
				t.Errorf("%s: the JSON lacks %s", name, key)
			}
		}
		var back report.Report
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, back); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", name, diff)
		}
	}
}

// htmlOf renders r or fails tb.
func htmlOf(tb testing.TB, r report.Report) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

// xmlElements parses page as XML and counts its elements by name.
func xmlElements(tb testing.TB, page string) map[string]int {
	tb.Helper()
	dec := xml.NewDecoder(strings.NewReader(page))
	n := map[string]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatalf("report is not well-formed: %v", err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			n[s.Name.Local]++
		}
	}
}

func TestReportHTML(t *testing.T) {
	page := htmlOf(t, sampleReport(t))
	n := xmlElements(t, page)
	// Charts: the price of cpu and of memory, their utilisation, the
	// Lorenz curve and the histogram of balances. Tables: settings,
	// resources, refusals, strategies, verdicts.
	for name, want := range map[string]int{"svg": 6, "polyline": 5, "script": 0, "table": 5, "style": 1, "figure": 6} {
		if n[name] != want {
			t.Errorf("%d <%s> elements, want %d", n[name], name, want)
		}
	}
	// 3 points of 4 lines, 3 of the Lorenz curve of 2 agents; a title for
	// each, and for each bar.
	if n["rect"] == 0 || n["circle"] != 15 || n["title"] != 1+15+n["rect"] || n["text"] < 40 {
		t.Errorf("charts lack bars, dots, tooltips or labels: %v", n)
	}
	outside := strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
	for _, bad := range []string{"http://", "https://", "<script", "@import", "url(", "<link", "<img", "src="} {
		if strings.Contains(outside, bad) {
			t.Errorf("report holds %q", bad)
		}
	}
	for _, want := range []string{
		`<tr class="fail">`, `<tr class="pass">`, `<tr class="not_evaluated">`,
		"run &lt;1&gt; &amp; &#34;co&#34;", "&lt;script&gt;alert(1)&lt;/script&gt;",
		"credits/(percent·s)", report.UnitUtilisation, "agent balances", "<figcaption>cpu</figcaption>",
		"<figcaption>price of memory</figcaption>", "greedy &lt;b&gt;", "&lt;shading&gt;", "simulated time",
		`time <tspan class="unit">(simulated clock, UTC)</tspan>`, "Lorenz curve",
		">12:01:00</text>", ">12:03:00</text>", ">0.0025</text>", "Generated 2025-06-01T13:00:00Z",
		"cpu at 12:02:00: 0.0015 credits/(percent·s)", "500 cent of llm_spend in any 1h",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if *writeReport {
		dir := filepath.Join("..", "testdata", "report") // benchkit/testdata/report, ignored by git
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "sample.html"), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReportHTMLEmpty(t *testing.T) {
	page := htmlOf(t, report.Report{Title: "empty", Generated: generated})
	n := xmlElements(t, page)
	if n["svg"] != 0 || !strings.Contains(page, "No verdicts.") || !strings.Contains(page, "No series.") || !strings.Contains(page, "No values.") ||
		strings.Contains(page, "Settings") || strings.Contains(page, "Summary") {
		t.Errorf("empty report:\n%s", page)
	}
}

func TestReportHTMLOddValues(t *testing.T) {
	r := report.Report{Title: "odd", Generated: generated,
		Series: []report.Series{
			{Name: "one point", Unit: "u", Points: []report.Point{{Time: generated, Value: "5"}}},
			{Name: "negative", Unit: "u", Points: []report.Point{{Time: generated, Value: "-3"}, {Time: generated.Add(time.Hour), Value: "bad"}}},
		},
		Distribution: report.Distribution{Name: "same", Values: []events.Decimal{"7", "7", "7"}},
	}
	page := htmlOf(t, r)
	n := xmlElements(t, page)
	// One chart of two series of one point each (the bad value left
	// out), with a legend; the histogram.
	if n["svg"] != 2 || n["polyline"] != 0 || n["circle"] != 2 || !strings.Contains(page, `class="legend"`) {
		t.Errorf("elements %v", n)
	}
	if !strings.Contains(page, "3 values from 7 to 7") {
		t.Errorf("histogram caption missing:\n%s", page)
	}
}
