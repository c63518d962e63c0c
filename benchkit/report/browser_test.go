//go:build unix

package report_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// browserTimeout bounds one run of Chromium: a browser that hangs fails
// the test rather than the CI job.
const browserTimeout = 2 * time.Minute

// chromium returns the Chromium to run: $CHROMIUM, or Debian's
// /usr/bin/chromium. Without one the test is skipped, unless the
// environment variable CI is set: CI must run it, so there it fails.
func chromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but there is no Chromium at %s (%v): install it (apt-get install chromium) or set CHROMIUM", bin, err)
		}
		t.Skipf("no Chromium at %s (%v); set CHROMIUM to run this test (with CI set, a missing Chromium fails it)", bin, err)
	}
	return path
}

// consoleLine matches a message of a page's console as Chromium logs it
// with --enable-logging=stderr: "[pid:tid:time:INFO:CONSOLE:12] "text",
// source: url (12)" (older versions: "INFO:CONSOLE(12)"). Chromium logs
// every console message at INFO, whatever its level.
var consoleLine = regexp.MustCompile(`^\[[^\]]*:CONSOLE[:(][^\]]*\] (.*)$`)

// browse opens the page at path in headless Chromium with args (what to
// do with it), and returns what Chromium wrote on its standard output and
// the console messages of the page. Chromium runs in a process group of
// its own, killed when it exits or times out.
func browse(t *testing.T, path string, args ...string) (stdout string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, chromium(t), append(append(flags, args...), "file://"+path)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what it left behind
	}
	switch {
	case ctx.Err() != nil && t.Context().Err() == nil:
		t.Fatalf("chromium %s did not finish in %v:\n%s", strings.Join(args, " "), browserTimeout, lastLines(stderr.String(), 20))
	case err != nil:
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, lastLines(stderr.String(), 20))
	}
	t.Logf("chromium %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	for _, l := range strings.Split(stderr.String(), "\n") {
		if m := consoleLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			console = append(console, m[1])
		}
	}
	return out.String(), console
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestReportInBrowser renders the report of a realistic run in headless
// Chromium: the page loads without a console message (it runs no script,
// so any message is Chromium reporting a fault in it), every chart of its
// DOM has its axes, axis titles with units and at least one series with
// values on hover, and a screenshot of it is kept in the test's artifact
// directory (go test -artifacts) and in benchkit/testdata/report.
func TestReportInBrowser(t *testing.T) {
	chromium(t)
	dir := t.ArtifactDir()
	page := filepath.Join(dir, "report.html")
	html := htmlOf(t, runReport(t))
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	charts := strings.Count(html, `<svg class="chart"`)

	dom, console := browse(t, page, "--dump-dom", "--virtual-time-budget=3000")
	if len(console) > 0 {
		t.Errorf("the page logged %d console message(s):\n%s", len(console), strings.Join(console, "\n"))
	}
	root := parseDOM(t, dom)
	svgs := root.findAll(func(n *node) bool { return n.name == "svg" && n.hasClass("chart") })
	if len(svgs) != charts || charts < 8 {
		t.Errorf("the DOM holds %d charts, the page %d; want the same, at least 8", len(svgs), charts)
	}
	for _, svg := range svgs {
		for _, problem := range chartProblems(svg) {
			t.Errorf("chart %q: %s", svg.attr["aria-label"], problem)
		}
	}
	if !strings.Contains(root.text(), "simulated time") {
		t.Errorf("the page does not say that its times are simulated")
	}

	shot := filepath.Join(dir, "report.png")
	_, console = browse(t, page, "--screenshot="+shot, "--window-size=1280,4000", "--virtual-time-budget=3000")
	if len(console) > 0 {
		t.Errorf("the page logged %d console message(s) for its screenshot:\n%s", len(console), strings.Join(console, "\n"))
	}
	checkScreenshot(t, shot, 1280, 4000)
	t.Logf("screenshot: %s", shot)
	keep(t, page, shot)
}

// keptDir is where every run of TestReportInBrowser keeps the page it
// rendered and its screenshot, the artefacts of the test run whether or not
// go test was given -artifacts: benchkit/testdata/report, ignored by git.
var keptDir = filepath.Join("..", "testdata", "report")

// keep copies files into keptDir.
func keep(t *testing.T, files ...string) {
	if err := os.MkdirAll(keptDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(keptDir, "browser-"+filepath.Base(f))
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("kept %s", dst)
	}
}

// TestBrowserDetectsBrokenPages makes sure that the check of
// TestReportInBrowser can fail: Chromium reports a page's faults on its
// console, and browse finds them.
func TestBrowserDetectsBrokenPages(t *testing.T) {
	chromium(t)
	html := htmlOf(t, runReport(t))
	for _, c := range []struct{ name, inject, want string }{
		{"invalid SVG attribute", `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="NaN" cy="5" r="-1"/></svg>`, "attribute"},
		{"script error", `<script>undefinedFunction();</script>`, "undefinedFunction"},
	} {
		t.Run(c.name, func(t *testing.T) {
			page := filepath.Join(t.TempDir(), "broken.html")
			broken := strings.Replace(html, "</body>", c.inject+"</body>", 1)
			if err := os.WriteFile(page, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			_, console := browse(t, page, "--dump-dom", "--virtual-time-budget=3000")
			if len(console) == 0 || !strings.Contains(strings.Join(console, "\n"), c.want) {
				t.Errorf("a broken page (%s) went unnoticed: console %q", c.name, console)
			}
		})
	}
}

// chartProblems returns what a chart of the DOM lacks.
func chartProblems(svg *node) []string {
	var out []string
	for _, name := range []string{"x-axis", "y-axis"} {
		axis := svg.find(func(n *node) bool { return n.name == "g" && n.hasClass(name) })
		switch {
		case axis == nil:
			out = append(out, "no "+name)
			continue
		case axis.find(func(n *node) bool { return n.name == "line" && n.hasClass("axis-line") }) == nil:
			out = append(out, name+" has no line")
		case len(axis.findAll(func(n *node) bool { return n.name == "text" && n.hasClass("tick") && n.text() != "" })) < 2:
			out = append(out, name+" has fewer than two tick labels")
		}
		title := axis.find(func(n *node) bool { return n.name == "text" && n.hasClass("axis-title") })
		if title == nil || title.find(func(n *node) bool { return n.hasClass("unit") && strings.TrimSpace(n.text()) != "" }) == nil {
			out = append(out, name+" has no title with a unit")
		}
	}
	series := svg.findAll(func(n *node) bool { return n.name == "g" && n.hasClass("series") })
	marks := 0
	for _, s := range series {
		for _, m := range s.findAll(func(n *node) bool { return n.name == "circle" || n.name == "rect" }) {
			marks++
			if tip := m.find(func(n *node) bool { return n.name == "title" }); tip == nil || tip.text() == "" {
				out = append(out, "a point or a bar has no value on hover")
				break
			}
		}
	}
	if len(series) == 0 || marks == 0 {
		out = append(out, "no series")
	}
	return out
}

// checkScreenshot checks that path is a PNG of width × height that is not
// blank.
func checkScreenshot(t *testing.T, path string, width, height int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() != width || b.Dy() != height {
		t.Errorf("screenshot %dx%d, want %dx%d", b.Dx(), b.Dy(), width, height)
	}
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y && len(colours) < 10; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r, g, bl}] = true
		}
	}
	if len(colours) < 10 {
		t.Errorf("screenshot %s is nearly blank: %d colours", path, len(colours))
	}
}

// node is an element of a DOM as Chromium dumps it.
type node struct {
	name     string
	attr     map[string]string
	children []*node
	chars    string
}

func (n *node) hasClass(c string) bool { return strings.Contains(" "+n.attr["class"]+" ", " "+c+" ") }

// text returns the text within n.
func (n *node) text() string {
	var b strings.Builder
	b.WriteString(n.chars)
	for _, c := range n.children {
		b.WriteString(c.text())
	}
	return b.String()
}

// find returns the first element within n that ok accepts, or nil.
func (n *node) find(ok func(*node) bool) *node {
	if all := n.findAll(ok); len(all) > 0 {
		return all[0]
	}
	return nil
}

// findAll returns the elements within n that ok accepts, in document
// order.
func (n *node) findAll(ok func(*node) bool) []*node {
	var out []*node
	for _, c := range n.children {
		if ok(c) {
			out = append(out, c)
		}
		out = append(out, c.findAll(ok)...)
	}
	return out
}

// parseDOM parses the HTML serialisation of a DOM.
func parseDOM(t *testing.T, dom string) *node {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(dom))
	dec.Strict, dec.AutoClose, dec.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the DOM Chromium dumped does not parse: %v", err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: strings.ToLower(tok.Name.Local), attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			top.chars += string(tok)
		}
	}
	if len(root.children) == 0 {
		t.Fatalf("Chromium dumped no DOM:\n%s", lastLines(dom, 10))
	}
	return root
}
