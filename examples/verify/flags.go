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
}

// errHelp reports that -h asked for the usage, which was printed.
var errHelp = errors.New("help requested")

// usageText heads verify's usage; the flags follow it.
const usageText = `verify checks a market's event stream against benchkit's invariants and scenarios.

Usage:
  verify [flags] --events FILE.jsonl
  verify [flags] --nats URL --stream NAME

Examples:
  verify --events run.jsonl --capacity cpu=100 --capacity memory=16384
  verify --events run.jsonl --scenario task.json --agent alice --strict --json
  verify --events run.jsonl --scenario task.json --judge "python3 judge.py --model small"
  VERIFY_PASSWORD="$(pass show nats/auditor)" verify --nats nats://host:4222 --stream MARKET --user auditor
  verify --nats tls://host:4222 --stream MARKET --creds auditor.creds --report out/

--judge CMD is split on white space into a program and its arguments (no
shell, no quoting); the program reads the scenario, the rule and the events
as JSON on stdin and writes {"scores": {...}} on stdout (see
benchkit.ProgramJudge).

Exit status:
  0  every check and every scenario passes
  1  a check or a scenario fails
  2  unusable input: a bad flag or argument, a malformed stream or scenario,
     an unreachable server
  3  nothing failed, but a check or a scenario was not evaluated (such as
     capacity_respected without --capacity)

Flags:
`

// parseArgs parses the command-line arguments args, reading the NATS
// password from getenv. On a usage error it prints the reason and the
// usage to stderr; for -h it prints the usage and returns errHelp.
func parseArgs(args []string, stderr io.Writer, getenv func(string) string) (options, error) {
	var o options
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Events, "events", "", "a JSON-lines `FILE` of events (one CloudEvents JSON object per line)")
	fs.StringVar(&o.NATS, "nats", "", "the `URL` of a NATS server holding the stream")
	fs.StringVar(&o.Stream, "stream", "", "the JetStream stream `NAME` to read (with --nats)")
	fs.StringVar(&o.Prefix, "prefix", "", "the stream's subject `PREFIX` (with --nats; optional: learned from the stream, and checked against it if given)")
	fs.Func("scenario", "a scenario `FILE` to evaluate (repeatable)", func(s string) error {
		o.Scenarios = append(o.Scenarios, s)
		return nil
	})
	fs.StringVar(&o.Report, "report", "", "a `DIR`ectory for report.json and report.html")
	fs.StringVar(&o.Correlation, "correlation", "", "check only the run with this correlation `ID`")
	fs.StringVar(&o.Agent, "agent", "", "the agent under test of the scenarios (its `NAME`)")
	fs.Func("capacity", "a resource's capacity for capacity_respected, `RESOURCE=N` with N > 0 (repeatable)", o.addCapacity)
	fs.Func("spend", "the spend limit for spend_within_limit, `RESOURCE=LIMIT/WINDOW` such as llm_spend=500/1m (default: as the stream states it)", o.setSpend)
	fs.BoolVar(&o.Strict, "strict", false, "load scenarios strictly: an unknown key, such as a misspelt rule, is unusable input")
	fs.BoolVar(&o.JSON, "json", false, "print the result as one JSON document on stdout instead of text lines")
	fs.Func("judge", "run `CMD` to score judge rules (split on white space; see above)", func(s string) error {
		if o.Judge = strings.Fields(s); len(o.Judge) == 0 {
			return errors.New("empty command")
		}
		return nil
	})
	fs.StringVar(&o.Creds, "creds", "", "a NATS credentials `FILE` (user JWT and nkey seed)")
	fs.StringVar(&o.User, "user", "", "a NATS `USER`, whose password is in $"+passwordEnv+" or --password-file")
	fs.StringVar(&o.PasswordFile, "password-file", "", "a `FILE` holding the password of --user (overrides $"+passwordEnv+")")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errHelp
		}
		return o, err // the flag package printed it, and the usage
	}
	o.Password = getenv(passwordEnv)
	if err := o.check(fs.Args()); err != nil {
		fmt.Fprintln(stderr, "verify:", err)
		fs.Usage()
		return o, err
	}
	return o, nil
}

// check reports flags that do not go together, and stray arguments.
func (o *options) check(rest []string) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected argument %q (scenarios go with --scenario)", rest[0])
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
