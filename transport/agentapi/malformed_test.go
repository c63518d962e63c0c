package agentapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Malformed requests get an invalid_request reply and change nothing.
func TestMalformedRequests(t *testing.T) {
	r := serveMarket(t, "alice", "bob")
	funded(t, r, "alice", "bob")
	nc := connect(t, r.ns, ConnectOptions(agentUser("alice"))...)
	many := map[string]int64{}
	for i := range MaxResources + 1 {
		many[fmt.Sprintf("r%d", i)] = 1
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		name string
		verb Verb
		body string
	}{
		{"garbage", VerbTransfer, "not json"},
		{"empty body", VerbBalance, ""},
		{"array", VerbBalance, "[]"},
		{"string", VerbBalance, `"{}"`},
		{"missing fields", VerbBid, `{}`},
		{"unknown field", VerbCancel, `{"order_id":"x","agent":"bob"}`},
		{"agent in body", VerbBalance, `{"agent":"bob"}`},
		{"duplicate field", VerbTransfer, `{"id":"t1","to":"bob","amount":"1","amount":"2"}`},
		{"case variant", VerbCancel, `{"Order_ID":"x"}`},
		{"two values", VerbCancel, `{"order_id":"x"}{"order_id":"y"}`},
		{"trailing garbage", VerbCancel, `{"order_id":"x"} x`},
		{"null", VerbCancel, `{"order_id":null}`},
		{"huge", VerbTransfer, `{"id":"t1","to":"bob","amount":"1","pad":"` + strings.Repeat("x", DefaultMaxMessage) + `"}`},
		{"negative amount", VerbTransfer, `{"id":"t1","to":"bob","amount":"-5"}`},
		{"zero amount", VerbTransfer, `{"id":"t1","to":"bob","amount":"0"}`},
		{"NaN", VerbTransfer, `{"id":"t1","to":"bob","amount":"NaN"}`},
		{"Infinity", VerbTransfer, `{"id":"t1","to":"bob","amount":"Infinity"}`},
		{"exponent", VerbTransfer, `{"id":"t1","to":"bob","amount":"1e400"}`},
		{"number amount", VerbTransfer, `{"id":"t1","to":"bob","amount":5}`},
		{"float amount", VerbTransfer, `{"id":"t1","to":"bob","amount":5.5}`},
		{"plus sign", VerbTransfer, `{"id":"t1","to":"bob","amount":"+5"}`},
		{"spaces", VerbTransfer, `{"id":"t1","to":"bob","amount":" 5"}`},
		{"hex", VerbTransfer, `{"id":"t1","to":"bob","amount":"0x10"}`},
		{"two points", VerbTransfer, `{"id":"t1","to":"bob","amount":"5.0.0"}`},
		{"long amount", VerbTransfer, `{"id":"t1","to":"bob","amount":"1` + strings.Repeat("0", 80) + `"}`},
		{"invalid to", VerbTransfer, `{"id":"t1","to":"b.b","amount":"1"}`},
		{"wildcard id", VerbTransfer, `{"id":"t*","to":"bob","amount":"1"}`},
		{"empty id", VerbCancel, `{"order_id":""}`},
		{"space in id", VerbCancel, `{"order_id":"a b"}`},
		{"long id", VerbCancel, `{"order_id":"` + strings.Repeat("a", 65) + `"}`},
		{"negative quantity", VerbBid, `{"id":"b","quantities":{"cpu":-1},"duration_seconds":60,"limit":"1"}`},
		{"zero quantity", VerbBid, `{"id":"b","quantities":{"cpu":0},"duration_seconds":60,"limit":"1"}`},
		{"huge quantity", VerbBid, `{"id":"b","quantities":{"cpu":1000000000000000000},"duration_seconds":60,"limit":"1"}`},
		{"overflow quantity", VerbBid, `{"id":"b","quantities":{"cpu":100000000000000000000},"duration_seconds":60,"limit":"1"}`},
		{"fractional quantity", VerbBid, `{"id":"b","quantities":{"cpu":1.5},"duration_seconds":60,"limit":"1"}`},
		{"exponent quantity", VerbBid, `{"id":"b","quantities":{"cpu":1e2},"duration_seconds":60,"limit":"1"}`},
		{"duplicate resource", VerbBid, `{"id":"b","quantities":{"cpu":1,"cpu":2},"duration_seconds":60,"limit":"1"}`},
		{"no resources", VerbBid, `{"id":"b","quantities":{},"duration_seconds":60,"limit":"1"}`},
		{"too many resources", VerbBid, `{"id":"b","quantities":` + string(manyJSON) + `,"duration_seconds":60,"limit":"1"}`},
		{"nested", VerbBid, `{"id":"b","quantities":{"cpu":{"a":{"b":{"c":{}}}}},"duration_seconds":60,"limit":"1"}`},
		{"zero duration", VerbBid, `{"id":"b","quantities":{"cpu":1},"duration_seconds":0,"limit":"1"}`},
		{"bad start", VerbBid, `{"id":"b","quantities":{"cpu":1},"start":"yesterday","duration_seconds":60,"limit":"1"}`},
		{"zero use", VerbUse, `{"resource":"tokens","quantity":0}`},
		{"negative report", VerbReport, `{"resource":"cpu","level":-1}`},
		{"zero ttl", VerbReserve, `{"resource":"tokens","worst_case":1,"ttl_ms":0}`},
		{"long ttl", VerbReserve, `{"resource":"tokens","worst_case":1,"ttl_ms":86400001}`},
		{"negative commit", VerbCommit, `{"reservation_id":"rsv-1","actual":-1}`},
		{"bad bundle id", VerbRelease, `{"bundle_id":"bundle//a1"}`},
		{"wrong verb", "mint", `{"id":"m","amount":"100"}`},
		{"verb case", "Bid", `{}`},
	}
	before := snap(r)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg, err := nc.Request(CommandSubject(DefaultPrefix, "alice", c.verb), []byte(c.body), 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			err = decodeReply(msg.Data, DefaultMaxMessage, nil)
			if got := codeOf(err); got != CodeInvalidRequest {
				t.Errorf("code %q (%v), want %q", got, err, CodeInvalidRequest)
			}
		})
	}
	if diff := cmp.Diff(before, snap(r)); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
	// The same connection can still trade.
	msg, err := nc.Request(CommandSubject(DefaultPrefix, "alice", VerbTransfer), []byte(`{"id":"t1","to":"bob","amount":"1.5"}`), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeReply(msg.Data, DefaultMaxMessage, nil); err != nil {
		t.Errorf("valid transfer: %v", err)
	}
}

// An agent without an account can open one but do nothing else.
func TestUnknownAgent(t *testing.T) {
	r := serveMarket(t, "alice")
	nc := connect(t, r.ns, ConnectOptions(agentUser("alice"))...)
	msg, err := nc.Request(CommandSubject(DefaultPrefix, "alice", VerbPrices), []byte(`{}`), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := codeOf(decodeReply(msg.Data, DefaultMaxMessage, nil)); got != CodeUnknownAgent {
		t.Errorf("prices before open: %q, want %q", got, CodeUnknownAgent)
	}
}
