package natsauth_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
	"github.com/scarcitylabs/scarcity/transport/natsauth"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

const (
	prefix = "shard-a"
	stream = "SHARD_A"
)

// deployment is a NATS server started from natsauth's generated
// configuration, with TLS, its stream provisioned by the admin, and one
// market serving the agent API as its runtime user.
type deployment struct {
	t      *testing.T
	d      natsauth.Deployment
	files  natsauth.Files
	ns     *server.Server
	market *scarcity.Market
	clk    *clock.Mock
	stream *natstransport.Transport
}

// deploy writes a deployment of one shard for agents into a temporary
// directory, starts its server and market and opens and funds the agents'
// accounts with 100 credits each.
func deploy(t *testing.T, agents ...string) *deployment {
	t.Helper()
	d := natsauth.Deployment{Shards: []natsauth.Shard{{Prefix: prefix}}, Agents: agents, Port: -1, StoreDir: t.TempDir()}
	files, err := natsauth.Write(t.TempDir(), d)
	if err != nil {
		t.Fatal(err)
	}
	dep := &deployment{t: t, d: d, files: files}
	dep.ns = startServer(t, files.Config)

	ctx := context.Background()
	admin := dep.connect(adminOptions(t, files)...)
	if err := natstransport.Provision(ctx, natstransport.Options{Conn: admin, Prefix: prefix, Stream: stream}); err != nil {
		t.Fatalf("provision: %v", err)
	}
	admin.Close()

	mopts, err := natsauth.MarketOptions(prefix, files.Markets[prefix])
	if err != nil {
		t.Fatal(err)
	}
	mc := dep.connect(mopts...)
	dep.stream, err = natstransport.Open(ctx, natstransport.Options{Conn: mc, Prefix: prefix, Stream: stream, Provisioned: true})
	if err != nil {
		t.Fatalf("market opens its stream: %v", err)
	}
	t.Cleanup(func() { dep.stream.Close() })
	dep.clk = clock.NewMock()
	dep.market, err = scarcity.New(ctx, scarcity.Config{
		Resources: []bundle.Resource{
			{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
			{Name: "tokens", Unit: "token", Capacity: 1000, Enforcement: bundle.ServiceLevel},
		},
		ClearEvery: time.Minute, Clock: dep.clk, Publisher: dep.stream,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := agentapi.Serve(ctx, mc, dep.market, agentapi.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	for _, a := range agents {
		if err := dep.market.Open(ctx, a, apd.New(100, 0)); err != nil {
			t.Fatal(err)
		}
	}
	return dep
}

// startServer starts nats-server with the configuration file conf.
func startServer(tb testing.TB, conf string) *server.Server {
	tb.Helper()
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		tb.Fatalf("configuration: %v", err)
	}
	opts.NoLog, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats server not ready")
	}
	tb.Cleanup(ns.Shutdown)
	return ns
}

func adminOptions(tb testing.TB, files natsauth.Files) []nats.Option {
	tb.Helper()
	opts, err := natsauth.AdminOptions(files.Admin)
	if err != nil {
		tb.Fatal(err)
	}
	return opts
}

// connect connects to the deployment's server over TLS, verifying it with
// the deployment's CA.
func (d *deployment) connect(opts ...nats.Option) *nats.Conn {
	d.t.Helper()
	nc, err := d.dial(opts...)
	if err != nil {
		d.t.Fatalf("connect: %v", err)
	}
	d.t.Cleanup(nc.Close)
	return nc
}

// dial is connect that returns the error.
func (d *deployment) dial(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.RootCAs(d.files.TLS.CAFile), nats.MaxReconnects(0)}, opts...)
	return nats.Connect(d.ns.ClientURL(), opts...)
}

// agentOptions returns the connect options of agent, with its own seed.
func (d *deployment) agentOptions(agent string) []nats.Option {
	d.t.Helper()
	opts, err := agentapi.NkeyOptions(agent, d.files.Agents[agent])
	if err != nil {
		d.t.Fatal(err)
	}
	return opts
}

// client returns a new connection of agent, with an error channel that
// receives the server's asynchronous errors, and the agent's API client on
// it.
func (d *deployment) client(agent string) (*nats.Conn, <-chan error, *agentapi.Client) {
	d.t.Helper()
	errs := make(chan error, 64)
	nc := d.connect(append(d.agentOptions(agent),
		nats.PermissionErrOnSubscribe(true),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))...)
	c, err := agentapi.Dial(nc, agent, agentapi.Options{Prefix: prefix, Timeout: 5 * time.Second})
	if err != nil {
		d.t.Fatal(err)
	}
	return nc, errs, c
}

// streamState returns the stream's configuration (as JSON) and message
// count, as the admin sees them.
func (d *deployment) streamState() (string, uint64) {
	d.t.Helper()
	nc := d.connect(adminOptions(d.t, d.files)...)
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		d.t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		d.t.Fatal(err)
	}
	info := s.CachedInfo()
	b, err := json.Marshal(info.Config)
	if err != nil {
		d.t.Fatal(err)
	}
	return string(b), info.State.Msgs
}
