package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity/transport/natsauth"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// serverOptions are the flags of the server command.
type serverOptions struct {
	Dir      string // where the configuration, the CA and the seed files go
	Host     string
	Port     int    // -1 for a random port
	StoreDir string // empty: Dir/store
	Monitor  int    // monitoring port on 127.0.0.1; 0 for none
	Prefixes []string
	Agents   []string
	Limits   natsauth.Limits
}

// deployment returns the natsauth deployment of o: one shard per prefix,
// its stream named after it, and one account per agent.
func (o serverOptions) deployment() natsauth.Deployment {
	d := natsauth.Deployment{Agents: o.Agents, Limits: o.Limits, Host: o.Host, Port: o.Port,
		MonitorPort: o.Monitor, StoreDir: o.StoreDir}
	if d.StoreDir == "" {
		d.StoreDir = filepath.Join(o.Dir, "store")
	}
	for _, p := range o.Prefixes {
		d.Shards = append(d.Shards, natsauth.Shard{Prefix: p})
	}
	return d
}

// startServer writes the deployment's files into o.Dir (natsauth.Write:
// a seed file per user, the TLS files, nats.conf), starts a NATS server
// with that configuration and provisions every shard's stream as the
// admin. It returns the server and the files.
func startServer(o serverOptions) (*server.Server, natsauth.Files, error) {
	if o.Dir == "" {
		return nil, natsauth.Files{}, fmt.Errorf("server: -dir is required")
	}
	files, err := natsauth.Write(o.Dir, o.deployment())
	if err != nil {
		return nil, natsauth.Files{}, err
	}
	opts, err := server.ProcessConfigFile(files.Config)
	if err != nil {
		return nil, natsauth.Files{}, err
	}
	opts.NoLog, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, natsauth.Files{}, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, natsauth.Files{}, fmt.Errorf("nats server not ready")
	}
	if err := provision(context.Background(), ns.ClientURL(), files.TLS.CAFile, files.Admin, o.Prefixes); err != nil {
		ns.Shutdown()
		return nil, natsauth.Files{}, err
	}
	return ns, files, nil
}

// provision connects as the admin and creates, or updates, the stream of
// every shard: the markets' own users may not.
func provision(ctx context.Context, url, caFile, creds string, prefixes []string) error {
	opts, err := natsauth.AdminOptions(creds)
	if err != nil {
		return err
	}
	nc, err := nats.Connect(url, append(opts, tlsOptions(caFile)...)...)
	if err != nil {
		return err
	}
	defer nc.Close()
	for _, p := range prefixes {
		if err := natstransport.Provision(ctx, natstransport.Options{Conn: nc, Prefix: p, Stream: natsauth.StreamName(p)}); err != nil {
			return fmt.Errorf("provision %s: %w", p, err)
		}
	}
	return nil
}

// tlsOptions verifies the server with the CA in caFile, if given.
func tlsOptions(caFile string) []nats.Option {
	if caFile == "" {
		return nil
	}
	return []nats.Option{nats.RootCAs(caFile)}
}

// runServer runs the server until ctx is done, after printing where its
// files are and the commands that start the markets and agents. It never
// prints a seed: each command names its user's seed file.
func runServer(ctx context.Context, w io.Writer, o serverOptions) error {
	ns, files, err := startServer(o)
	if err != nil {
		return err
	}
	defer ns.Shutdown()
	url := strings.Replace(ns.ClientURL(), "nats://", "tls://", 1)
	fmt.Fprintf(w, "NATS server with JetStream on %s; streams provisioned for %s\n\n", url, strings.Join(o.Prefixes, ", "))
	fmt.Fprintf(w, "Configuration (public keys only): %s\n", files.Config)
	fmt.Fprintf(w, "  the same server elsewhere: nats-server -c %s\n", files.Config)
	fmt.Fprintf(w, "CA the clients verify the server with: %s\n", files.TLS.CAFile)
	fmt.Fprintf(w, "Seed files, mode 0600, one per user; hand each process its own:\n")
	fmt.Fprintf(w, "  admin (provisions streams; not for the markets): %s\n", files.Admin)
	for _, p := range o.Prefixes {
		fmt.Fprintf(w, "  market %s: %s\n", p, files.Markets[p])
	}
	for _, a := range o.Agents {
		fmt.Fprintf(w, "  agent %s: %s\n", a, files.Agents[a])
	}
	fmt.Fprintln(w, "\nStart each market shard and each agent in its own terminal:")
	fmt.Fprintln(w)
	agents := strings.Join(o.Agents, ",")
	for _, p := range o.Prefixes {
		fmt.Fprintf(w, "  go run ./examples/distributed market -nats %s -ca %s -creds %s -prefix %s -agents %s\n",
			url, files.TLS.CAFile, files.Markets[p], p, agents)
	}
	for _, a := range o.Agents {
		fmt.Fprintf(w, "  go run ./examples/distributed agent -nats %s -ca %s -creds %s -agent %s -prefix %s\n",
			url, files.TLS.CAFile, files.Agents[a], a, strings.Join(o.Prefixes, ","))
	}
	<-ctx.Done()
	return nil
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
