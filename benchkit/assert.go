package benchkit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// TB is the part of testing.TB the assertions use: a *testing.T, a
// *testing.B, or a downstream suite's own reporter.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Check checks every invariant of the stream with the zero
// invariant.Options, as invariant.Check does: it returns nil or an error
// joining one *invariant.Violation per failure, in stream order
// (errors.Is(err, invariant.ErrViolation)). Package invariant has each
// check, and CheckWith to give what the stream does not carry.
func Check(evs []events.Event) error { return invariant.Check(evs) }

// AssertInvariants checks every invariant of the stream with the zero
// invariant.Options and reports each violation with tb.Errorf, naming the
// invariant and the event.
func AssertInvariants(tb TB, evs []events.Event) {
	tb.Helper()
	AssertInvariantsWith(tb, evs, invariant.Options{})
}

// AssertInvariantsWith is [AssertInvariants] with options: it reports each
// violation, or an unusable o, with tb.Errorf.
func AssertInvariantsWith(tb TB, evs []events.Event, o invariant.Options) {
	tb.Helper()
	err := invariant.CheckWith(evs, o)
	if errors.Is(err, invariant.ErrInvalidOptions) {
		tb.Errorf("%v", err)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if v, ok := e.(*invariant.Violation); ok {
				tb.Errorf("%s violated at event %s: %s", v.Check, v.EventID, v.Detail)
			}
		}
	}
}

// maxReportedEvents bounds the deciding events listed per rule in a
// failure message.
const maxReportedEvents = 5

// AssertScenario evaluates s over evs and, unless it passes, reports with
// tb.Errorf the scenario's verdict and reason, then each rule that did not
// pass with its reason and deciding events. Options, if given, are the
// first element of opts.
func AssertScenario(tb TB, s *Scenario, evs []events.Event, opts ...EvalOptions) {
	tb.Helper()
	var o EvalOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	res := s.Evaluate(context.Background(), evs, o)
	if res.Verdict == Pass {
		return
	}
	tb.Errorf("%s", FormatResult(res))
}

// FormatResult describes a result for a person: the verdict and reason,
// then each rule that did not pass, its reason and its deciding events,
// the malformed events and the taxonomy gaps.
func FormatResult(res Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s: %s: %s", res.Scenario, res.Verdict, res.Reason)
	for _, rr := range res.Rules {
		if rr.Verdict == Pass {
			continue
		}
		fmt.Fprintf(&b, "\n  %s: %s: %s", rr.Kind, rr.Verdict, rr.Reason)
		for i, e := range rr.Events {
			if i == maxReportedEvents {
				fmt.Fprintf(&b, "\n    … and %d more events", len(rr.Events)-i)
				break
			}
			fmt.Fprintf(&b, "\n    event %s (%s)", stream.EventName(e), e)
		}
	}
	for _, err := range res.Malformed {
		fmt.Fprintf(&b, "\n  malformed: %v", err)
	}
	for _, g := range res.Gaps {
		fmt.Fprintf(&b, "\n  gap: %s", g)
	}
	return b.String()
}
