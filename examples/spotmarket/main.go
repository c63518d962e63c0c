// Command spotmarket runs a real market and shows it working: by default
// 200 agents with four strategies (truthful, bid-shading,
// zero-intelligence, budget-hoarding) compete for CPU, memory, LLM tokens,
// a human's attention and a share of an LLM spend limit over one simulated
// hour on a mock clock, with every event going to an embedded NATS
// JetStream server. Prices move with demand; agents that exceed what they
// bought are denied or terminated; credits stay exact. At the end it prints
// a summary and the verdict of benchkit's invariant checks over the whole
// stream, and writes events.jsonl and report.html to -out. It exits with
// status 1 if an invariant fails.
//
// The market keeps snapshots of its state beside its stream (every 5,000
// events or 5 simulated minutes; in JetStream's Object Store over NATS). With -kill-at T it is
// killed T into the run — dropped without a word — and a new one is
// reopened from its newest snapshot and the events after it, and trades
// on; the summary says what it was restored from.
//
// SIGINT or SIGTERM stops it cleanly: the round in progress finishes, the
// events so far are read back, checked and written to -out, and the
// embedded server is shut down, its temporary store removed (-data DIR
// keeps it). The progress bar is drawn only on a terminal (-quiet hides
// it). With -metrics ADDR the market's metrics are served for Prometheus at
// http://ADDR/metrics while it runs; -log json -log-level DEBUG logs each
// round, refusal and failure on stderr.
//
//	go run ./examples/spotmarket [-agents 200] [-duration 1h] [-seed 1]
//	    [-mechanism auto|exact|improved|greedy|density|critical|pay-as-bid|kda]
//	    [-reserve utilisation|fixed] [-transport embedded|memory|nats://...]
//	    [-kill-at 30m] [-out DIR] [-data DIR] [-quiet]
//	    [-metrics 127.0.0.1:9464] [-log text|json] [-log-level INFO] [-version]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	Agents    int
	Duration  time.Duration
	Seed      uint64
	Mechanism string
	Reserve   string
	Transport string
	KillAt    time.Duration // when to kill and reopen the market; 0 for never
	Out       string
	Data      string    // the embedded server's store, kept; empty: a temporary one
	Progress  io.Writer // where the progress bar goes; nil for none
	Metrics   string    // address to serve metrics at; empty for none
	Log       string    // log format: text or json
	Level     slog.Level
	Stderr    io.Writer // where logs and warnings go; nil: io.Discard
}

// Exit codes.
const (
	exitOK      = 0 // the run finished and every invariant held
	exitFailure = 1 // the run failed, or an invariant did not hold
	exitUsage   = 2 // bad flags or arguments
)

func main() {
	os.Exit(mainWith(os.Args[1:], os.Stdout, os.Stderr))
}

// mainWith runs the command with args, writing to stdout and stderr, and
// returns its exit code. SIGINT and SIGTERM stop the run cleanly.
func mainWith(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, "spotmarket", version())
		return exitOK
	case err != nil:
		fmt.Fprintln(stderr, "spotmarket:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, stdout, o); err != nil {
		fmt.Fprintln(stderr, "spotmarket:", err)
		return exitFailure
	}
	return exitOK
}

// errVersion asks for the version.
var errVersion = errors.New("version")

// parseFlags parses args into options; usage goes to stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{Stderr: stderr}
	fs := flag.NewFlagSet("spotmarket", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Agents, "agents", 200, "number of agents")
	fs.DurationVar(&o.Duration, "duration", time.Hour, "simulated time")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed gives the same run")
	fs.StringVar(&o.Mechanism, "mechanism", "auto", "clearing mechanism: auto (exact up to 32 bids, critical beyond; the market's default), exact, improved, greedy, density, critical, pay-as-bid or kda")
	fs.StringVar(&o.Reserve, "reserve", "utilisation", "reserve-price rule: utilisation or fixed")
	fs.StringVar(&o.Transport, "transport", "embedded", "event transport: embedded (NATS JetStream in process), memory, or a NATS URL")
	fs.DurationVar(&o.KillAt, "kill-at", 0, "simulated time at which to kill the market and reopen it from its newest snapshot; 0 for never")
	fs.StringVar(&o.Out, "out", "spotmarket-out", "directory for events.jsonl and report.html; empty for none")
	fs.StringVar(&o.Data, "data", "", "directory the embedded server keeps its store in (default: a temporary one, removed at exit)")
	quiet := fs.Bool("quiet", false, "no progress bar (it is drawn only on a terminal anyway)")
	fs.StringVar(&o.Metrics, "metrics", "", "serve Prometheus metrics at http://ADDR/metrics while running, e.g. 127.0.0.1:9464")
	fs.StringVar(&o.Log, "log", "text", "log format on stderr: text or json")
	fs.TextVar(&o.Level, "log-level", slog.LevelWarn, "lowest level logged: DEBUG (each round), INFO, WARN or ERROR")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: spotmarket [flags]\n\nRuns a market of agents on a simulated clock and checks its event stream.\n\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExit codes: %d ok, %d the run or an invariant failed, %d usage.\n", exitOK, exitFailure, exitUsage)
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *showVersion {
		return o, errVersion
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: spotmarket takes flags only (see -h)", fs.Arg(0))
	}
	if o.Data != "" && o.Transport != "embedded" {
		return o, fmt.Errorf("-data is the embedded server's store; -transport is %s", o.Transport)
	}
	if !*quiet && isTerminal(os.Stderr) {
		o.Progress = os.Stderr
	}
	return o, nil
}

// isTerminal reports whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// version returns the module's version as the build recorded it.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}
