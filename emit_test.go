package scarcity_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// sourceEvents returns the events of source in l.
func sourceEvents(l *events.Log, source events.Source) []events.Event {
	var out []events.Event
	for _, e := range l.Events(1) {
		if e.Source == source {
			out = append(out, e)
		}
	}
	return out
}

func TestEmitPublishesAsCaller(t *testing.T) {
	f := newFixture(t, scarcity.Config{Correlation: "run-1"})
	if err := f.m.Open(f.ctx, "alice", apd.New(100, 0)); err != nil {
		t.Fatal(err)
	}
	payloads := []events.Payload{
		events.ReasoningTrace{Decision: "decompose_task", Content: "fetch first"},
		events.ToolCallInitiated{AgentID: "alice", CallID: "c1", ToolName: "market.bid", Arguments: map[string]string{"limit": "10"}},
		&events.ToolCallCompleted{CallID: "c1", ToolName: "market.bid", Status: events.StatusSucceeded},
		events.ServiceInvoked{ServiceName: "data_fetch", Provider: "agent_x", Cost: "50", Status: events.StatusSucceeded},
		events.Reflection{Content: "bid lower next time"},
	}
	for _, p := range payloads {
		if err := f.m.Emit(f.ctx, "alice", p); err != nil {
			t.Fatalf("Emit(%T): %v", p, err)
		}
	}
	got := sourceEvents(f.log, events.SourceAgent)
	if len(got) != len(payloads) {
		t.Fatalf("%d agent events, want %d", len(got), len(payloads))
	}
	for i, e := range got {
		ap, ok := e.Data.(events.AgentPayload)
		if !ok || ap.Agent() != "alice" || e.Subject != "alice" || e.Sequence != uint64(i+1) || e.Correlation != "run-1" {
			t.Errorf("event %d = %v %+v, want alice's agent event #%d", i, e, e.Data, i+1)
		}
		if !e.Time.Equal(f.clk.Now()) {
			t.Errorf("event %d time %v, want the market clock's %v", i, e.Time, f.clk.Now())
		}
	}
	if _, ptr := got[2].Data.(*events.ToolCallCompleted); ptr {
		t.Errorf("pointer payload published as a pointer, want a value")
	}
	if err := invariant.CheckSequences(f.log.Events(1)); err != nil {
		t.Errorf("CheckSequences: %v", err)
	}
}

func TestEmitRejects(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	if err := f.m.Open(f.ctx, "alice", nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		agent string
		p     events.Payload
		want  error
	}{
		{"other agent", "alice", events.ReasoningTrace{AgentID: "bob", Content: "x"}, scarcity.ErrImpersonation},
		{"market type", "alice", events.BidPlaced{AgentID: "alice"}, scarcity.ErrNotAgentEvent},
		{"ledger type", "alice", events.CreditsMinted{}, scarcity.ErrNotAgentEvent},
		{"scheduler type", "alice", events.AgentAwake{AgentID: "alice"}, scarcity.ErrNotAgentEvent},
		{"judge type", "alice", events.JudgeEvaluation{Judge: "alice"}, scarcity.ErrNotAgentEvent},
		{"reward", "alice", events.HumanRewardIssued{AgentID: "alice", Amount: "100"}, scarcity.ErrNotAgentEvent},
		{"raw", "alice", events.Raw{Type: events.TypeReasoningTrace, JSON: []byte(`{}`)}, scarcity.ErrNotAgentEvent},
		{"nil", "alice", nil, scarcity.ErrNotAgentEvent},
		{"invalid", "alice", events.ToolCallInitiated{}, scarcity.ErrInvalidAgentEvent},
		{"unknown agent", "bob", events.Reflection{Content: "x"}, scarcity.ErrUnknownAgent},
		{"bad id", "a.b", events.Reflection{Content: "x"}, scarcity.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.m.Emit(f.ctx, tt.agent, tt.p)
			if !errors.Is(err, tt.want) {
				t.Errorf("Emit = %v, want %v", err, tt.want)
			}
		})
	}
	var imp *scarcity.ImpersonationError
	err := f.m.Emit(f.ctx, "alice", events.Reflection{AgentID: "bob", Content: "x"})
	if !errors.As(err, &imp) || imp.Caller != "alice" || imp.Named != "bob" || imp.Type != events.TypeReflection {
		t.Errorf("Emit = %#v, want an ImpersonationError from alice naming bob", err)
	}
	if got := sourceEvents(f.log, events.SourceAgent); len(got) != 0 {
		t.Errorf("rejected emits published %v", got)
	}
	if !errors.Is(err, scarcity.ErrImpersonation) || errors.Is(err, scarcity.ErrNotAgentEvent) {
		t.Errorf("ImpersonationError Is: %v", err)
	}
}

func TestEmitFailedPublishConsumesNoSequence(t *testing.T) {
	var fail bool
	var mu sync.Mutex
	log := events.NewLog(events.LogOptions{})
	pub := failingLog{Log: log, fail: func(evs []events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if fail && evs[0].Source == events.SourceAgent {
			return errors.New("down")
		}
		return nil
	}}
	m, err := scarcity.New(context.Background(), scarcity.Config{Resources: testResources, Clock: clock.NewMock(), Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Open(ctx, "alice", nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	if err := m.Emit(ctx, "alice", events.Reflection{Content: "lost"}); err == nil {
		t.Fatal("Emit through a failing publisher succeeded")
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	// The market rebuilds itself from its stream: the event never stored
	// took no number.
	if err := m.Emit(ctx, "alice", events.Reflection{Content: "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := invariant.CheckSequences(log.Events(0)); err != nil {
		t.Errorf("CheckSequences: %v", err)
	}
}

// failingLog is a log whose publishes fail when fail says so, storing
// nothing.
type failingLog struct {
	*events.Log
	fail func([]events.Event) error
}

func (l failingLog) Publish(ctx context.Context, evs ...events.Event) error {
	if err := l.fail(evs); err != nil {
		return err
	}
	return l.Log.Publish(ctx, evs...)
}

func TestEmitConcurrentIsGapFree(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	agents := []string{"a", "b", "c", "d"}
	for _, a := range agents {
		if err := f.m.Open(f.ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Go(func() {
			for i := range 25 {
				if err := f.m.Emit(f.ctx, a, events.ReasoningTrace{Content: fmt.Sprint(i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(sourceEvents(f.log, events.SourceAgent)); n != 100 {
		t.Errorf("%d agent events, want 100", n)
	}
	if err := invariant.CheckSequences(f.log.Events(1)); err != nil {
		t.Errorf("CheckSequences: %v", err)
	}
}

func TestEmitJudgement(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	p := events.JudgeEvaluation{AgentID: "alice", Scenario: "er_001",
		Criteria: map[string]events.Decimal{"recognizes_scarcity": "4"}, Overall: "4", Threshold: "3", Passed: true}
	if err := f.m.EmitJudgement(f.ctx, "judge-1", p); err != nil {
		t.Fatal(err)
	}
	p.AgentID = ""
	if err := f.m.EmitJudgement(f.ctx, "judge-1", p); err != nil {
		t.Fatal(err)
	}
	got := sourceEvents(f.log, events.SourceJudge)
	if len(got) != 2 || got[0].Subject != "alice" || got[1].Subject != "judge-1" || got[1].Sequence != 2 {
		t.Fatalf("judge events %v", got)
	}
	if j := got[0].Data.(events.JudgeEvaluation); j.Judge != "judge-1" {
		t.Errorf("judge = %q, want judge-1", j.Judge)
	}
	p.Judge = "judge-2"
	if err := f.m.EmitJudgement(f.ctx, "judge-1", p); !errors.Is(err, scarcity.ErrImpersonation) {
		t.Errorf("EmitJudgement naming another judge = %v", err)
	}
	p.Judge, p.Overall = "", ""
	if err := f.m.EmitJudgement(f.ctx, "judge-1", p); !errors.Is(err, scarcity.ErrInvalidAgentEvent) {
		t.Errorf("EmitJudgement without overall = %v", err)
	}
}

func TestRestoreContinuesAgentSequences(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	if err := f.m.Open(f.ctx, "alice", nil); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := f.m.Emit(f.ctx, "alice", events.Reflection{Content: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	evs := f.log.Events(1)
	m2, err := scarcity.Restore(f.ctx, f.cfg, evs)
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Second)
	if err := m2.Emit(f.ctx, "alice", events.Reflection{Content: "after restart"}); err != nil {
		t.Fatal(err)
	}
	got := sourceEvents(f.log, events.SourceAgent)
	if diff := cmp.Diff([]uint64{1, 2, 3, 4}, sequencesOf(got)); diff != "" {
		t.Errorf("agent sequences (-want +got):\n%s", diff)
	}
}

// sequencesOf returns the sequences of evs.
func sequencesOf(evs []events.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Sequence
	}
	return out
}

// An agent reports its reasoning and its tool call before it bids, as a
// benchmark scenario expects to see them on the stream.
func ExampleMarket_Emit() {
	ctx := context.Background()
	log := events.NewLog(events.LogOptions{})
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources: []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		Clock:     clock.NewMock(),
		Publisher: log,
	})
	if err != nil {
		panic(err)
	}
	if err := m.Open(ctx, "alice", apd.New(100, 0)); err != nil {
		panic(err)
	}
	_ = m.Emit(ctx, "alice", events.ReasoningTrace{Decision: "adjust_bid", Content: "outbid last round: adjust_bid down"})
	_ = m.Emit(ctx, "alice", events.ToolCallInitiated{CallID: "c1", ToolName: "market.bid"})
	err = m.Emit(ctx, "alice", events.Reflection{AgentID: "bob", Content: "not mine to say"})
	fmt.Println(errors.Is(err, scarcity.ErrImpersonation))
	for _, e := range log.Events(1) {
		if e.Source == events.SourceAgent {
			fmt.Println(e)
		}
	}
	// Output:
	// true
	// agent#1 reasoning_trace alice
	// agent#2 tool_call_initiated alice
}
