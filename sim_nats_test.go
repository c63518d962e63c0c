package scarcity_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/faultinject"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// simNATSRun is the JetStream stream of one seed of TestSimulation with
// -sim.nats: an embedded server, restarted at random points, and a
// Transport on it.
type simNATSRun struct {
	tb       testing.TB
	srv      *natstest.Server
	tr       *natstransport.Transport // the market's
	rd       *natstransport.Transport // the checks', read-only
	restarts *rand.Rand               // apart from the run's draws
	down     bool
}

func newSimNATSRun(tb testing.TB, seed uint64) *simNATSRun {
	n := &simNATSRun{tb: tb, restarts: rand.New(rand.NewPCG(seed, 0x7e57))}
	n.srv = natstest.StartServer(tb)
	tr, err := natstransport.Open(context.Background(), natstransport.Options{URL: n.srv.URL(), AckTimeout: 300 * time.Millisecond, Timeout: time.Second})
	if err != nil {
		panic(simFail{fmt.Sprintf("natstransport.Open: %v", err)})
	}
	n.tr = tr
	// The checks read through a Transport of their own, as every reader
	// should: a read through the writer's Transport is the writer
	// rebuilding itself, and lets it publish again after a failure.
	rd, err := natstransport.Open(context.Background(), natstransport.Options{URL: n.srv.URL(), ReadOnly: true, Timeout: time.Second})
	if err != nil {
		panic(simFail{fmt.Sprintf("natstransport.Open (reader): %v", err)})
	}
	n.rd = rd
	return n
}

// writer returns what the market publishes through: the Transport, with
// late deliveries (simNATSWriter).
func (n *simNATSRun) writer() simPub { return simNATSWriter{n.tr} }

// simNATSWriter is a Transport that is also a faultinject.LateWriter: a
// late delivery sends a call's events as raw JetStream messages, each with
// the id (Nats-Msg-Id) and the expected last sequence that the Transport
// would have given it when the call was made (Transport.Position), each
// after the first expecting the one before it (Nats-Expected-Last-Msg-Id),
// so that the server refuses them if the stream moved on. A Transport that
// does not know its position (a call of it failed, and it has not read the
// stream since) sends nothing on a pipelined call, which is how the market
// publishes: such a late delivery stores nothing.
//
// The Transport itself never learns of the call: it stays synchronised
// with the stream, whereas a real call whose acknowledgement was lost
// would have made it learn the stream's last sequence again before its
// next publish — from the server, so that it would store its next call
// after a late delivery its writer never read. -sim.jet=natstransport
// models that in memory; here only a real failure (a server restart)
// makes it happen.
type simNATSWriter struct{ *natstransport.Transport }

func (w simNATSWriter) PrepareLate(ctx context.Context, evs []events.Event, _ bool) (func(context.Context) error, error) {
	last, known := w.Position()
	if !known {
		return func(context.Context) error {
			return fmt.Errorf("%w: the writer does not know where its stream stands until it reads it", natstransport.ErrConflict)
		}, nil
	}
	return rawWrite(w.JetStream(), w.Prefix(), last, evs)
}

// rawWrite returns the function that publishes evs as raw messages, the
// first expecting the stream's last sequence to be last.
func rawWrite(js jetstream.JetStream, prefix string, last uint64, evs []events.Event) (func(context.Context) error, error) {
	msgs := make([]*nats.Msg, len(evs))
	ids := make([]string, len(evs))
	for i, e := range evs {
		data, err := events.Encode(e)
		if err != nil {
			return nil, err
		}
		msgs[i], ids[i] = &nats.Msg{Subject: natstransport.Subject(prefix, e), Data: data}, e.ID
	}
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		for i, m := range msgs {
			opts := []jetstream.PublishOpt{jetstream.WithMsgID(ids[i]), jetstream.WithExpectLastSequence(last + uint64(i))}
			if i > 0 {
				opts = append(opts, jetstream.WithExpectLastMsgID(ids[i-1]))
			}
			if _, err := js.PublishMsg(ctx, m, opts...); err != nil {
				return fmt.Errorf("late message %d of %d: %w", i+1, len(msgs), err)
			}
		}
		return nil
	}, nil
}

var _ faultinject.LateWriter = simNATSWriter{}

// snapshots returns the snapshot store beside the stream (the Transport's
// Object Store bucket), or an in-memory one if it cannot be opened.
func (n *simNATSRun) snapshots() events.SnapshotStore {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := n.tr.Snapshots(ctx)
	if err != nil {
		n.tb.Logf("sim: snapshots in memory: natstransport: %v", err)
		return events.NewMemorySnapshots()
	}
	return st
}

// readAll reads the whole stream, retrying while the server comes back
// from a restart.
func (n *simNATSRun) readAll(s *sim) []events.Event {
	var last error
	for range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		evs, err := n.rd.ReadAll(ctx)
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

// maybeDown stops the server one step in twenty, at the start of the step
// about to run, and reports whether it did; up starts it again.
func (n *simNATSRun) maybeDown() bool {
	if n.restarts.IntN(20) != 0 {
		return false
	}
	n.srv.Shutdown()
	n.down = true
	return true
}

// up starts the server again on its store after maybeDown.
func (n *simNATSRun) up() {
	n.srv.Restart(n.tb)
	n.down = false
}

// close closes the Transport and stops the server.
func (n *simNATSRun) close() {
	if n.tr != nil {
		n.tr.Close()
	}
	if n.rd != nil {
		n.rd.Close()
	}
	if n.srv != nil && !n.down {
		n.srv.Shutdown()
	}
}
