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
// With o.Follow it follows the stream instead (see follow). It returns an
// error wrapping errFailed if a check or a scenario fails, errNotEvaluated
// if none fails but one is not evaluated, and another error if the input
// is unusable.
func run(ctx context.Context, w io.Writer, o options) error {
	c, err := newChecker(o)
	if err != nil {
		return err
	}
	if o.Follow {
		return follow(ctx, w, o, c)
	}
	evs, err := load(ctx, o)
	if err != nil {
		return err
	}
	if evs = c.filter(evs); len(evs) == 0 {
		return errNoEvents
	}
	v := c.check(ctx, evs)
	if o.JSON {
		err = writeJSON(w, newDocument(len(v.Events), v.Outcome, v.Checks, v.Results))
	} else {
		print(w, len(v.Events), v.Rows)
	}
	if err != nil {
		return err
	}
	if err := writeReport(o.Report, v.Events, v.Rows); err != nil {
		return err
	}
	return v.Outcome
}

// checker checks streams: the invariant checks and the scenarios of the
// options it was made from.
type checker struct {
	o         options
	scenarios []scenario
	judge     benchkit.Judge
}

// newChecker loads the scenarios and finds the judge program of o.
func newChecker(o options) (checker, error) {
	scenarios, err := loadScenarios(o)
	if err != nil {
		return checker{}, err
	}
	judge, err := o.judge()
	if err != nil {
		return checker{}, err
	}
	return checker{o: o, scenarios: scenarios, judge: judge}, nil
}

// verdicts are the outcome of checking a stream.
type verdicts struct {
	// Events are the events checked.
	Events  []events.Event
	Checks  []report.VerdictRow
	Results []scenarioResult
	// Rows are the checks' rows, then the scenarios'.
	Rows []report.VerdictRow
	// Outcome is nil, or wraps errFailed or errNotEvaluated (see verdict).
	Outcome error
}

// filter returns the events of evs that are checked: all of them, or
// those of the run of --correlation.
func (c checker) filter(evs []events.Event) []events.Event {
	if c.o.Correlation == "" {
		return evs
	}
	return benchkit.Filter(evs, c.o.Correlation)
}

// check runs the invariant checks and evaluates the scenarios over evs,
// which filter returned.
func (c checker) check(ctx context.Context, evs []events.Event) verdicts {
	checks := report.InvariantVerdicts(evs, c.o.checkOptions())
	results := evaluate(ctx, c.scenarios, evs, benchkit.EvalOptions{Agent: c.o.Agent, Judge: c.judge,
		Resources: slices.Sorted(maps.Keys(c.o.Capacities))})
	return verdicts{Events: evs, Checks: checks, Results: results,
		Rows: append(slices.Clone(checks), scenarioRows(results)...), Outcome: verdict(checks, results)}
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
		fmt.Fprintln(w, formatRow(r))
	}
}

// formatRow returns the text line of a verdict, without its newline.
func formatRow(r report.VerdictRow) string {
	s := fmt.Sprintf("%-14s %-9s %s", r.Status, r.Kind, r.Name)
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	return s
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
