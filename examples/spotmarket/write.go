package main

import (
	"bufio"
	"os"
	"path/filepath"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

// write writes the stream to dir/events.jsonl, one CloudEvents JSON object
// per line, and the report to dir/report.html. An empty dir writes nothing.
func write(dir string, evs []events.Event, report report.Report) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "events.jsonl"), func(w *bufio.Writer) error {
		return benchkit.WriteJSONL(w, evs)
	}); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "report.html"), func(w *bufio.Writer) error {
		return report.WriteHTML(w)
	})
}

// writeFile creates path and writes it with fill.
func writeFile(path string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
