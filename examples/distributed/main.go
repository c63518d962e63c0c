// Command distributed runs markets and agents as separate processes that
// find each other through a NATS server.
//
// A market is a single writer: one process owns its book, its ledger and its
// schedule. A deployment that outgrows one machine runs several markets, each
// owning its own pool of resources under its own subject prefix and
// JetStream stream, on one NATS server or cluster: shards. Agents in other
// processes trade on any shard through transport/agentapi, each with its own
// NATS key and account (transport/natsauth): the server lets an agent
// publish only its own commands and receive only its own replies and the
// events about it, within limits on its connections, subscriptions and
// message size, so that no agent can act as another, even one holding valid
// credentials of its own.
//
// Five subcommands:
//
//	distributed server -dir DIR -agents alice,bob,carol -prefixes shard-a,shard-b
//	    writes into DIR a seed file per user (mode 0600), a CA and the
//	    server's TLS certificate, and nats.conf (public keys only); runs a
//	    NATS server with JetStream with that configuration, provisions the
//	    shards' streams as the admin, and prints the paths and the commands
//	    below — never a seed.
//	distributed provision -nats URL -ca FILE -creds DIR/admin.nk -prefixes shard-a,shard-b
//	    provisions the shards' streams on an external nats-server started
//	    with DIR/nats.conf (the server command does it for its own).
//	distributed market -nats URL -ca FILE -creds DIR/market.shard-a.nk -prefix shard-a -agents alice,bob,carol
//	    runs one market shard: its events go to its provisioned stream, it
//	    serves the agent API under its prefix and clears every -every; on
//	    exit it reads its stream back and prints the benchkit verdict. With
//	    -metrics 127.0.0.1:9464 it serves its metrics (and the agent API's)
//	    for Prometheus at /metrics; -log json -log-level DEBUG logs every
//	    round, refusal and failure on stderr as JSON.
//	distributed agent -nats URL -ca FILE -creds DIR/agent.alice.nk -agent alice -prefix shard-a,shard-b
//	    runs one agent trading on every listed shard: it bids for a bundle
//	    of CPU and tokens, uses the tokens, and bids again when they are
//	    gone; with -events it prints the events about it as they arrive.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/scarcitylabs/scarcity/transport/natsauth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := dispatch(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "distributed:", err)
		os.Exit(1)
	}
}

// dispatch runs the subcommand args[0] with the flags that follow.
func dispatch(ctx context.Context, w io.Writer, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: distributed server|provision|market|agent [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	switch args[0] {
	case "server":
		o, lists := serverFlags(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		o.Prefixes, o.Agents = splitList(*lists[0]), splitList(*lists[1])
		return runServer(ctx, w, *o)
	case "market":
		o, agents := marketFlags(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		o.Agents = splitList(*agents)
		return runMarket(ctx, w, *o)
	case "agent":
		o, prefixes := agentFlags(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		o.Prefixes = splitList(*prefixes)
		return runAgent(ctx, w, *o)
	case "provision":
		url, ca, creds := fs.String("nats", "tls://127.0.0.1:4222", "NATS server URL"),
			fs.String("ca", "", "CA file to verify the server with"),
			fs.String("creds", "", "the admin's seed file")
		prefixes := fs.String("prefixes", "shard-a,shard-b", "subject prefixes of the market shards")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if err := provision(ctx, *url, *ca, *creds, splitList(*prefixes)); err != nil {
			return err
		}
		fmt.Fprintf(w, "streams provisioned for %s\n", *prefixes)
		return nil
	}
	return fmt.Errorf("unknown command %q: want server, provision, market or agent", args[0])
}

func serverFlags(fs *flag.FlagSet) (*serverOptions, [2]*string) {
	o := &serverOptions{}
	fs.StringVar(&o.Dir, "dir", "", "directory for the configuration, the CA and the seed files (required)")
	fs.StringVar(&o.Host, "host", "127.0.0.1", "interface to listen on")
	fs.IntVar(&o.Port, "port", 4222, "client port")
	fs.StringVar(&o.StoreDir, "store", "", "JetStream store directory (default: DIR/store)")
	fs.IntVar(&o.Monitor, "monitor", 0, "monitoring port on 127.0.0.1 (0: none)")
	fs.IntVar(&o.Limits.AgentConnections, "agent-conns", natsauth.DefaultAgentConnections, "connections per agent")
	fs.IntVar(&o.Limits.AgentSubscriptions, "agent-subs", natsauth.DefaultAgentSubscriptions, "subscriptions per agent connection")
	fs.IntVar(&o.Limits.AgentPayload, "agent-payload", natsauth.DefaultAgentPayload, "bytes per agent message")
	fs.Int64Var(&o.Limits.MarketStorage, "storage", natsauth.DefaultMarketStorage, "bytes of JetStream storage for all the streams")
	prefixes := fs.String("prefixes", "shard-a,shard-b", "subject prefixes of the market shards")
	agents := fs.String("agents", "alice,bob,carol", "agent ids, one NATS account and key each")
	return o, [2]*string{prefixes, agents}
}

func marketFlags(fs *flag.FlagSet) (*marketOptions, *string) {
	o := &marketOptions{}
	fs.StringVar(&o.URL, "nats", "tls://127.0.0.1:4222", "NATS server URL")
	fs.StringVar(&o.CA, "ca", "", "CA file to verify the server with")
	fs.StringVar(&o.Creds, "creds", "", "the market's seed file (mode 0600)")
	fs.StringVar(&o.Prefix, "prefix", "shard-a", "subject prefix of this shard")
	fs.StringVar(&o.Stream, "stream", "", "JetStream stream (default: the prefix in capitals)")
	fs.Int64Var(&o.Credits, "credits", 100, "credits each agent starts with")
	fs.DurationVar(&o.Every, "every", 10*time.Second, "time between clearing rounds")
	fs.DurationVar(&o.For, "for", 0, "how long to run (0: until interrupted)")
	agents := fs.String("agents", "alice,bob,carol", "agents whose accounts the market opens")
	fs.StringVar(&o.Metrics, "metrics", "", "serve Prometheus metrics at ADDR/metrics, e.g. 127.0.0.1:9464 (default: none)")
	fs.StringVar(&o.Log, "log", "text", "log format on stderr: text or json")
	fs.TextVar(&o.Level, "log-level", slog.LevelInfo, "lowest level logged: DEBUG (each round), INFO, WARN or ERROR")
	o.Stderr = os.Stderr
	return o, agents
}

func agentFlags(fs *flag.FlagSet) (*agentOptions, *string) {
	o := &agentOptions{}
	fs.StringVar(&o.URL, "nats", "tls://127.0.0.1:4222", "NATS server URL")
	fs.StringVar(&o.CA, "ca", "", "CA file to verify the server with")
	fs.StringVar(&o.Creds, "creds", "", "the agent's seed file (mode 0600)")
	fs.StringVar(&o.Agent, "agent", "alice", "the agent's id")
	fs.BoolVar(&o.Events, "events", false, "print the events about the agent as they arrive")
	fs.DurationVar(&o.Window, "window", 30*time.Second, "length of the bundles the agent buys")
	fs.DurationVar(&o.Every, "every", 3*time.Second, "time between steps")
	fs.DurationVar(&o.For, "for", 0, "how long to run (0: until interrupted)")
	prefixes := fs.String("prefix", "shard-a", "subject prefixes of the shards to trade on, comma-separated")
	return o, prefixes
}
