package benchkit_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
)

// recordingTB records what AssertInvariants reports.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestAssertInvariants(t *testing.T) {
	valid := streamtest.ValidStream(t).Events()
	tb := &recordingTB{}
	benchkit.AssertInvariants(tb, valid)
	if len(tb.errors) != 0 {
		t.Errorf("a valid stream reported %q", tb.errors)
	}
	tampered := slices.Delete(slices.Clone(valid), 14, 15) // the burn of bob, and
	capture := tampered[9].Data.(events.HoldCaptured)      // a capture releasing more
	capture.Released = "5"
	tampered[9].Data = capture
	benchkit.AssertInvariants(tb, tampered)
	want := []string{
		fmt.Sprintf(`credits_conserved violated at event %s: hold "h4" held 30.00 but captures 25.50 and releases 5`, tampered[9].ID),
		fmt.Sprintf("sequences_gap_free violated at event %s: ledger sequence 15 follows 13: 1 events missing", tampered[14].ID),
	}
	if diff := cmp.Diff(want, tb.errors); diff != "" {
		t.Errorf("reported (-want +got):\n%s", diff)
	}
}

var marketResources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 10_000, Enforcement: bundle.ServiceLevel},
	{Name: "llm_spend", Unit: "cent", Capacity: 500, Enforcement: bundle.ServiceLevel},
}

// marketRun runs a real market for rounds rounds on a mock clock: agents
// bid for cpu, tokens and spend, use tokens, reserve and commit spend,
// report cpu samples (one above its bundle, terminating its agent) and
// release bundles early. It returns the stream.
func marketRun(tb testing.TB, agents, rounds int) []events.Event {
	tb.Helper()
	ctx := context.Background()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources:  marketResources,
		Reserve:    map[string]string{"cpu": "0.001", "tokens": "0.00001", "llm_spend": "0.0001"},
		ClearEvery: time.Minute, Clock: clk, Publisher: log, Correlation: "market-run",
		Spend: &sched.SpendLimit{Resource: "llm_spend", Max: apd.New(5, 0), Window: 5 * time.Minute, Unit: apd.New(1, -2)},
	})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	for i := range agents {
		if err := m.Open(ctx, fmt.Sprintf("agent-%d", i), apd.New(1000, 0)); err != nil {
			tb.Fatalf("Open: %v", err)
		}
	}
	for r := range rounds {
		for i := range agents {
			agent := fmt.Sprintf("agent-%d", i)
			b := bundle.Bundle{
				Quantities: bundle.Quantities{"cpu": int64(10 + 5*((i+r)%4)), "tokens": 400, "llm_spend": 60},
				Window:     bundle.Window{Duration: time.Duration(2+(i+r)%3) * time.Minute},
			}
			_ = m.Bid(ctx, scarcity.Bid{ID: fmt.Sprintf("r%d-%s", r, agent), Agent: agent, Bundle: b, Limit: apd.New(int64(20+i), 0)})
		}
		clk.Add(time.Minute)
		if err := m.Tick(ctx); err != nil {
			tb.Fatalf("Tick: %v", err)
		}
		for i := range agents {
			agent := fmt.Sprintf("agent-%d", i)
			_ = m.Use(ctx, agent, "tokens", int64(150+50*(i%3)))
			_ = m.Use(ctx, agent, "llm_spend", 25)
			if id, err := m.Reserve(ctx, agent, "llm_spend", 30, time.Minute); err == nil {
				_ = m.Commit(ctx, agent, id, 10)
			}
			level := int64(10)
			if (i+r)%5 == 4 {
				level = 90 // beyond its envelope: terminated
			}
			_ = m.Report(ctx, agent, "cpu", level)
			if (i+r)%7 == 3 {
				for _, id := range m.Scheduler().Active(agent) {
					_, _, _ = m.Release(ctx, agent, id)
				}
			}
		}
		clk.Add(30 * time.Second)
		if err := m.Tick(ctx); err != nil {
			tb.Fatalf("Tick: %v", err)
		}
	}
	return log.Events(0)
}

func TestRealMarketStreamPassesEveryCheck(t *testing.T) {
	evs := marketRun(t, 6, 12)
	counts := make(map[events.Type]int)
	for _, e := range evs {
		counts[e.Type]++
	}
	for _, typ := range []events.Type{
		events.TypeBundleScheduled, events.TypeUsageRecorded, events.TypeAgentTerminated, events.TypeServiceDenied,
		events.TypeSpendLimitReached, events.TypeBundleReleased, events.TypeUsageReserved, events.TypeMarketCleared,
	} {
		if counts[typ] == 0 {
			t.Errorf("the run has no %s: %v", typ, counts)
		}
	}
	o := invariant.ResourceOptions(marketResources...)
	benchkit.AssertInvariantsWith(t, evs, o)
	benchkit.AssertInvariants(t, evs)
	if got := invariant.Unchecked(evs, o); len(got) != 0 {
		t.Errorf("Unchecked = %q, want none", got)
	}
}
