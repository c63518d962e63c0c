package events_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scarcitylabs/scarcity/events"
)

func TestAgentPayloadFieldNamesMatchScenarioFilters(t *testing.T) {
	tests := []struct {
		p     events.Payload
		field string
		want  string
	}{
		{events.ToolCallInitiated{AgentID: "a1", ToolName: "market.bid"}, "tool_name", "market.bid"},
		{events.ReasoningTrace{AgentID: "a1", Decision: "decompose_task"}, "decision", "decompose_task"},
		{events.ServiceInvoked{AgentID: "a1", ServiceName: "data_fetch"}, "service_name", "data_fetch"},
		{events.ToolCallCompleted{AgentID: "a1", Status: events.StatusSucceeded}, "status", "succeeded"},
		{events.HumanRewardIssued{AgentID: "a1", Amount: "5"}, "amount", "5"},
		{events.JudgeEvaluation{Judge: "j", Overall: "3.5"}, "overall", "3.5"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.p)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if got := m[tt.field]; got != tt.want {
			t.Errorf("%s data.%s = %v, want %q", tt.p.EventType(), tt.field, got, tt.want)
		}
	}
}

func TestDecodeAgentPayload(t *testing.T) {
	got, err := events.DecodeAgentPayload(events.TypeToolCallInitiated,
		[]byte(`{"agent_id":"a1","call_id":"c1","tool_name":"market.bid","arguments":{"limit":"10"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := events.ToolCallInitiated{AgentID: "a1", CallID: "c1", ToolName: "market.bid", Arguments: map[string]string{"limit": "10"}}
	if diff := cmp.Diff(events.AgentPayload(want), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r, err := events.DecodeAgentPayload(events.TypeReflection, []byte(`{"agent_id":"a1","content":"I overbid"}`))
	if err != nil || r.(events.Reflection).Content != "I overbid" {
		t.Errorf("reflection = %v, %v", r, err)
	}
}

func TestDecodeAgentPayloadRejects(t *testing.T) {
	long := strings.Repeat("x", events.MaxAgentNameLen+1)
	tests := []struct {
		name string
		typ  events.Type
		data string
		want error
	}{
		{"market type", events.TypeBidPlaced, `{}`, events.ErrNotAgentType},
		{"judge type", events.TypeJudgeEvaluation, `{"judge":"j"}`, events.ErrNotAgentType},
		{"reward type", events.TypeHumanRewardIssued, `{"agent_id":"a1","amount":"1"}`, events.ErrNotAgentType},
		{"extra field, bad declared one", events.TypeToolCallCompleted, `{"agent_id":"a1","tool_name":"t","status":"ok","mood":"ok"}`, events.ErrInvalidPayload},
		{"key case", events.TypeReasoningTrace, `{"Agent_id":"a1","content":"x"}`, events.ErrInvalidPayload},
		{"not an object", events.TypeReasoningTrace, `["a1"]`, events.ErrInvalidPayload},
		{"null", events.TypeReasoningTrace, `null`, events.ErrInvalidPayload},
		{"two values", events.TypeReasoningTrace, `{"agent_id":"a1","content":"x"}{}`, events.ErrInvalidPayload},
		{"no agent", events.TypeReasoningTrace, `{"content":"x"}`, events.ErrInvalidPayload},
		{"long tool", events.TypeToolCallInitiated, `{"agent_id":"a1","tool_name":"` + long + `"}`, events.ErrInvalidPayload},
		{"space in tool", events.TypeToolCallInitiated, `{"agent_id":"a1","tool_name":"market bid"}`, events.ErrInvalidPayload},
		{"bad status", events.TypeToolCallCompleted, `{"agent_id":"a1","tool_name":"t","status":"ok"}`, events.ErrInvalidPayload},
		{"negative cost", events.TypeServiceInvoked, `{"agent_id":"a1","service_name":"s","cost":"-1","status":"failed"}`, events.ErrInvalidPayload},
		{"float cost", events.TypeServiceInvoked, `{"agent_id":"a1","service_name":"s","cost":1.5,"status":"failed"}`, events.ErrInvalidPayload},
		{"no cost", events.TypeServiceInvoked, `{"agent_id":"a1","service_name":"s","status":"failed"}`, events.ErrInvalidPayload},
		{"huge", events.TypeReflection, `{"agent_id":"a1","content":"` + strings.Repeat("x", events.MaxAgentPayloadSize) + `"}`, events.ErrInvalidPayload},
		{"long content", events.TypeReflection, `{"agent_id":"a1","content":"` + strings.Repeat("x", events.MaxAgentTextLen+1) + `"}`, events.ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := events.DecodeAgentPayload(tt.typ, []byte(tt.data))
			if err == nil {
				err = p.Validate()
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTooManyArguments(t *testing.T) {
	args := map[string]string{}
	for i := range events.MaxToolArguments + 1 {
		args[strings.Repeat("k", i+1)] = "v"
	}
	p := events.ToolCallInitiated{AgentID: "a1", ToolName: "t", Arguments: args}
	if err := p.Validate(); !errors.Is(err, events.ErrInvalidPayload) {
		t.Errorf("Validate = %v, want ErrInvalidPayload", err)
	}
}

func TestJudgeEvaluationValidate(t *testing.T) {
	ok := events.JudgeEvaluation{Judge: "j", Scenario: "er_001", Criteria: map[string]events.Decimal{"c": "4"}, Overall: "4", Passed: true}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, bad := range []events.JudgeEvaluation{
		{Judge: "", Scenario: "s", Overall: "1"},
		{Judge: "j", Scenario: "s"},
		{Judge: "j", Scenario: "s", Overall: "1", Criteria: map[string]events.Decimal{"c": "NaN"}},
		{Judge: "j", Scenario: "s", Overall: "1", Threshold: "x"},
	} {
		if err := bad.Validate(); !errors.Is(err, events.ErrInvalidPayload) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidPayload", bad, err)
		}
	}
}

func TestWithAgentCopies(t *testing.T) {
	p := events.ReasoningTrace{Content: "x"}
	q := p.WithAgent("a1")
	if p.AgentID != "" || q.Agent() != "a1" {
		t.Errorf("WithAgent: original %q, copy %q", p.AgentID, q.Agent())
	}
}

// FuzzDecodeAgentPayload checks that DecodeAgentPayload never panics, that
// Validate never panics on what it accepts, and that an accepted payload
// re-decodes to itself.
func FuzzDecodeAgentPayload(f *testing.F) {
	f.Add("tool_call_initiated", []byte(`{"agent_id":"a1","tool_name":"market.bid","arguments":{"a":"b"}}`))
	f.Add("service_invoked", []byte(`{"agent_id":"a1","service_name":"s","cost":"0.5","status":"succeeded"}`))
	f.Add("reasoning_trace", []byte(`{"agent_id":"a1","content":"x","decision":"adjust_bid"}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		p, err := events.DecodeAgentPayload(events.Type(typ), data)
		if err != nil {
			if !errors.Is(err, events.ErrInvalidPayload) && !errors.Is(err, events.ErrNotAgentType) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			if !errors.Is(err, events.ErrInvalidPayload) {
				t.Fatalf("Validate error %v wraps no sentinel", err)
			}
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := events.DecodeAgentPayload(p.EventType(), b)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, b)
		}
		if diff := cmp.Diff(p, q, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("re-decoded differs:\n%s", diff)
		}
	})
}
