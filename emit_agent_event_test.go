package scarcity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// An agent emits an event of a type it defines; the stream holds it as
// alice's, in the agent sequence, and it survives Encode and Decode with
// every field of its data.
func TestEmitAgentDefinedEvent(t *testing.T) {
	f := newFixture(t, scarcity.Config{Correlation: "run-1"})
	f.open(t, "alice", 100)
	hunks := []any{map[string]any{"start": 10, "lines": 4}}
	sent := events.AgentEvent{Type: "code_change_applied", Data: map[string]any{
		"path": "sched/meter.go", "files_changed": 3, "tokens": json.Number("123456789012345678901234567890"),
		"ratio": 0.25, "tests_pass": true, "reviewer": nil, "hunks": hunks,
	}}
	if err := f.m.Emit(f.ctx, "alice", events.ReasoningTrace{Content: "patch the meter"}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Emit(f.ctx, "alice", sent); err != nil {
		t.Fatalf("Emit: %v", err)
	}
	hunks[0].(map[string]any)["start"] = 99 // the published event is a copy
	got := sourceEvents(f.log, events.SourceAgent)
	if len(got) != 2 {
		t.Fatalf("%d agent events, want 2", len(got))
	}
	e := got[1]
	if e.Type != "code_change_applied" || e.Subject != "alice" || e.Sequence != 2 || e.Correlation != "run-1" {
		t.Errorf("event %v, want alice's code_change_applied #2 of run-1", e)
	}
	want := events.AgentEvent{AgentID: "alice", Type: "code_change_applied", Data: map[string]any{
		"path": "sched/meter.go", "files_changed": json.Number("3"), "tokens": json.Number("123456789012345678901234567890"),
		"ratio": json.Number("0.25"), "tests_pass": true, "reviewer": nil,
		"hunks": []any{map[string]any{"start": json.Number("10"), "lines": json.Number("4")}},
	}}
	if diff := cmp.Diff(events.Payload(want), e.Data); diff != "" {
		t.Errorf("published data (-want +got):\n%s", diff)
	}
	b, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := events.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, b)
	}
	if diff := cmp.Diff(e, decoded); diff != "" {
		t.Errorf("decoded event (-published +decoded):\n%s", diff)
	}
	if err := invariant.CheckSequences(f.log.Events(1)); err != nil {
		t.Errorf("CheckSequences: %v", err)
	}
}

// A scenario that requires an agent-defined event passes once the agent
// emits it, over the stream as published and as read back.
func TestScenarioRequiresAgentDefinedEvent(t *testing.T) {
	s, err := benchkit.LoadScenario(strings.NewReader(`{"task_id":"si_002","validation":{"required_events":[
		{"type":"code_change_applied","data.path":"sched/meter.go","data.files_changed":3}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, scarcity.Config{Correlation: "run-1"})
	f.open(t, "alice", 100)
	opts := benchkit.EvalOptions{Correlation: "run-1", Agent: "alice"}
	if res := s.Evaluate(f.ctx, f.log.Events(1), opts); res.Verdict != benchkit.Fail {
		t.Errorf("before the emit: %s", benchkit.FormatResult(res))
	}
	p := events.AgentEvent{Type: "code_change_applied", Data: map[string]any{"path": "sched/meter.go", "files_changed": 3}}
	if err := f.m.Emit(f.ctx, "alice", p); err != nil {
		t.Fatal(err)
	}
	evs := f.log.Events(1)
	var read []events.Event
	for _, e := range evs {
		d, err := events.Decode(mustEncodeEvent(t, e))
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, d)
	}
	for name, stream := range map[string][]events.Event{"published": evs, "read back": read} {
		res := s.Evaluate(f.ctx, stream, opts)
		if res.Verdict != benchkit.Pass {
			t.Errorf("%s: %s", name, benchkit.FormatResult(res))
		}
		if len(res.Gaps) != 1 || !res.Gaps[0].AgentDefined || res.Gaps[0].Emitter != events.SourceAgent {
			t.Errorf("%s: gaps %v, want code_change_applied as an agent-defined type", name, res.Gaps)
		}
	}
}

// mustEncodeEvent encodes e or fails the test.
func mustEncodeEvent(tb testing.TB, e events.Event) []byte {
	tb.Helper()
	b, err := events.Encode(e)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestEmitAgentDefinedEventRejects(t *testing.T) {
	f := newFixture(t, scarcity.Config{})
	f.open(t, "alice", 0)
	ev := func(typ events.Type, data map[string]any) events.AgentEvent {
		return events.AgentEvent{Type: typ, Data: data}
	}
	tests := []struct {
		name  string
		agent string
		p     events.Payload
		want  []error
	}{
		{"bad name", "alice", ev("CodeChangeApplied", nil), []error{scarcity.ErrNotAgentEvent, events.ErrInvalidPayload}},
		{"short name", "alice", ev("cc", nil), []error{scarcity.ErrNotAgentEvent, events.ErrInvalidPayload}},
		{"long name", "alice", ev(events.Type(strings.Repeat("c", events.MaxAgentTypeLen+1)), nil), []error{scarcity.ErrNotAgentEvent}},
		{"market type", "alice", ev(events.TypeBidPlaced, map[string]any{"order_id": "o1"}), []error{scarcity.ErrNotAgentEvent}},
		{"ledger type", "alice", ev(events.TypeCreditsMinted, nil), []error{scarcity.ErrNotAgentEvent}},
		{"reward type", "alice", ev(events.TypeHumanRewardIssued, nil), []error{scarcity.ErrNotAgentEvent}},
		{"judge type", "alice", ev(events.TypeJudgeEvaluation, nil), []error{scarcity.ErrNotAgentEvent}},
		{"built-in agent type, bad declared field", "alice", ev(events.TypeToolCallCompleted, map[string]any{"tool_name": "t", "status": "ok", "x": 1}), []error{scarcity.ErrInvalidAgentEvent}},
		{"other agent", "alice", events.AgentEvent{AgentID: "bob", Type: "code_change_applied"}, []error{scarcity.ErrImpersonation}},
		{"agent_id in data", "alice", ev("code_change_applied", map[string]any{"agent_id": "bob"}), []error{scarcity.ErrInvalidAgentEvent, events.ErrInvalidPayload}},
		{"bad field name", "alice", ev("code_change_applied", map[string]any{"a b": 1}), []error{scarcity.ErrInvalidAgentEvent}},
		{"too large", "alice", ev("code_change_applied", map[string]any{"diff": strings.Repeat("+", events.MaxAgentPayloadSize)}), []error{scarcity.ErrInvalidAgentEvent}},
		{"not JSON", "alice", ev("code_change_applied", map[string]any{"c": make(chan int)}), []error{scarcity.ErrInvalidAgentEvent}},
		{"unknown agent", "bob", ev("code_change_applied", nil), []error{scarcity.ErrUnknownAgent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.m.Emit(f.ctx, tt.agent, tt.p)
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Emit = %v, want %v", err, w)
				}
			}
		})
	}
	var te *events.AgentTypeError
	if err := f.m.Emit(f.ctx, "alice", ev("bid_placed", nil)); !errors.As(err, &te) || te.Type != "bid_placed" {
		t.Errorf("Emit of a taxonomy type = %v, want an *events.AgentTypeError", err)
	}
	if got := sourceEvents(f.log, events.SourceAgent); len(got) != 0 {
		t.Errorf("rejected emits published %v", got)
	}
}

// An agent reports a code change it applied, under an event type it
// defines; a benchmark scenario requiring {"type": "code_change_applied"}
// finds it on the stream.
func ExampleMarket_Emit_agentDefined() {
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
	err = m.Emit(ctx, "alice", events.AgentEvent{Type: "code_change_applied", Data: map[string]any{
		"path": "sched/meter.go", "files_changed": 1, "tests": "all_passed",
	}})
	fmt.Println(err)
	err = m.Emit(ctx, "alice", events.AgentEvent{Type: "credits_minted"})
	fmt.Println(errors.Is(err, scarcity.ErrNotAgentEvent))
	for _, e := range log.Events(1) {
		if e.Source == events.SourceAgent {
			b, _ := events.Encode(e)
			var wire struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}
			_ = json.Unmarshal(b, &wire)
			fmt.Println(e)
			fmt.Println(wire.Type, string(wire.Data))
		}
	}
	// Output:
	// <nil>
	// true
	// agent#1 code_change_applied alice
	// code_change_applied {"agent_id":"alice","files_changed":1,"path":"sched/meter.go","tests":"all_passed"}
}
