package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

// run loads the stream o names, checks it, prints the verdicts to w (as
// text lines, or as one JSON document with o.JSON) and writes the report.
// It returns an error wrapping errFailed if a check or a scenario fails,
// errNotEvaluated if none fails but one is not evaluated, and another
// error if the input is unusable.
func run(ctx context.Context, w io.Writer, o options) error {
	scenarios, err := loadScenarios(o)
	if err != nil {
		return err
	}
	judge, err := o.judge()
	if err != nil {
		return err
	}
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
	checks := report.InvariantVerdicts(evs, o.checkOptions())
	results := evaluate(ctx, scenarios, evs, benchkit.EvalOptions{Agent: o.Agent, Judge: judge, Resources: slices.Sorted(maps.Keys(o.Capacities))})
	rows := append(slices.Clone(checks), scenarioRows(results)...)
	outcome := verdict(checks, results)
	if o.JSON {
		err = writeJSON(w, newDocument(len(evs), outcome, checks, results))
	} else {
		print(w, len(evs), rows)
	}
	if err != nil {
		return err
	}
	if err := writeReport(o.Report, evs, rows); err != nil {
		return err
	}
	return outcome
}

// verdict returns nil if every check and scenario passed, an error
// wrapping errFailed naming those that failed, or else one wrapping
// errNotEvaluated naming those that were not evaluated.
func verdict(checks []report.VerdictRow, results []scenarioResult) error {
	byStatus := map[report.VerdictStatus][]string{}
	for _, c := range checks {
		byStatus[c.Status] = append(byStatus[c.Status], c.Name)
	}
	for _, r := range results {
		s := status(r.Verdict)
		byStatus[s] = append(byStatus[s], "scenario "+r.Scenario)
	}
	if names := byStatus[report.StatusFail]; len(names) > 0 {
		return fmt.Errorf("%w: %s", errFailed, strings.Join(names, ", "))
	}
	if names := byStatus[report.StatusNotEvaluated]; len(names) > 0 {
		return fmt.Errorf("%w: %s", errNotEvaluated, strings.Join(names, ", "))
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
		return readNATS(ctx, o)
	}
	return nil, errors.New("give --events FILE.jsonl or --nats URL --stream NAME")
}

// print writes one line per verdict.
func print(w io.Writer, n int, rows []report.VerdictRow) {
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
func writeReport(dir string, evs []events.Event, rows []report.VerdictRow) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := report.FromStream("verify", evs, lastTime(evs))
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
