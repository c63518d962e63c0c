package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
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
	for i, r := range rounds {
		b := s.Batch(t.Add(time.Duration(i+1) * time.Minute))
		b.Add("cpu", events.PriceUpdate{Resource: "cpu", Round: uint64(i + 1), New: r.cpu, Utilisation: r.ucpu})
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
		names = append(names, s.Unit+"/"+s.Name)
	}
	want := []string{
		"price of cpu (" + report.UnitPrice + ")/cpu", "price of memory (" + report.UnitPrice + ")/memory",
		report.UnitUtilisation + "/cpu", report.UnitUtilisation + "/memory",
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
	if len(r.Distribution.Values) == 0 || len(r.Distribution.Values) != len(r.Distribution.Labels) {
		t.Fatalf("distribution %+v", r.Distribution)
	}
	for i, l := range r.Distribution.Labels {
		if l == "mint" || l == "burn" {
			t.Errorf("distribution holds system account %q = %s", l, r.Distribution.Values[i])
		}
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
	r := report.FromStream(`run <1> & "co"`, marketStream(tb), generated)
	r.Verdicts = []report.VerdictRow{
		{Name: invariant.CreditsConserved, Kind: report.KindInvariant, Status: report.StatusPass},
		{Name: "fc_001", Kind: report.KindScenario, Status: report.StatusFail,
			Detail: `no "tool_call_initiated" with tool_name market.bid <script>alert(1)</script>`, Events: []string{"e1", "e2"}},
		{Name: "judge", Kind: report.KindRule, Status: report.StatusNotEvaluated, Detail: "no judge_evaluation"},
	}
	return r
}

func TestReportJSONRoundTrip(t *testing.T) {
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"value": 0`) {
		t.Errorf("a value is a JSON number:\n%s", buf.String())
	}
	var back report.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
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
	for name, want := range map[string]int{"svg": 4, "polyline": 4, "script": 0, "table": 1, "tr": 4, "style": 1} {
		if n[name] != want {
			t.Errorf("%d <%s> elements, want %d", n[name], name, want)
		}
	}
	if n["rect"] == 0 || n["circle"] != 12 || n["text"] < 20 {
		t.Errorf("charts lack bars, dots or labels: %v", n)
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
		report.UnitPrice, report.UnitUtilisation, "agent balances", ">cpu</text>", ">memory</text>",
		">12:01:00</text>", ">12:03:00</text>", ">0.0025</text>", "Generated 2025-06-01T13:00:00Z",
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
	if n["svg"] != 0 || !strings.Contains(page, "No verdicts.") || !strings.Contains(page, "No series.") || !strings.Contains(page, "No values.") {
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
	if n["svg"] != 2 || n["polyline"] != 2 {
		t.Errorf("elements %v", n)
	}
	if !strings.Contains(page, "3 values from 7 to 7") {
		t.Errorf("histogram caption missing:\n%s", page)
	}
}
