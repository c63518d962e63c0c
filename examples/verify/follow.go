package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/report"
	"github.com/scarcitylabs/scarcity/events"
)

// maxFollowEvents bounds the events --follow keeps (those checked, after
// --correlation). Overflow policy: following stops with unusable input
// naming the limit; verify the stream in one pass instead.
const maxFollowEvents = 1 << 24

// follow tails the stream o names until ctx ends: it checks the events the
// stream holds and prints every verdict, then checks the events read so
// far again at most every o.Interval, when new ones were read, and prints
// the verdicts whose status changed, each line headed by the wall-clock
// time and the stream position. When ctx ends (SIGINT or SIGTERM) it
// prints every final verdict, writes the report and returns the outcome as
// run does. An error of the stream's reading ends it as unusable input.
//
// It reads a file as tail -f does (see fileTail), a NATS stream through an
// ephemeral ordered consumer (see tailNATS); neither writes to the stream.
func follow(ctx context.Context, w io.Writer, o options, c checker) error {
	interval := cmp.Or(o.Interval, defaultInterval)
	var t *tail
	switch {
	case o.Events != "" && o.NATS != "":
		return errors.New("give --events or --nats, not both")
	case o.Events != "":
		f, err := openFileTail(o.Events)
		if err != nil {
			return err
		}
		t = startTail(ctx, func(ctx context.Context, send func(batch) bool) { f.run(ctx, interval, send) })
	case o.NATS != "":
		tr, closeNATS, err := openNATS(ctx, o)
		if err != nil {
			return err
		}
		t = startTail(ctx, func(ctx context.Context, send func(batch) bool) {
			defer closeNATS()
			tailNATS(ctx, tr, send)
		})
	default:
		return errors.New("give --events FILE.jsonl or --nats URL --stream NAME")
	}
	defer t.stop()
	f := &follower{w: w, c: c, reportDir: o.Report, limit: maxFollowEvents}
	return f.run(ctx, t, interval)
}

// follower keeps the events read so far, checks them and prints the
// verdicts that changed.
type follower struct {
	w         io.Writer
	c         checker
	reportDir string
	// limit bounds len(evs) (maxFollowEvents).
	limit int

	evs []events.Event
	pos string // the stream position after evs: "seq N" or "line N"
	// fresh reports events read since the last check.
	fresh bool
	// printed is the status each verdict had when last printed, by
	// rowKey.
	printed map[string]report.VerdictStatus
}

// run reads t's batches and checks them, debounced by interval, until ctx
// ends; then it prints the final verdicts.
func (f *follower) run(ctx context.Context, t *tail, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return f.finish(ctx)
		case b, ok := <-t.c:
			switch {
			case ctx.Err() != nil:
				return f.finish(ctx) // the batch may have ended with ctx
			case !ok:
				return errors.New("the stream's reading ended")
			case b.err != nil:
				return b.err
			}
			if err := f.add(b); err != nil {
				return err
			}
			if first { // what the stream held: print every verdict now
				first = false
				f.check(ctx)
			}
		case <-tick.C:
			f.check(ctx)
		}
	}
}

// add keeps the events of b that are checked.
func (f *follower) add(b batch) error {
	f.pos = b.pos
	evs := f.c.filter(b.evs)
	if len(f.evs)+len(evs) > f.limit {
		return fmt.Errorf("--follow keeps at most %d events; the stream has more by %s: verify it without --follow", f.limit, b.pos)
	}
	f.evs = append(f.evs, evs...)
	f.fresh = f.fresh || len(evs) > 0
	return nil
}

// check checks the events read so far, if any arrived since the last
// check, and prints the verdicts whose status changed (all of them the
// first time).
func (f *follower) check(ctx context.Context) {
	if !f.fresh {
		return
	}
	f.fresh = false
	v := f.c.check(ctx, f.evs)
	if ctx.Err() != nil {
		return // a judge may have been stopped: finish checks again
	}
	prefix := f.prefix()
	seen := map[string]int{}
	if f.printed == nil {
		f.printed = map[string]report.VerdictStatus{}
	}
	for _, r := range v.Rows {
		k := rowKey(r, seen)
		if s, ok := f.printed[k]; ok && s == r.Status {
			continue
		}
		f.printed[k] = r.Status
		fmt.Fprintln(f.w, prefix+formatRow(r))
	}
}

// finish checks the events read so far, prints every verdict, writes the
// report and returns the outcome.
func (f *follower) finish(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx) // ctx ended the following, not the final check
	prefix := f.prefix()
	fmt.Fprintf(f.w, "%sfinal: %d events\n", prefix, len(f.evs))
	if len(f.evs) == 0 {
		return errNoEvents
	}
	v := f.c.check(ctx, f.evs)
	for _, r := range v.Rows {
		fmt.Fprintln(f.w, prefix+formatRow(r))
	}
	if err := writeReport(f.reportDir, v.Events, v.Rows); err != nil {
		return err
	}
	return v.Outcome
}

// prefix returns the head of a printed line: the time now and the stream
// position.
func (f *follower) prefix() string {
	return time.Now().Format(time.RFC3339) + " " + cmp.Or(f.pos, "start") + " "
}

// rowKey returns the key of r among the rows of one check, seen counting
// the rows of each name and kind so far: a name repeated (two scenarios
// with one id) keeps its rows apart by their order.
func rowKey(r report.VerdictRow, seen map[string]int) string {
	k := string(r.Kind) + " " + r.Name
	n := seen[k]
	seen[k] = n + 1
	return fmt.Sprintf("%s #%d", k, n)
}
