package agentapi_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/natsauth"
)

// An agent in another process bids over NATS. natsauth writes every user's
// seed file, the TLS files and the server's configuration, in which alice's
// connection can only send alice's commands.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "agentapi-example-*")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	files, err := natsauth.Write(dir, natsauth.Deployment{
		Shards: []natsauth.Shard{{Prefix: agentapi.DefaultPrefix}}, Agents: []string{"alice"},
		Port: -1, StoreDir: filepath.Join(dir, "store"),
	})
	if err != nil {
		panic(err)
	}
	sopts, err := server.ProcessConfigFile(files.Config) // or: nats-server -c nats.conf
	if err != nil {
		panic(err)
	}
	sopts.NoLog, sopts.NoSigs = true, true
	ns, err := server.NewServer(sopts)
	if err != nil {
		panic(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(5 * time.Second) {
		panic("nats not ready")
	}
	ca := nats.RootCAs(files.TLS.CAFile)

	// The market's process.
	clk := clock.NewMock()
	m, err := scarcity.New(ctx, scarcity.Config{
		Resources: []bundle.Resource{{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel}},
		Clock:     clk,
	})
	if err != nil {
		panic(err)
	}
	mopts, err := natsauth.MarketOptions(agentapi.DefaultPrefix, files.Markets[agentapi.DefaultPrefix])
	if err != nil {
		panic(err)
	}
	mc, err := nats.Connect(ns.ClientURL(), append(mopts, ca)...)
	if err != nil {
		panic(err)
	}
	defer mc.Close()
	srv, err := agentapi.Serve(ctx, mc, m, agentapi.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// Alice's process.
	aopts, err := agentapi.NkeyOptions("alice", files.Agents["alice"])
	if err != nil {
		panic(err)
	}
	ac, err := nats.Connect(ns.ClientURL(), append(aopts, ca)...)
	if err != nil {
		panic(err)
	}
	defer ac.Close()
	client, err := agentapi.Dial(ac, "alice", agentapi.Options{})
	if err != nil {
		panic(err)
	}
	var agent scarcity.AgentAPI = client
	if err := agent.OpenAccount(ctx, "alice"); err != nil {
		panic(err)
	}
	if err := m.Mint(ctx, "welcome", "alice", apd.New(100, 0), "welcome"); err != nil { // the operator
		panic(err)
	}
	err = agent.Bid(ctx, scarcity.Bid{ID: "a1", Agent: "alice", Limit: apd.New(50, 0),
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 50}, Window: bundle.Window{Duration: 10 * time.Minute}}})
	fmt.Println("bid:", err)
	bal, _ := agent.Balance(ctx, "alice")
	fmt.Println("available:", bal.Available, "held:", bal.Pending)
	err = agent.Bid(ctx, scarcity.Bid{ID: "a2", Agent: "alice", Limit: apd.New(80, 0),
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 10}, Window: bundle.Window{Duration: time.Minute}}})
	fmt.Println("second bid:", err)
	err = agent.Cancel(ctx, "bob", "b1")
	fmt.Println("as bob:", err)

	clk.Add(scarcity.DefaultClearEvery)
	if err := m.Tick(ctx); err != nil {
		panic(err)
	}
	prices, _ := agent.QueryPrices(ctx)
	fmt.Println("cpu price:", prices["cpu"])
	fmt.Println("active:", m.Scheduler().Active("alice"))
	// Output:
	// bid: <nil>
	// available: 50 held: 50
	// second bid: agentapi: rejected: scarcity: bid a2 rejected (insufficient_balance): ledger: insufficient credit: account "alice" has 50 available, needs 80
	// as bob: agentapi: call names another agent: client of "alice" called for "bob"
	// cpu price: 0.001
	// active: [bundle/a1/1]
}
