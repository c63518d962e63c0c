package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
)

// passwordEnv is the environment variable holding the NATS password of
// --user.
const passwordEnv = "VERIFY_PASSWORD"

// options are the command's flags.
type options struct {
	Events      string
	NATS        string
	Stream      string
	Prefix      string
	Scenarios   []string
	Report      string
	Correlation string
	// Agent is the agent under test of the scenarios.
	Agent string
	// Capacities and Spend are the invariant checks' options.
	Capacities map[string]int64
	Spend      *invariant.SpendLimit
	// Strict loads the scenarios strictly.
	Strict bool
	// JSON prints one JSON document instead of text lines.
	JSON bool
	// Judge is the judge program and its arguments; empty for none.
	Judge []string
	// Creds is a NATS credentials file; User and Password a NATS user.
	Creds, User, Password string
	// PasswordFile holds the password of User; it overrides Password.
	PasswordFile string
	// Follow tails the stream, checking it at most every Interval.
	Follow   bool
	Interval time.Duration
}

// The bounds of --interval, and its default.
const (
	defaultInterval = time.Second
	minInterval     = 10 * time.Millisecond
	maxInterval     = time.Hour
)

// errHelp reports that -h asked for the usage, which was printed.
var errHelp = errors.New("help requested")

// usageHead heads verify's usage; the exit statuses (exitStatuses) and the
// flags follow it.
const usageHead = `verify checks a market's event stream against benchkit's invariants and scenarios.

Usage:
  verify [flags] --events FILE.jsonl
  verify [flags] --nats URL --stream NAME
  verify [flags] --follow (--events FILE.jsonl | --nats URL --stream NAME)

verify takes no positional arguments: the stream is --events or --nats with
--stream, and each scenario a --scenario.

Examples:
  verify --events run.jsonl --capacity cpu=100 --capacity memory=16384
  verify --events run.jsonl --scenario task.json --agent alice --strict --json
  verify --events run.jsonl --scenario a.json --scenario b.json --correlation run-42
  verify --events run.jsonl --scenario task.json --judge "python3 judge.py --model small"
  verify --nats nats://host:4222 --stream MARKET --scenario task.json
  VERIFY_PASSWORD="$(pass show nats/auditor)" verify --nats nats://host:4222 --stream MARKET --user auditor
  verify --nats tls://host:4222 --stream MARKET --creds auditor.creds --report out/
  verify --follow --nats nats://host:4222 --stream MARKET --scenario task.json --interval 5s
  verify --follow --events run.jsonl --capacity cpu=100

--judge CMD is split on white space into a program and its arguments (no
shell, no quoting); the program reads the scenario, the rule and the events
as JSON on stdin and writes {"scores": {...}} on stdout (see
benchkit.ProgramJudge).

--follow tails the stream: it prints every verdict once the events the
stream holds are read, then re-checks the events read so far at most every
--interval and prints the verdicts whose status changed, each line headed by
the time and the stream position (seq N over NATS, line N of a file). Over
NATS it reads through an ephemeral ordered consumer from the stream's start
and writes nothing; a file is polled for appended lines, as tail -f does.
SIGINT or SIGTERM stops it: it prints the final verdicts, every one, and
exits with their status.
`

// usage writes verify's usage, with the flags of fs, to fs's output.
func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, usageHead)
	fmt.Fprintln(w, "\nExit status:")
	for _, s := range exitStatuses {
		fmt.Fprintf(w, "  %d  %s\n", s.Code, wrap(s.Meaning, usageWidth-5, "\n     "))
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.PrintDefaults()
}

// usageWidth is the width the usage's own text keeps within.
const usageWidth = 80

// wrap breaks text at white space into lines of at most width bytes (a
// longer word stays whole), joined by sep.
func wrap(text string, width int, sep string) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		switch {
		case i == 0:
		case n+1+len(word) > width:
			b.WriteString(sep)
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// parseArgs parses the command-line arguments args, reading the NATS
// password from getenv. On a usage error it prints the reason and the
// usage to stderr; for -h it prints the usage and returns errHelp.
func parseArgs(args []string, stderr io.Writer, getenv func(string) string) (options, error) {
	var o options
	fs := newFlagSet(&o, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errHelp
		}
		return o, err // the flag package printed it, and the usage
	}
	o.Password = getenv(passwordEnv)
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.check(fs.Args(), set); err != nil {
		fmt.Fprintln(stderr, "verify:", err)
		fs.Usage()
		return o, err
	}
	return o, nil
}

// newFlagSet returns verify's flags, which set o, printing to stderr.
func newFlagSet(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs) }
	fs.StringVar(&o.Events, "events", "", "a JSON-lines `FILE` of events (one CloudEvents JSON object per line)")
	fs.StringVar(&o.NATS, "nats", "", "the `URL` of a NATS server holding the stream")
	fs.StringVar(&o.Stream, "stream", "", "the JetStream stream `NAME` to read (with --nats)")
	fs.StringVar(&o.Prefix, "prefix", "", "the stream's subject `PREFIX` (with --nats; optional: learned from the stream, and checked against it if given)")
	fs.Func("scenario", "a scenario `FILE` to evaluate (repeatable)", func(s string) error {
		o.Scenarios = append(o.Scenarios, s)
		return nil
	})
	fs.StringVar(&o.Report, "report", "", "a `DIR`ectory for report.json and report.html (with --follow, of the final verdicts)")
	fs.StringVar(&o.Correlation, "correlation", "", "check only the run with this correlation `ID`")
	fs.StringVar(&o.Agent, "agent", "", "the agent under test of the scenarios (its `NAME`)")
	fs.Func("capacity", "a resource's capacity for capacity_respected, `RESOURCE=N` with N > 0 (repeatable)", o.addCapacity)
	fs.Func("spend", "the spend limit for spend_within_limit, `RESOURCE=LIMIT/WINDOW` such as llm_spend=500/1m (default: as the stream states it)", o.setSpend)
	fs.BoolVar(&o.Strict, "strict", false, "load scenarios strictly: an unknown key, such as a misspelt rule, is unusable input")
	fs.BoolVar(&o.JSON, "json", false, "print the result as one JSON document on stdout instead of text lines (not with --follow)")
	fs.Func("judge", "run `CMD` to score judge rules (split on white space; see above)", func(s string) error {
		if o.Judge = strings.Fields(s); len(o.Judge) == 0 {
			return errors.New("empty command")
		}
		return nil
	})
	fs.StringVar(&o.Creds, "creds", "", "a NATS credentials `FILE` (user JWT and nkey seed)")
	fs.StringVar(&o.User, "user", "", "a NATS `USER`, whose password is in $"+passwordEnv+" or --password-file")
	fs.StringVar(&o.PasswordFile, "password-file", "", "a `FILE` holding the password of --user (overrides $"+passwordEnv+")")
	fs.BoolVar(&o.Follow, "follow", false, "tail the stream and print verdicts as they change, until SIGINT or SIGTERM (see above)")
	fs.DurationVar(&o.Interval, "interval", defaultInterval,
		fmt.Sprintf("with --follow, check at most once per `DURATION` (and poll a file as often), from %v to %v", minInterval, maxInterval))
	return fs
}

// check reports stray arguments rest, bad values and flags that do not go
// together; set names the flags given.
func (o *options) check(rest []string, set map[string]bool) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected argument %q: verify takes no positional arguments "+
			"(the stream goes with --events or --nats and --stream, scenarios with --scenario)", rest[0])
	case set["interval"] && !o.Follow:
		return errors.New("--interval goes with --follow")
	case o.Interval < minInterval || o.Interval > maxInterval:
		return fmt.Errorf("--interval %v: want from %v to %v", o.Interval, minInterval, maxInterval)
	case o.Follow && o.JSON:
		return errors.New("--json does not go with --follow: it prints one document, at the end")
	case o.NATS == "" && (o.Creds != "" || o.User != "" || o.PasswordFile != ""):
		return errors.New("--creds, --user and --password-file go with --nats")
	case o.Creds != "" && o.User != "":
		return errors.New("give --creds or --user, not both")
	case o.PasswordFile != "" && o.User == "":
		return errors.New("--password-file goes with --user")
	case o.User != "" && o.Password == "" && o.PasswordFile == "":
		return fmt.Errorf("--user needs a password: set %s or give --password-file", passwordEnv)
	}
	return nil
}

// addCapacity adds a --capacity RESOURCE=N.
func (o *options) addCapacity(s string) error {
	r, n, ok := strings.Cut(s, "=")
	c, err := strconv.ParseInt(n, 10, 64)
	if !ok || r == "" || err != nil || c <= 0 {
		return fmt.Errorf("%q: want RESOURCE=N with N a positive integer", s)
	}
	if _, dup := o.Capacities[r]; dup {
		return fmt.Errorf("%q: a second capacity of %s", s, r)
	}
	if o.Capacities == nil {
		o.Capacities = map[string]int64{}
	}
	o.Capacities[r] = c
	return nil
}

// setSpend sets --spend RESOURCE=LIMIT/WINDOW.
func (o *options) setSpend(s string) error {
	r, rest, ok := strings.Cut(s, "=")
	l, w, ok2 := strings.Cut(rest, "/")
	limit, err := strconv.ParseInt(l, 10, 64)
	window, err2 := time.ParseDuration(w)
	if !ok || !ok2 || r == "" || err != nil || limit < 0 || err2 != nil || window <= 0 {
		return fmt.Errorf("%q: want RESOURCE=LIMIT/WINDOW with LIMIT >= 0 and a positive WINDOW such as 1m", s)
	}
	o.Spend = &invariant.SpendLimit{Resource: r, Limit: limit, Window: window}
	return nil
}

// checkOptions returns the invariant checks' options.
func (o options) checkOptions() invariant.Options {
	return invariant.Options{Capacities: o.Capacities, Spend: o.Spend}
}

// judge returns the judge of the scenarios' judge rules, nil for none,
// or an error if its program cannot be found.
func (o options) judge() (benchkit.Judge, error) {
	if len(o.Judge) == 0 {
		return nil, nil
	}
	if _, err := exec.LookPath(o.Judge[0]); err != nil {
		return nil, fmt.Errorf("--judge: %w", err)
	}
	return &benchkit.ProgramJudge{Path: o.Judge[0], Args: o.Judge[1:]}, nil
}
