package benchkit_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/benchkit"
	"github.com/scarcitylabs/scarcity/events"
)

// The gap report tells an agent type (outside the taxonomy, published by an
// agent on the stream) from a type no source emits.
func TestGapsTellAgentTypesFromUnemitted(t *testing.T) {
	s := load(t, `{"task_id":"si_002","validation":{"required_events":[
		{"type":"tool_call_initiated"},{"type":"code_change_applied"},{"type":"telepathy"},{"type":"bid_placed"}]}}`)
	r := newRun("c").
		add(events.SourceAgent, "alice", events.AgentEvent{AgentID: "alice", Type: "code_change_applied", Data: map[string]any{"path": "a.go"}}).
		add(events.SourceBenchmark, "alice", events.Raw{Type: "telepathy", JSON: []byte(`{}`)}). // not an agent's
		add(events.SourceMarket, "alice", events.Raw{Type: "telepathy", JSON: []byte(`{}`)})
	path := func(i int) string { return "validation.required_events[" + string(rune('0'+i)) + "]" }
	want := []benchkit.Gap{
		{Type: events.TypeToolCallInitiated, Path: path(0), Emitter: events.SourceAgent},
		{Type: "code_change_applied", Path: path(1), Emitter: events.SourceAgent, AgentDefined: true},
		{Type: "telepathy", Path: path(2)},
	}
	if diff := cmp.Diff(want, s.GapsIn(r.evs)); diff != "" {
		t.Errorf("GapsIn (-want +got):\n%s", diff)
	}
	res := eval(s, r.evs, benchkit.EvalOptions{Agent: "alice"})
	if diff := cmp.Diff(want, res.Gaps); diff != "" {
		t.Errorf("Result.Gaps (-want +got):\n%s", diff)
	}
	report := benchkit.FormatResult(res)
	for _, w := range []string{
		"code_change_applied (validation.required_events[1]): an agent type",
		"telepathy (validation.required_events[2]): not in the taxonomy; no source emits it",
		"tool_call_initiated (validation.required_events[0]): emitted by the agent",
	} {
		if !strings.Contains(report, w) {
			t.Errorf("report lacks %q:\n%s", w, report)
		}
	}
	// Without the stream, nothing tells an agent type.
	static := s.Gaps()
	if len(static) != 3 || static[1].AgentDefined || static[1].Emitter != "" {
		t.Errorf("Gaps = %v, want code_change_applied emitted by no source", static)
	}
	// A stream without the agent's event: no source emits it.
	if g := s.GapsIn(newRun("c").bid("alice", "o1", "1").evs); g[1].AgentDefined || g[1].Emitter != "" {
		t.Errorf("GapsIn without the event = %v", g)
	}
}
