// Command verify checks a market's event stream from the stream alone: it
// replays the stream, runs benchkit's invariant checks and the given
// scenarios, prints the verdicts and writes a report.
//
//	go run ./examples/verify [flags] --events FILE.jsonl
//	go run ./examples/verify [flags] --nats URL --stream NAME
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
// The exit status:
//
//	0  every check and every scenario passes
//	1  a check or a scenario fails
//	2  unusable input: a bad flag or argument, a malformed stream or
//	   scenario, an unreachable server (with the reason)
//	3  nothing failed, but a check or a scenario was not evaluated
//	   (such as capacity_respected without --capacity)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// The exit statuses.
const (
	exitPass         = 0
	exitFail         = 1
	exitUnusable     = 2
	exitNotEvaluated = 3
)

// errFailed reports a check or a scenario that failed, errNotEvaluated one
// that was not evaluated while none failed; any other error is unusable
// input.
var (
	errFailed       = errors.New("verification failed")
	errNotEvaluated = errors.New("not evaluated")
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
