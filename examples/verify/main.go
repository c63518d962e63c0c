// Command verify checks a market's event stream from the stream alone: it
// replays the stream, runs benchkit's invariant checks and the given
// scenarios, prints the verdicts and writes a report.
//
//	go run ./examples/verify --events FILE.jsonl [--scenario FILE.json]... [--report DIR]
//	go run ./examples/verify --nats URL --stream NAME [--prefix P] [--scenario FILE.json]... [--report DIR]
//
// With --nats, verify opens the stream read-only: it never creates the
// stream or changes its configuration, so it is safe against a live market.
// The stream must exist; its subject prefix is learned from the stream's
// subjects, and --prefix, if given, must match it.
//
// The exit status is 0 when every check and scenario passes, 1 when one
// fails, and 2 when the input is unusable (a malformed file, an unreachable
// server), with the reason.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// options are the command's flags.
type options struct {
	Events      string
	NATS        string
	Stream      string
	Prefix      string
	Scenarios   []string
	Report      string
	Correlation string
}

// errFailed reports a check or a scenario that failed; any other error is
// unusable input.
var errFailed = errors.New("verification failed")

func main() {
	var o options
	flag.StringVar(&o.Events, "events", "", "a JSON-lines file of events (one CloudEvents JSON object per line)")
	flag.StringVar(&o.NATS, "nats", "", "the URL of a NATS server holding the stream")
	flag.StringVar(&o.Stream, "stream", "", "the JetStream stream to read (with --nats)")
	flag.StringVar(&o.Prefix, "prefix", "", "the stream's subject prefix (with --nats; optional: learned from the stream, and checked against it if given)")
	flag.Func("scenario", "a scenario file to evaluate (repeatable)", func(s string) error {
		o.Scenarios = append(o.Scenarios, s)
		return nil
	})
	flag.StringVar(&o.Report, "report", "", "a directory for report.json and report.html")
	flag.StringVar(&o.Correlation, "correlation", "", "check only the run with this correlation id")
	flag.Parse()
	os.Exit(exitCode(os.Stderr, run(context.Background(), os.Stdout, o)))
}

// exitCode prints err's reason to w and returns the status it calls for.
func exitCode(w io.Writer, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errFailed):
		fmt.Fprintln(w, "verify:", err)
		return 1
	}
	fmt.Fprintln(w, "verify: unusable input:", strings.ReplaceAll(err.Error(), "\n", "; "))
	return 2
}
