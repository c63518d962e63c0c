// Command verify checks a market's event stream from the stream alone: it
// replays the stream, runs benchkit's invariant checks and the given
// scenarios, prints the verdicts and writes a report.
//
//	go run ./examples/verify [flags] --events FILE.jsonl
//	go run ./examples/verify [flags] --nats URL --stream NAME
//	go run ./examples/verify [flags] --follow (--events FILE.jsonl | --nats URL --stream NAME)
//
// It takes no positional arguments: one is a usage error (exit status 2).
//
// The flags (go run ./examples/verify -h lists them all):
//
//   - --scenario FILE (repeatable) evaluates a JSON scenario over the
//     stream; --strict loads it strictly (an unknown key, such as a
//     misspelt rule, is unusable input); --agent NAME is the agent under
//     test; --judge CMD scores its judge rules by running CMD (see below).
//   - --capacity RESOURCE=N (repeatable) gives a resource's capacity, for
//     capacity_respected, and --spend RESOURCE=LIMIT/WINDOW the spend
//     limit, for spend_within_limit when the stream does not state it;
//     without them those checks are not evaluated.
//   - --correlation ID checks only the run with that correlation id.
//   - --json prints one JSON document instead of text lines; --report DIR
//     writes report.json and report.html.
//   - --follow tails the stream (see below), checking it at most every
//     --interval DURATION (default 1s).
//   - --creds FILE, or --user USER with the password in the environment
//     variable VERIFY_PASSWORD or in --password-file FILE, authenticate to
//     NATS. A password is never given on the command line.
//
// With --nats, verify opens the stream read-only: it never creates the
// stream or changes its configuration, so it is safe against a live market.
// The stream must exist; its subject prefix is learned from the stream's
// subjects, and --prefix, if given, must match it.
//
// --judge CMD runs a benchkit.ProgramJudge: CMD is split on white space
// into the program and its arguments (no shell, no quoting), and the
// program answers on stdout as ProgramJudge's documentation says. Without
// --judge a judge rule is decided by the stream's judge_evaluation events.
//
// --follow tails a live stream: verify checks the events the stream holds
// and prints every verdict, then, while new events arrive, checks the
// events read so far again at most every --interval (by the wall clock) and
// prints only the verdicts whose status changed, each line headed by the
// time and the stream position ("seq N" over NATS, "line N" in a file):
//
//	2025-06-01T10:00:00Z seq 42 pass           scenario  t1
//
// Over NATS it reads the stream from its start (natstransport's ReadFrom),
// then subscribes from the next sequence (Subscribe): both go through
// ephemeral ordered consumers, in memory and unacknowledged, and write
// nothing to the stream. A file is read to its end, then polled every
// --interval for appended lines, as tail -f does. SIGINT or SIGTERM stops
// it: it prints every final verdict (after a "final: N events" line),
// writes the --report, and exits with the final verdicts' status. --json
// does not go with --follow.
//
// The exit status (exitStatuses):
//
//	0  every check and every scenario passes
//	1  a check or a scenario fails
//	2  unusable input: a bad flag or a stray argument, a malformed stream
//	   or scenario, an unreachable server (with the reason)
//	3  nothing failed, but a check or a scenario was not evaluated
//	   (such as capacity_respected without --capacity)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// The exit statuses. exitStatuses says what each means; the usage prints
// it.
const (
	exitPass         = 0
	exitFail         = 1
	exitUnusable     = 2
	exitNotEvaluated = 3
)

// exitStatuses are the exit statuses and their meanings, in order.
var exitStatuses = []struct {
	Code    int
	Meaning string
}{
	{exitPass, "every check and every scenario passes"},
	{exitFail, "a check or a scenario fails"},
	{exitUnusable, "unusable input: a bad flag or a stray argument, a malformed stream or scenario, an unreachable server"},
	{exitNotEvaluated, "nothing failed, but a check or a scenario was not evaluated (such as capacity_respected without --capacity)"},
}

// errFailed reports a check or a scenario that failed, errNotEvaluated one
// that was not evaluated while none failed; any other error, such as
// errNoEvents, is unusable input.
var (
	errFailed       = errors.New("verification failed")
	errNotEvaluated = errors.New("not evaluated")
	errNoEvents     = errors.New("the stream holds no events")
)

func main() {
	os.Exit(cli(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// cli runs verify with the command-line arguments args and the environment
// getenv, and returns its exit status.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parseArgs(args, stderr, getenv)
	switch {
	case errors.Is(err, errHelp):
		return exitPass
	case err != nil:
		return exitUnusable
	}
	if o.Follow {
		// SIGINT and SIGTERM stop following; the final verdicts decide
		// the exit status.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	return exitCode(stderr, run(ctx, stdout, o))
}

// exitCode prints err's reason to w and returns the status it calls for.
func exitCode(w io.Writer, err error) int {
	switch {
	case err == nil:
		return exitPass
	case errors.Is(err, errFailed):
		fmt.Fprintln(w, "verify:", err)
		return exitFail
	case errors.Is(err, errNotEvaluated):
		fmt.Fprintln(w, "verify:", err)
		return exitNotEvaluated
	}
	fmt.Fprintln(w, "verify: unusable input:", strings.ReplaceAll(err.Error(), "\n", "; "))
	return exitUnusable
}
