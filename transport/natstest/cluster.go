package natstest

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ClusterTimeout bounds how long StartCluster waits for the JetStream meta
// group to elect a leader.
const ClusterTimeout = 30 * time.Second

// Cluster is a JetStream cluster of servers running in the test's process.
type Cluster struct {
	servers []*Server
}

// StartCluster starts a JetStream cluster of n servers on loopback, each on
// random ports and its own temporary store, and waits until the cluster has a
// meta leader and every server is current. The servers are shut down when
// the test ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("natstest: cluster of %d servers", n)
	}
	ports := freePorts(tb, n)
	routes := make([]*url.URL, n)
	for i, p := range ports {
		routes[i] = &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)}
	}
	dir := tb.TempDir()
	c := &Cluster{}
	tb.Cleanup(c.Shutdown)
	for i := range n {
		opts := baseOptions(filepath.Join(dir, fmt.Sprintf("s%d", i+1)))
		opts.ServerName = fmt.Sprintf("s%d", i+1)
		opts.Cluster = server.ClusterOpts{Name: "natstest", Host: "127.0.0.1", Port: ports[i]}
		opts.Routes = routes
		s := &Server{opts: opts}
		s.start(tb)
		c.servers = append(c.servers, s)
	}
	c.waitForLeader(tb)
	return c
}

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("natstest: free port: %v", err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		defer l.Close()
	}
	return ports
}

// waitForLeader waits until one server is the meta leader, every server is
// current with it, and the leader sees every server online (else a stream
// placed at once may find "no suitable peers").
func (c *Cluster) waitForLeader(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(ClusterTimeout)
	for time.Now().Before(deadline) {
		if c.ready() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("natstest: no JetStream meta leader after %v", ClusterTimeout)
}

func (c *Cluster) ready() bool {
	leader := false
	for _, s := range c.servers {
		srv := s.NATS()
		if srv.JetStreamIsLeader() {
			leader = len(srv.JetStreamClusterPeers()) == len(c.servers)
		}
		if !srv.JetStreamIsCurrent() {
			return false
		}
	}
	return leader
}

// Servers returns the cluster's servers.
func (c *Cluster) Servers() []*Server { return c.servers }

// URL returns the client URLs of every server, comma separated, as
// nats.Connect accepts them.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.servers))
	for i, s := range c.servers {
		urls[i] = s.URL()
	}
	return strings.Join(urls, ",")
}

// Shutdown stops every server. Shutting down twice is not an error.
func (c *Cluster) Shutdown() {
	for _, s := range c.servers {
		s.Shutdown()
	}
}
