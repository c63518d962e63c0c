package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
)

// An agent emits an event of a type it defines through the client, over
// the embedded NATS server: the market publishes it as the in-process
// market would, every field kept, and it reads back from its encoding.
func TestRemoteEmitAgentDefined(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	funded(t, r, "alice", "bob")
	ctx := context.Background()
	p := events.AgentEvent{Type: "code_change_applied", Data: map[string]any{
		"path": "sched/meter.go", "files_changed": 3, "ratio": json.Number("0.250"),
		"big": json.Number("123456789012345678901234567890"), "hunks": []any{map[string]any{"start": 10}},
	}}
	if err := r.clients["alice"].Emit(ctx, "alice", p); err != nil {
		t.Fatalf("Emit: %v", err)
	}
	if err := r.clients["alice"].Emit(ctx, "alice", &events.AgentEvent{AgentID: "alice", Type: "tests_passed"}); err != nil {
		t.Fatalf("Emit of a pointer naming alice: %v", err)
	}
	got := agentEvents(r)
	if len(got) != 2 {
		t.Fatalf("%d agent events, want 2", len(got))
	}
	want := events.AgentEvent{AgentID: "alice", Type: "code_change_applied", Data: map[string]any{
		"path": "sched/meter.go", "files_changed": json.Number("3"), "ratio": json.Number("0.250"),
		"big": json.Number("123456789012345678901234567890"), "hunks": []any{map[string]any{"start": json.Number("10")}},
	}}
	if e := got[0]; e.Type != "code_change_applied" || e.Subject != "alice" || e.Sequence != 1 {
		t.Errorf("event %v, want alice's code_change_applied #1", e)
	}
	if diff := cmp.Diff(events.Payload(want), got[0].Data); diff != "" {
		t.Errorf("published data (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(events.Payload(events.AgentEvent{AgentID: "alice", Type: "tests_passed"}), got[1].Data); diff != "" {
		t.Errorf("second event (-want +got):\n%s", diff)
	}
	b, err := events.Encode(got[0])
	if err != nil {
		t.Fatal(err)
	}
	back, err := events.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got[0], back); diff != "" {
		t.Errorf("read back (-published +decoded):\n%s", diff)
	}

	// The same emit in process publishes the same payload.
	local, _, log := newMarket(t)
	if err := local.Open(ctx, "alice", nil); err != nil {
		t.Fatal(err)
	}
	if err := local.Emit(ctx, "alice", p); err != nil {
		t.Fatal(err)
	}
	for _, e := range log.Events(1) {
		if e.Source == events.SourceAgent {
			if diff := cmp.Diff(e.Data, got[0].Data); diff != "" {
				t.Errorf("remote differs from in-process (-in +remote):\n%s", diff)
			}
		}
	}
}

// A hand-made emit request of a custom type is published; one naming
// another agent is impersonation; the client refuses an AgentEvent of a
// type of the taxonomy before sending.
func TestEmitAgentDefinedRequests(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	funded(t, r, "alice", "bob")
	nc := connect(t, r.ns, ConnectOptions(agentUser("alice"))...)
	request := func(body string) error {
		t.Helper()
		msg, err := nc.Request(CommandSubject(DefaultPrefix, "alice", VerbEmit), []byte(body), 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return decodeReply(msg.Data, DefaultMaxMessage, nil)
	}
	if err := request(`{"type":"code_change_applied","data":{"path":"a.go","n":1.50}}`); err != nil {
		t.Fatalf("custom emit: %v", err)
	}
	// Like every request, it holds no null and nests at most MaxDepth deep.
	for _, body := range []string{
		`{"type":"code_change_applied","data":{"path":null}}`,
		`{"type":"code_change_applied","data":{"a":{"b":{"c":{"d":1}}}}}`,
		`{"type":"code_change_applied","data":{"n":1,"n":2}}`,
	} {
		if err := request(body); codeOf(err) != CodeInvalidRequest {
			t.Errorf("%s: %v, want %s", body, err, CodeInvalidRequest)
		}
	}
	if err := request(`{"type":"code_change_applied","data":{"agent_id":"bob","path":"a.go"}}`); codeOf(err) != CodeImpersonation {
		t.Errorf("custom emit naming bob: %v, want %s", err, CodeImpersonation)
	}
	got := agentEvents(r)
	if len(got) != 1 {
		t.Fatalf("agent events %v, want one", got)
	}
	want := events.AgentEvent{AgentID: "alice", Type: "code_change_applied", Data: map[string]any{"path": "a.go", "n": json.Number("1.50")}}
	if diff := cmp.Diff(events.Payload(want), got[0].Data); diff != "" {
		t.Errorf("published data (-want +got):\n%s", diff)
	}

	ctx := context.Background()
	c := r.clients["alice"]
	before := snap(r)
	for _, p := range []events.AgentEvent{
		{Type: events.TypeBidPlaced},
		{Type: events.TypeJudgeEvaluation, Data: map[string]any{"judge": "x"}},
		{Type: "Code_Change"},
	} {
		err := c.Emit(ctx, "alice", p)
		var te *events.AgentTypeError
		if !errors.Is(err, ErrInvalidRequest) || !errors.Is(err, scarcity.ErrNotAgentEvent) || !errors.As(err, &te) {
			t.Errorf("Emit(%s) = %v, want invalid request, not an agent event", p.Type, err)
		}
	}
	var imp *scarcity.ImpersonationError
	if err := c.Emit(ctx, "alice", events.AgentEvent{AgentID: "bob", Type: "code_change_applied"}); !errors.Is(err, ErrOtherAgent) || !errors.As(err, &imp) {
		t.Errorf("Emit naming bob = %v", err)
	}
	if err := c.Emit(ctx, "alice", events.AgentEvent{Type: "code_change_applied", Data: map[string]any{"agent_id": "alice"}}); codeOf(err) != CodeInvalidRequest {
		t.Errorf("Emit with agent_id in data = %v, want %s", err, CodeInvalidRequest)
	}
	if diff := cmp.Diff(before, snap(r)); diff != "" {
		t.Errorf("refused emits changed the state (-before +after):\n%s", diff)
	}
}
