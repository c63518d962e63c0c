package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// run loads the stream o names, checks it, prints the verdicts to w and
// writes the report. It returns an error wrapping errFailed if a verdict
// fails, and another error if the input is unusable.
func run(ctx context.Context, w io.Writer, o options) error {
	evs, err := load(ctx, o)
	if err != nil {
		return err
	}
	if o.Correlation != "" {
		evs = benchkit.Filter(evs, o.Correlation)
	}
	if len(evs) == 0 {
		return errors.New("the stream holds no events")
	}
	rows := benchkit.InvariantVerdicts(evs, benchkit.Options{})
	scenarios, err := scenarioVerdicts(ctx, o.Scenarios, evs)
	if err != nil {
		return err
	}
	rows = append(rows, scenarios...)
	print(w, len(evs), rows)
	if err := writeReport(o.Report, evs, rows); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Status == benchkit.StatusFail {
			return fmt.Errorf("%w: %s", errFailed, r.Name)
		}
	}
	return nil
}

// load reads the stream from the file or the NATS server o names.
func load(ctx context.Context, o options) ([]events.Event, error) {
	switch {
	case o.Events != "" && o.NATS != "":
		return nil, errors.New("give --events or --nats, not both")
	case o.Events != "":
		f, err := os.Open(o.Events)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return benchkit.ReadJSONL(f)
	case o.NATS != "":
		if o.Stream == "" {
			return nil, errors.New("--nats needs --stream")
		}
		// Read-only: verify never creates or reconfigures the stream (a
		// live market may be writing to it), and learns the prefix from
		// the stream unless --prefix is given, which must then match.
		tr, err := natstransport.Open(ctx, natstransport.Options{URL: o.NATS, Stream: o.Stream, Prefix: o.Prefix, ReadOnly: true})
		if err != nil {
			return nil, err
		}
		defer tr.Close()
		return tr.ReadAll(ctx)
	}
	return nil, errors.New("give --events FILE.jsonl or --nats URL --stream NAME")
}

// print writes one line per verdict.
func print(w io.Writer, n int, rows []benchkit.VerdictRow) {
	fmt.Fprintf(w, "%d events\n", n)
	for _, r := range rows {
		fmt.Fprintf(w, "%-14s %-9s %s", r.Status, r.Kind, r.Name)
		if r.Detail != "" {
			fmt.Fprintf(w, ": %s", r.Detail)
		}
		fmt.Fprintln(w)
	}
}

// writeReport writes report.json and report.html to dir, if one is given.
// The report is stamped with the time of the stream's last event, so that
// the same stream gives the same report.
func writeReport(dir string, evs []events.Event, rows []benchkit.VerdictRow) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := benchkit.ReportFromStream("verify", evs, lastTime(evs))
	r.Verdicts = rows
	for name, write := range map[string]func(io.Writer) error{"report.json": r.WriteJSON, "report.html": r.WriteHTML} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		err = write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// lastTime returns the latest time of evs.
func lastTime(evs []events.Event) time.Time {
	var t time.Time
	for _, e := range evs {
		if e.Time.After(t) {
			t = e.Time
		}
	}
	return t
}
