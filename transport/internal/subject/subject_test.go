package subject

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/events"
)

func TestEvent(t *testing.T) {
	mv := events.Movement{TransferID: "t1", From: "a:b", To: "bob", Amount: "1"}
	tests := []struct {
		name string
		e    events.Event
		want string
	}{
		{"no counterparty", events.Event{Source: events.SourceScheduler, Type: events.TypeAgentAwake, Subject: "a.b"},
			"p.scheduler.agent_awake.a%2Eb._"},
		{"transfer", events.Event{Source: events.SourceLedger, Type: events.TypeCreditsTransferred, Subject: "a:b",
			Data: events.CreditsTransferred{Movement: mv}}, "p.ledger.credits_transferred.a%3Ab.bob"},
		{"empty subject", events.Event{Source: events.SourceMarket, Type: events.TypeMarketCleared},
			"p.market.market_cleared._._"},
	}
	for _, tt := range tests {
		if got := Event("p", tt.e); got != tt.want {
			t.Errorf("%s: Event = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStreamPrefix(t *testing.T) {
	rev := Stream("a.b")
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	tests := []struct {
		name     string
		subjects []string
		want     string
		ok       bool
	}{
		{"one token", Stream("p"), "p", true},
		{"two tokens, any order", rev, "a.b", true},
		{"legacy", []string{"p.*.*.*"}, "", false},
		{"one missing", Stream("p")[1:], "", false},
		{"mixed prefixes", append(Stream("p")[1:], "q.market.*.*.*"), "", false},
		{"wide", []string{"p.>"}, "", false},
	}
	for _, tt := range tests {
		got, ok := StreamPrefix(tt.subjects)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("%s: StreamPrefix = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAgent(t *testing.T) {
	got := Agent("p", "a:b")
	if len(got) != 2*len(Sources()) {
		t.Fatalf("Agent has %d subjects", len(got))
	}
	if diff := cmp.Diff([]string{"p.market.*.a%3Ab.*", "p.market.*.*.a%3Ab"}, got[:2]); diff != "" {
		t.Errorf("Agent (-want +got):\n%s", diff)
	}
}
