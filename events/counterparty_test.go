package events_test

import (
	"testing"

	"github.com/scarcitylabs/scarcity/events"
)

func TestCounterparty(t *testing.T) {
	mv := events.Movement{TransferID: "t", From: "alice", To: "bob", Amount: "1"}
	tests := []struct {
		name    string
		subject string
		data    events.Payload
		want    string
	}{
		{"transfer from the sender", "alice", events.CreditsTransferred{Movement: mv}, "bob"},
		{"transfer seen from the receiver", "bob", events.CreditsTransferred{Movement: mv}, "alice"},
		{"mint", "bob", events.CreditsMinted{Movement: events.Movement{From: "mint", To: "bob"}}, "mint"},
		{"burn", "alice", events.CreditsBurned{Movement: events.Movement{From: "alice", To: "burn"}}, "burn"},
		{"to itself", "alice", events.CreditsTransferred{Movement: events.Movement{From: "alice", To: "alice"}}, ""},
		{"hold captured", "alice", events.HoldCaptured{AccountID: "alice", To: "seller"}, "seller"},
		{"judge", "judge-1", events.JudgeEvaluation{Judge: "judge-1", AgentID: "alice"}, "alice"},
		{"judge of itself", "alice", events.JudgeEvaluation{AgentID: "alice"}, ""},
		{"no party", "alice", events.AgentAwake{AgentID: "alice"}, ""},
		{"no data", "alice", nil, ""},
	}
	for _, tt := range tests {
		e := events.Event{Subject: tt.subject, Data: tt.data}
		if got := events.Counterparty(e); got != tt.want {
			t.Errorf("%s: Counterparty = %q, want %q", tt.name, got, tt.want)
		}
	}
}
