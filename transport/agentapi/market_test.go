package agentapi

import (
	"context"
	"errors"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/ledger"
)

// A Server serves a *scarcity.Market.
var _ Market = (*scarcity.Market)(nil)

// Serve refuses a nil market, typed or not, as it did when it took a
// *scarcity.Market.
func TestServeNilMarket(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns, nats.UserInfo(marketUser.Name, marketUser.Password))
	for _, m := range []Market{nil, (*scarcity.Market)(nil)} {
		if srv, err := Serve(context.Background(), nc, m, Options{}); !errors.Is(err, ErrInvalidOptions) {
			if srv != nil {
				srv.Close()
			}
			t.Errorf("Serve(%#v): %v, want ErrInvalidOptions", m, err)
		}
	}
}

// The Market methods behind the API: OpenAccount, CheckAgent, Transfer and
// QueryPrices, in process.
func TestMarketAgentMethods(t *testing.T) {
	ctx := context.Background()
	m, err := scarcity.New(ctx, scarcity.Config{Resources: []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		agent string
		want  error
	}{{"alice", nil}, {"alice", nil}, {"bob", nil}, {scarcity.OperatorAccount, ledger.ErrAccountExists}, {"a b", scarcity.ErrInvalidID}} {
		if err := m.OpenAccount(ctx, c.agent); !errors.Is(err, c.want) {
			t.Errorf("OpenAccount(%q) = %v, want %v", c.agent, err, c.want)
		}
	}
	if err := m.CheckAgent("carol"); !errors.Is(err, scarcity.ErrUnknownAgent) {
		t.Errorf("CheckAgent(carol) = %v", err)
	}
	if err := m.Mint(ctx, "g", "alice", apd.New(10, 0), "grant"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, from, to string
		amount       *apd.Decimal
		want         error
	}{
		{"t1", "alice", "bob", apd.New(4, 0), nil},
		{"t1", "alice", "bob", apd.New(4, 0), nil},
		{"t1", "alice", "bob", apd.New(5, 0), ledger.ErrExistsWithDifferentFields},
		{"t2", "alice", "bob", apd.New(7, 0), ledger.ErrInsufficientCredit},
		{"t3", "alice", "carol", apd.New(1, 0), scarcity.ErrUnknownAgent},
		{"t4", "alice", scarcity.OperatorAccount, apd.New(1, 0), scarcity.ErrUnknownAgent},
		{"t5", "alice", "bob", apd.New(-1, 0), ledger.ErrInvalidAmount},
		{"t/6", "alice", "bob", apd.New(1, 0), scarcity.ErrInvalidID},
	} {
		if err := m.Transfer(ctx, c.id, c.from, c.to, c.amount); !errors.Is(err, c.want) {
			t.Errorf("Transfer(%s, %s→%s, %s) = %v, want %v", c.id, c.from, c.to, c.amount, err, c.want)
		}
	}
	for agent, want := range map[string]int64{"alice": 6, "bob": 4} {
		if b, _ := m.Balance(ctx, agent); b.Posted.Cmp(apd.New(want, 0)) != 0 {
			t.Errorf("%s has %s, want %d", agent, b.Posted, want)
		}
	}
	if p, err := m.QueryPrices(ctx); err != nil || p["cpu"] == nil {
		t.Errorf("QueryPrices = %v, %v", p, err)
	}
}
