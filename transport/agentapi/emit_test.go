package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/events"
)

// agentEvents returns the agent events in r's log.
func agentEvents(r *remote) []events.Event {
	var out []events.Event
	for _, e := range r.log.Events(1) {
		if e.Source == events.SourceAgent {
			out = append(out, e)
		}
	}
	return out
}

func TestRemoteEmit(t *testing.T) {
	r := serveMarket(t, "alice")
	funded(t, r, "alice")
	ctx := context.Background()
	c := r.clients["alice"]
	sent := []events.Payload{
		events.ReasoningTrace{Decision: "decompose_task", Content: "fetch, then analyse"},
		events.ToolCallInitiated{AgentID: "alice", CallID: "c1", ToolName: "market.bid", Arguments: map[string]string{"limit": "60.5"}},
		events.ServiceInvoked{ServiceName: "data_fetch", Provider: "agent_x", Cost: "50", Status: events.StatusSucceeded},
		events.Reflection{Content: "fine"},
	}
	for _, p := range sent {
		if err := c.Emit(ctx, "alice", p); err != nil {
			t.Fatalf("Emit(%T): %v", p, err)
		}
	}
	got := agentEvents(r)
	if len(got) != len(sent) {
		t.Fatalf("%d agent events, want %d", len(got), len(sent))
	}
	for i, e := range got {
		want := sent[i].(events.AgentPayload).WithAgent("alice")
		if e.Subject != "alice" || e.Sequence != uint64(i+1) {
			t.Errorf("event %d: %v", i, e)
		}
		if diff := cmp.Diff(events.Payload(want), e.Data); diff != "" {
			t.Errorf("event %d data (-want +got):\n%s", i, diff)
		}
	}
}

func TestRemoteEmitMatchesInProcess(t *testing.T) {
	r := serveMarket(t, "alice")
	funded(t, r, "alice")
	local, _, log := newMarket(t)
	ctx := context.Background()
	if err := local.Open(ctx, "alice", nil); err != nil {
		t.Fatal(err)
	}
	p := events.ToolCallCompleted{CallID: "c1", ToolName: "output.submit", Status: events.StatusFailed, Error: "timeout"}
	for _, e := range []scarcity.Emitter{local, r.clients["alice"]} {
		if err := e.Emit(ctx, "alice", p); err != nil {
			t.Fatalf("%T.Emit: %v", e, err)
		}
	}
	var in events.Payload
	for _, e := range log.Events(1) {
		if e.Source == events.SourceAgent {
			in = e.Data
		}
	}
	if diff := cmp.Diff(in, agentEvents(r)[0].Data); diff != "" {
		t.Errorf("remote differs from in-process (-in +remote):\n%s", diff)
	}
}

func TestClientEmitRefusesBeforeSending(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	funded(t, r, "alice", "bob")
	ctx := context.Background()
	c := r.clients["alice"]
	var imp *scarcity.ImpersonationError
	err := c.Emit(ctx, "alice", events.ReasoningTrace{AgentID: "bob", Content: "x"})
	if !errors.Is(err, ErrOtherAgent) || !errors.As(err, &imp) || imp.Named != "bob" {
		t.Errorf("Emit naming bob = %v", err)
	}
	if err := c.Emit(ctx, "bob", events.Reflection{Content: "x"}); !errors.Is(err, ErrOtherAgent) {
		t.Errorf("Emit for bob = %v", err)
	}
	for _, p := range []events.Payload{nil, events.BidPlaced{AgentID: "alice"}, events.JudgeEvaluation{Judge: "alice"},
		events.HumanRewardIssued{AgentID: "alice", Amount: "1"}, events.Raw{Type: events.TypeReflection, JSON: []byte(`{}`)}} {
		if err := c.Emit(ctx, "alice", p); !errors.Is(err, ErrInvalidRequest) || !errors.Is(err, scarcity.ErrNotAgentEvent) {
			t.Errorf("Emit(%T) = %v", p, err)
		}
	}
	// An invalid payload is refused by the market.
	err = c.Emit(ctx, "alice", events.ToolCallInitiated{CallID: "c1"})
	if codeOf(err) != CodeInvalidRequest {
		t.Errorf("Emit without tool name: %v", err)
	}
	if got := agentEvents(r); len(got) != 0 {
		t.Errorf("refused emits published %v", got)
	}
}

// Hand-made emit requests that break the strict rules get invalid_request
// and publish nothing.
func TestMalformedEmit(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	funded(t, r, "alice", "bob")
	nc := connect(t, r.ns, ConnectOptions(agentUser("alice"))...)
	cases := []struct{ name, body string }{
		{"no data", `{"type":"reflection"}`},
		{"no type", `{"data":{"content":"x"}}`},
		{"market type", `{"type":"bid_placed","data":{"order_id":"o","agent_id":"alice"}}`},
		{"ledger type", `{"type":"credits_minted","data":{"to":"alice","amount":"100"}}`},
		{"judge type", `{"type":"judge_evaluation","data":{"judge":"alice","scenario":"s","criteria":{},"overall":"5","passed":true}}`},
		{"reward type", `{"type":"human_reward_issued","data":{"agent_id":"alice","amount":"100","reason":"me"}}`},
		{"bad custom type", `{"type":"Custom","data":{}}`},
		{"short custom type", `{"type":"cc","data":{}}`},
		{"custom type, agent_id not a string", `{"type":"code_change_applied","data":{"agent_id":7}}`},
		{"custom type, array data", `{"type":"code_change_applied","data":[1]}`},
		{"custom type, bad field name", `{"type":"code_change_applied","data":{"a b":1}}`},
		{"custom type, huge", `{"type":"code_change_applied","data":{"diff":"` + strings.Repeat("x", events.MaxAgentPayloadSize) + `"}}`},
		{"other agent", `{"type":"reflection","data":{"agent_id":"bob","content":"x"}}`},
		{"unknown data field", `{"type":"reflection","data":{"content":"x","score":1}}`},
		{"data key case", `{"type":"reflection","data":{"Content":"x"}}`},
		{"unknown field", `{"type":"reflection","data":{"content":"x"},"agent":"bob"}`},
		{"null data", `{"type":"reflection","data":null}`},
		{"null in data", `{"type":"reflection","data":{"content":null}}`},
		{"array data", `{"type":"reflection","data":["x"]}`},
		{"duplicate in data", `{"type":"reflection","data":{"content":"x","content":"y"}}`},
		{"nested argument", `{"type":"tool_call_initiated","data":{"tool_name":"t","arguments":{"a":{"b":"c"}}}}`},
		{"number cost", `{"type":"service_invoked","data":{"service_name":"s","cost":5,"status":"succeeded"}}`},
		{"bad status", `{"type":"service_invoked","data":{"service_name":"s","cost":"5","status":"ok"}}`},
		{"long content", `{"type":"reflection","data":{"content":"` + strings.Repeat("x", events.MaxAgentTextLen+1) + `"}}`},
		{"huge", `{"type":"reflection","data":{"content":"` + strings.Repeat("x", DefaultMaxMessage) + `"}}`},
	}
	before := snap(r)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg, err := nc.Request(CommandSubject(DefaultPrefix, "alice", VerbEmit), []byte(c.body), 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			err = decodeReply(msg.Data, DefaultMaxMessage, nil)
			want := CodeInvalidRequest
			if c.name == "other agent" {
				want = CodeImpersonation
			}
			if got := codeOf(err); got != want {
				t.Errorf("code %q (%v), want %q", got, err, want)
			}
		})
	}
	if diff := cmp.Diff(before, snap(r)); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
	msg, err := nc.Request(CommandSubject(DefaultPrefix, "alice", VerbEmit),
		[]byte(`{"type":"reasoning_trace","data":{"decision":"adjust_bid","content":"lower"}}`), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeReply(msg.Data, DefaultMaxMessage, nil); err != nil {
		t.Errorf("valid emit: %v", err)
	}
	if got := agentEvents(r); len(got) != 1 || got[0].Subject != "alice" {
		t.Errorf("agent events %v, want alice's one", got)
	}
}

func TestEmitNeedsAccount(t *testing.T) {
	r := serveMarket(t, "alice")
	err := r.clients["alice"].Emit(context.Background(), "alice", events.Reflection{Content: "x"})
	if codeOf(err) != CodeUnknownAgent || !errors.Is(err, scarcity.ErrUnknownAgent) {
		t.Errorf("Emit without account = %v, want unknown_agent", err)
	}
}

// FuzzDecodeEmit checks that an accepted emit request carries an agent
// payload and survives a round trip.
func FuzzDecodeEmit(f *testing.F) {
	f.Add([]byte(`{"type":"tool_call_initiated","data":{"tool_name":"market.bid","arguments":{"a":"1"}}}`))
	f.Add([]byte(`{"type":"service_invoked","data":{ "service_name":"s","cost":"0.50","status":"failed"}}`))
	f.Add([]byte(`{"type":"reflection","data":{"content":"x","content":"y"}}`))
	f.Add([]byte(`{"type":"code_change_applied","data":{"path":"a.go","n":1.50,"hunks":[{"start":10}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := decodeRequest(VerbEmit, body, DefaultMaxMessage)
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %v is not ErrInvalidRequest", err)
			}
			return
		}
		r := cmd.(*emitRequest)
		if !events.IsAgentType(events.Type(r.Type)) {
			t.Fatalf("accepted type %q", r.Type)
		}
		again, err := decodeRequest(VerbEmit, mustJSON(t, r), DefaultMaxMessage)
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		if diff := cmp.Diff(r, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// mustJSON encodes v or fails t.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
