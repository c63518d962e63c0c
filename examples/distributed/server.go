package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// serverOptions are the flags of the server command.
type serverOptions struct {
	Host     string
	Port     int // -1 for a random port
	StoreDir string
	Prefixes []string
	Agents   []string
	Secret   string
}

// startServer starts a NATS server with JetStream whose users are those of
// users(o.Secret, o.Prefixes, o.Agents), and waits until it accepts
// connections.
func startServer(o serverOptions) (*server.Server, error) {
	if o.Secret == "" {
		return nil, fmt.Errorf("server: -secret is required")
	}
	us, err := users(o.Secret, o.Prefixes, o.Agents)
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(&server.Options{
		Host: o.Host, Port: o.Port, JetStream: true, StoreDir: o.StoreDir,
		Users: us, NoLog: true, NoSigs: true,
	})
	if err != nil {
		return nil, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server not ready")
	}
	return ns, nil
}

// runServer runs the embedded server until ctx is done, after printing the
// equivalent configuration for an external nats-server and the commands
// that start the markets and agents.
func runServer(ctx context.Context, w io.Writer, o serverOptions) error {
	ns, err := startServer(o)
	if err != nil {
		return err
	}
	defer ns.Shutdown()
	us, _ := users(o.Secret, o.Prefixes, o.Agents)
	url := ns.ClientURL()
	fmt.Fprintf(w, "NATS server with JetStream on %s, store %s\n\n", url, o.StoreDir)
	fmt.Fprintf(w, "The same set-up on an external nats-server (nats-server -c FILE):\n\n%s\n", configFile(o.Port, o.StoreDir, us))
	fmt.Fprintln(w, "Start each market shard and each agent in its own terminal:")
	fmt.Fprintln(w)
	agents := strings.Join(o.Agents, ",")
	for _, p := range o.Prefixes {
		fmt.Fprintf(w, "  go run ./examples/distributed market -nats %s -prefix %s -agents %s -password %s\n",
			url, p, agents, password(o.Secret, marketUser))
	}
	for _, a := range o.Agents {
		fmt.Fprintf(w, "  go run ./examples/distributed agent -nats %s -prefix %s -agent %s -user %s -password %s\n",
			url, strings.Join(o.Prefixes, ","), a, a, password(o.Secret, a))
	}
	<-ctx.Done()
	return nil
}
