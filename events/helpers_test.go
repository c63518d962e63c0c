package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

// t0 is the fixed instant the tests stamp events with.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

// samplePayloads returns one payload of every type the codec knows, each
// with every field set, plus a Raw payload of a type it does not know.
func samplePayloads() []events.Payload {
	q := events.Quantities{"cpu": 10, "memory": 512}
	w := events.Window{Start: t0.Add(time.Minute), DurationSeconds: 600}
	mv := events.Movement{
		TransferID: "tr-1", From: "alice", To: "bob", Amount: "12.5",
		Reason: "payment", FromBalance: "87.5", ToBalance: "12.5",
	}
	return []events.Payload{
		events.SigningKeyAnnounced{PublicKey: "GwOsXW1S4iBbN9fJwd7RCFT3Bdwpi0SjFyyyBv6wcXg="},
		events.BidPlaced{OrderID: "o1", AgentID: "a1", Quantities: q, Window: w, TotalCost: "120.25", HoldID: "h1"},
		events.BidRejected{OrderID: "o1", AgentID: "a1", Reason: events.ReasonInsufficientBalance, Detail: "needs 120.25"},
		events.OrderCancelled{OrderID: "o1", AgentID: "a1"},
		events.MarketCleared{
			Round: 7, Mechanism: "uniform", Bids: 3, Winners: 2,
			Volume:      events.Quantities{"cpu": 30},
			Prices:      map[string]events.Decimal{"cpu": "0.25", "memory": "0.001"},
			Utilisation: map[string]events.Decimal{"cpu": "0.75"},
			Revenue:     "90", Surplus: "-1.5",
			Welfare: "12.5", OptimalWelfare: "13", Efficiency: "0.961538", GreedyWelfare: "11.25",
		},
		events.ResourcesAllocated{
			OrderID: "o1", AgentID: "a1", BundleID: "b1", Round: 7, Quantities: q,
			Window: events.Window{DurationSeconds: 60}, Amount: "100", Bid: "120.25", PaymentID: "tr-1",
		},
		events.PriceUpdate{Resource: "cpu", Round: 7, Old: "0.2", New: "0.25", Utilisation: "0.9", Reason: "demand"},
		events.AccountOpened{AccountID: "mint", Kind: "mint", AllowNegative: true, OverdraftLimit: "25.5"},
		events.AccountClosed{AccountID: "a1", Kind: "vendor"},
		events.CreditsTransferred{Movement: mv},
		events.CreditsMinted{Movement: mv},
		events.CreditsBurned{Movement: mv},
		events.HoldPlaced{
			HoldID: "h1", AccountID: "alice", Amount: "10", Balance: "100", Pending: "10",
			ExpiresAt: time.Date(2025, 6, 1, 12, 5, 0, 0, time.UTC),
		},
		events.HoldCaptured{
			HoldID: "h1", TransferID: "tr-2", AccountID: "alice", To: "market", Amount: "7",
			Released: "0", Remaining: "3", Reason: "allocation", FromBalance: "93", ToBalance: "7", Pending: "0",
		},
		events.HoldReleased{HoldID: "h1", AccountID: "alice", Amount: "10", Reason: "cancelled", Pending: "0"},
		events.BalanceQueried{AccountID: "alice", Balance: "100", Pending: "10", Available: "90"},
		events.BundleScheduled{BundleID: "b1", AgentID: "a1", OrderID: "o1", Quantities: q, Window: w},
		events.BundleActivated{BundleID: "b1", AgentID: "a1"},
		events.BundleExpired{BundleID: "b1", AgentID: "a1"},
		events.BundleReleased{BundleID: "b1", AgentID: "a1", Reason: "terminated"},
		events.UsageRecorded{BundleID: "b1", AgentID: "a1", Resource: "tokens", Quantity: 100, Used: 900, Limit: 1000},
		events.SpendLimitReached{AgentID: "a1", Resource: "llm_spend", Requested: 500, Spent: 4_900_000, Reserved: 200,
			Limit: 5_000_000, Unit: "0.000001", WindowSeconds: "3600", FreesAt: time.Date(2025, 6, 1, 13, 0, 0, 0, time.UTC)},
		events.UsageReserved{ReservationID: "rsv-1", AgentID: "a1", Resource: "llm_spend", Quantity: 300,
			Holds: []events.ReservedHold{{BundleID: "b1", Quantity: 300}}, ExpiresAt: time.Date(2025, 6, 1, 12, 5, 0, 0, time.UTC)},
		events.ReservationReleased{ReservationID: "rsv-1", AgentID: "a1", Resource: "llm_spend", Reserved: 300,
			Committed: 120, Returned: 180, Reason: "committed"},
		events.ServiceDenied{AgentID: "a1", Resource: "tokens", Requested: 200, Available: 100, Reason: "exceeds_bundle"},
		events.AgentTerminated{AgentID: "a1", BundleID: "b1", Reason: "exceeds_bundle", Resource: "memory", Used: 600, Limit: 512},
		events.AgentAwake{AgentID: "a1"},
		events.AgentDormant{AgentID: "a1"},
		events.ReasoningTrace{AgentID: "a1", Decision: "decompose_task", Content: "split into fetch, then analyse"},
		events.ToolCallInitiated{AgentID: "a1", CallID: "c1", ToolName: "market.bid",
			Arguments: map[string]string{"limit": "120.25", "quantities": `{"cpu":10}`}},
		events.ToolCallCompleted{AgentID: "a1", CallID: "c1", ToolName: "market.bid", Status: events.StatusFailed,
			Result: "partial", Error: "bid rejected: insufficient_balance"},
		events.ServiceInvoked{AgentID: "a1", ServiceName: "data_fetch", Provider: "agent_x", Cost: "50", Status: events.StatusSucceeded},
		events.HumanRewardIssued{AgentID: "a1", Amount: "25.5", Reason: "useful summary", TransferID: "mint/r1"},
		events.JudgeEvaluation{Judge: "judge-1", AgentID: "a1", Scenario: "er_001", Run: "run-1",
			Criteria: map[string]events.Decimal{"recognizes_scarcity": "4", "decision_coherence": "3.5"},
			Overall:  "3.75", Threshold: "3", Passed: true, Comment: "conservative bid"},
		events.SnapshotTaken{Name: "run/00000000000000000042", StateHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Sequences: map[events.Source]uint64{events.SourceLedger: 120, events.SourceScheduler: 33}},
		events.Raw{Type: "custom_agent_note", JSON: json.RawMessage(`{"tool_name":"market.bid","args":[1,"x"]}`)},
	}
}

// eventOf returns a fully stamped event carrying p.
func eventOf(p events.Payload, seq uint64) events.Event {
	return events.Event{
		ID:          "id-" + string(p.EventType()),
		Type:        p.EventType(),
		Source:      events.SourceMarket,
		Subject:     "a1",
		Time:        t0,
		Sequence:    seq,
		Correlation: "run-1",
		Causation:   "cause-1",
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		Schema:      events.SchemaVersion,
		Data:        p,
	}
}

// rawEqual compares Raw payloads by their JSON value rather than their
// bytes: the codec compacts the data of a Raw payload when it encodes it.
var rawEqual = cmp.Comparer(func(a, b events.Raw) bool {
	return a.Type == b.Type && jsonValue(a.JSON) == jsonValue(b.JSON)
})

// jsonValue returns a canonical text of the JSON value in b, or b itself if
// it is not valid JSON.
func jsonValue(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// recorder is a Publisher that keeps what it accepts and fails on demand.
type recorder struct {
	mu   sync.Mutex
	evs  []events.Event
	fail error
}

func (r *recorder) Publish(_ context.Context, evs ...events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.evs = append(r.evs, evs...)
	return nil
}

func (r *recorder) events() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.evs...)
}

// mustEncode encodes e or fails the test.
func mustEncode(tb testing.TB, e events.Event) []byte {
	tb.Helper()
	b, err := events.Encode(e)
	if err != nil {
		tb.Fatalf("Encode(%v): %v", e, err)
	}
	return b
}

// publishIDs publishes one batch of valid events with the given ids, or
// fails the test.
func publishIDs(tb testing.TB, l *events.Log, ids ...string) {
	tb.Helper()
	evs := make([]events.Event, len(ids))
	for i, id := range ids {
		evs[i] = testEvent(id, uint64(i+1))
	}
	if err := l.Publish(context.Background(), evs...); err != nil {
		tb.Fatalf("Publish(%v): %v", ids, err)
	}
}

// testEvent returns a valid event with the given id and sequence.
func testEvent(id string, seq uint64) events.Event {
	return events.Event{
		ID: id, Type: events.TypeAgentAwake, Source: events.SourceScheduler,
		Subject: "a1", Time: t0, Sequence: seq, Schema: events.SchemaVersion,
		Data: events.AgentAwake{AgentID: "a1"},
	}
}

// ids returns the ids of evs.
func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}
