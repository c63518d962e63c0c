package scarcity_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// simNATSRun is the JetStream stream of one seed of TestSimulation with
// -sim.nats: an embedded server, restarted at random points, and a
// Transport on it.
type simNATSRun struct {
	t        testing.TB
	srv      *natstest.Server
	tr       *natstransport.Transport
	restarts *rand.Rand // apart from the simulation's, so that its draws stay as in memory
}

// natsFor returns a new run over NATS for a seed with -sim.nats, else nil.
func natsFor(t *testing.T) *simNATSRun {
	if !*simNATS {
		return nil
	}
	return &simNATSRun{t: t}
}

// start starts the server and opens the Transport the market publishes to.
func (n *simNATSRun) start(seed uint64) events.Publisher {
	n.srv = natstest.StartServer(n.t)
	tr, err := natstransport.Open(context.Background(), natstransport.Options{URL: n.srv.URL(), AckTimeout: time.Second})
	if err != nil {
		n.t.Fatalf("natstransport.Open: %v", err)
	}
	n.tr, n.restarts = tr, rand.New(rand.NewPCG(seed, 0x7e57))
	return tr
}

// readAll returns a function that reads the whole stream, retrying while
// the server comes back from a restart.
func (n *simNATSRun) readAll(s *sim) func() []events.Event {
	return func() []events.Event {
		var last error
		for range 50 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			evs, err := n.tr.ReadAll(ctx)
			cancel()
			if err == nil {
				return evs
			}
			last = err
			time.Sleep(100 * time.Millisecond)
		}
		s.failf("ReadAll: %v", last)
		return nil
	}
}

// down stops the server one time in fifteen, for the operation about to
// run, and reports whether it did; up starts it again.
func (n *simNATSRun) down() bool {
	if n.restarts.IntN(15) != 0 {
		return false
	}
	n.srv.Shutdown()
	return true
}

// up starts the server again on its store after down.
func (n *simNATSRun) up() { n.srv.Restart(n.t) }

// close closes the Transport and stops the server.
func (n *simNATSRun) close() {
	if n.tr != nil {
		n.tr.Close()
	}
	if n.srv != nil {
		n.srv.Shutdown()
	}
}
