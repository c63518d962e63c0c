// Command distributed runs markets and agents as separate processes that
// find each other through a NATS server.
//
// A market is a single writer: one process owns its book, its ledger and its
// schedule. A deployment that outgrows one machine runs several markets, each
// owning its own pool of resources under its own subject prefix and
// JetStream stream, on one NATS server or cluster: shards. Agents in other
// processes trade on any shard through transport/agentapi, with their own
// NATS credentials: the server lets each agent publish only its own commands
// and read only its own inbox and events, so no agent can act as another.
//
// Three subcommands:
//
//	distributed server -agents alice,bob,carol -prefixes shard-a,shard-b -secret S
//	    runs a NATS server with JetStream and one user per market and agent
//	    (passwords derived from the secret), prints the equivalent
//	    nats-server configuration and the commands below.
//	distributed market -nats URL -prefix shard-a -agents alice,bob,carol -password P
//	    runs one market shard: its events go to its own stream, it serves
//	    the agent API under its prefix and clears every -every; on exit it
//	    reads its stream back and prints the benchkit verdict.
//	distributed agent -nats URL -prefix shard-a,shard-b -agent alice -password P
//	    runs one agent trading on every listed shard: it bids for a bundle
//	    of CPU and tokens, uses the tokens, and bids again when they are
//	    gone.
//
// The users are those of agentapi.Accounts, with the permissions of every
// shard's prefix merged, since each agent trades on both shards.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
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
		return fmt.Errorf("usage: distributed server|market|agent [flags]")
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
	}
	return fmt.Errorf("unknown command %q: want server, market or agent", args[0])
}

func serverFlags(fs *flag.FlagSet) (*serverOptions, [2]*string) {
	o := &serverOptions{}
	fs.StringVar(&o.Host, "host", "127.0.0.1", "interface to listen on")
	fs.IntVar(&o.Port, "port", 4222, "client port")
	fs.StringVar(&o.StoreDir, "store", os.TempDir()+"/scarcity-distributed", "JetStream store directory")
	fs.StringVar(&o.Secret, "secret", "", "operator secret from which passwords are derived (required)")
	prefixes := fs.String("prefixes", "shard-a,shard-b", "subject prefixes of the market shards")
	agents := fs.String("agents", "alice,bob,carol", "agent names, one NATS user each")
	return o, [2]*string{prefixes, agents}
}

func marketFlags(fs *flag.FlagSet) (*marketOptions, *string) {
	o := &marketOptions{}
	fs.StringVar(&o.URL, "nats", "nats://127.0.0.1:4222", "NATS server URL")
	fs.StringVar(&o.Prefix, "prefix", "shard-a", "subject prefix of this shard")
	fs.StringVar(&o.Stream, "stream", "", "JetStream stream (default: the prefix in capitals)")
	fs.StringVar(&o.Password, "password", "", "password of the market's NATS user")
	fs.Int64Var(&o.Credits, "credits", 100, "credits each agent starts with")
	fs.DurationVar(&o.Every, "every", 10*time.Second, "time between clearing rounds")
	fs.DurationVar(&o.For, "for", 0, "how long to run (0: until interrupted)")
	agents := fs.String("agents", "alice,bob,carol", "agents whose accounts the market opens")
	return o, agents
}

func agentFlags(fs *flag.FlagSet) (*agentOptions, *string) {
	o := &agentOptions{}
	fs.StringVar(&o.URL, "nats", "nats://127.0.0.1:4222", "NATS server URL")
	fs.StringVar(&o.Agent, "agent", "alice", "the agent's id")
	fs.StringVar(&o.User, "user", "", "NATS user (default: the agent's id)")
	fs.StringVar(&o.Password, "password", "", "password of the agent's NATS user")
	fs.DurationVar(&o.Window, "window", 30*time.Second, "length of the bundles the agent buys")
	fs.DurationVar(&o.Every, "every", 3*time.Second, "time between steps")
	fs.DurationVar(&o.For, "for", 0, "how long to run (0: until interrupted)")
	prefixes := fs.String("prefix", "shard-a", "subject prefixes of the shards to trade on, comma-separated")
	return o, prefixes
}
