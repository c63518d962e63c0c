package benchkit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// run builds the stream of one scenario run: one sequencer per source, one
// event per batch, a second apart.
type run struct {
	corr string
	now  time.Time
	seqs map[events.Source]*events.Sequencer
	evs  []events.Event
}

func newRun(corr string) *run {
	return &run{corr: corr, now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), seqs: map[events.Source]*events.Sequencer{}}
}

// add appends an event of src about subject.
func (r *run) add(src events.Source, subject string, p events.Payload) *run {
	s := r.seqs[src]
	if s == nil {
		s = events.NewSequencer(src, r.corr, 0)
		r.seqs[src] = s
	}
	r.now = r.now.Add(time.Second)
	b := s.Batch(r.now)
	b.Add(subject, p)
	if err := b.Publish(context.Background(), events.Discard); err != nil {
		panic(err)
	}
	r.evs = append(r.evs, b.Events()...)
	return r
}

// agent appends an agent event of type t with the JSON data.
func (r *run) agent(subject string, t events.Type, data string) *run {
	return r.add(events.SourceAgent, subject, events.Raw{Type: t, JSON: []byte(data)})
}

// judged appends a judge's evaluation of agent, every criterion scored
// score, against a threshold of 3.
func (r *run) judged(agent, score string) *run {
	return r.add(events.SourceJudge, agent, events.JudgeEvaluation{Judge: "j", AgentID: agent, Scenario: "t",
		Overall: events.Decimal(score), Threshold: "3", Criteria: map[string]events.Decimal{"c": events.Decimal(score)}})
}

func (r *run) bid(agent, order, cost string) *run {
	return r.add(events.SourceMarket, agent, events.BidPlaced{OrderID: order, AgentID: agent, TotalCost: events.Decimal(cost), Quantities: events.Quantities{"cpu": 1}})
}

func (r *run) reject(agent, order string) *run {
	return r.add(events.SourceMarket, agent, events.BidRejected{OrderID: order, AgentID: agent, Reason: events.ReasonInsufficientBalance})
}

func (r *run) balance(agent, amount string) *run {
	return r.add(events.SourceLedger, agent, events.BalanceQueried{AccountID: agent, Balance: events.Decimal(amount), Available: events.Decimal(amount), Pending: "0"})
}

func (r *run) usage(agent, resource string, q int64) *run {
	return r.add(events.SourceScheduler, agent, events.UsageRecorded{BundleID: "b1", AgentID: agent, Resource: resource, Quantity: q, Used: q, Limit: 1000})
}

// load loads a scenario from JSON text, failing the test on error.
func load(tb testing.TB, text string) *benchkit.Scenario {
	tb.Helper()
	s, err := benchkit.LoadScenario(strings.NewReader(text))
	if err != nil {
		tb.Fatalf("LoadScenario: %v", err)
	}
	return s
}

// eval evaluates s over evs with opts.
func eval(s *benchkit.Scenario, evs []events.Event, opts benchkit.EvalOptions) benchkit.Result {
	return s.Evaluate(context.Background(), evs, opts)
}

// ruleOf returns the result of the rule of kind.
func ruleOf(tb testing.TB, res benchkit.Result, kind string) benchkit.RuleResult {
	tb.Helper()
	for _, r := range res.Rules {
		if r.Kind == kind {
			return r
		}
	}
	tb.Fatalf("no %s result in %+v", kind, res)
	return benchkit.RuleResult{}
}

// decidedBy reports whether the event with id is among the rule's events.
func decidedBy(rr benchkit.RuleResult, id string) bool {
	for _, e := range rr.Events {
		if e.ID == id {
			return true
		}
	}
	return false
}

// recordTB records what an assertion reports.
type recordTB struct{ msgs []string }

func (r *recordTB) Helper() {}

func (r *recordTB) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, strings.TrimSpace(sprintf(format, args...)))
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// globNonTest returns the files matching pat that are not tests.
func globNonTest(pat string) ([]string, error) {
	all, err := filepath.Glob(pat)
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, "_test.go") {
			out = append(out, f)
		}
	}
	return out, err
}

// mustRaw returns a raw payload of type t.
func mustRaw(t events.Type, data string) events.Raw { return events.Raw{Type: t, JSON: []byte(data)} }
