package natstransport_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

const (
	// failoverPublishers publish concurrently, each its own events.
	failoverPublishers = 3
	// failoverBatch is the number of events per Publish call.
	failoverBatch = 10
	// failoverEvents bounds the events of one publisher; far more than a
	// test publishes.
	failoverEvents = 3000
	// failoverRounds is how many batches every publisher must have
	// acknowledged before a server is stopped, and again after.
	failoverRounds = 20
)

// TestFailoverFollower stops a server that does not lead the stream (the one
// the client is connected to, if it is not the leader) while events are
// published to an R3 stream.
func TestFailoverFollower(t *testing.T) {
	testFailover(t, func(tr *natstransport.Transport, c *natstest.Cluster, leader string) *natstest.Server {
		var follower *natstest.Server
		for _, s := range c.Servers() {
			if s.NATS().Name() == leader {
				continue
			}
			if follower == nil || s.URL() == tr.ClientURL() {
				follower = s
			}
		}
		return follower
	})
}

// TestFailoverLeader stops the server that leads the stream while events are
// published to an R3 stream.
func TestFailoverLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a stream leader election")
	}
	testFailover(t, func(_ *natstransport.Transport, c *natstest.Cluster, leader string) *natstest.Server {
		for _, s := range c.Servers() {
			if s.NATS().Name() == leader {
				return s
			}
		}
		t.Fatalf("no server named %q", leader)
		return nil
	})
}

// testFailover publishes to an R3 stream on a 3-server cluster from several
// publishers, stops the server pick returns, and checks that every publisher
// keeps getting events accepted and that the stream then holds every
// acknowledged event exactly once, in each publisher's order.
func testFailover(t *testing.T, pick func(tr *natstransport.Transport, c *natstest.Cluster, leader string) *natstest.Server) {
	c := natstest.StartCluster(t, 3)
	tr := open(t, c.URL(), natstransport.Options{Replicas: 3, AckTimeout: 2 * time.Second})

	pubs := make([]*failoverPublisher, failoverPublishers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range pubs {
		pubs[i] = &failoverPublisher{evs: agentEvents(failoverEvents, events.SourceAgent, fmt.Sprintf("pub-%d", i), t0)}
		wg.Go(func() {
			if err := pubs[i].run(tr, stop); err != nil {
				t.Error(err)
			}
		})
	}
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
		}
		wg.Wait()
	}()

	waitAcked(t, pubs, func(*failoverPublisher) int { return failoverRounds * failoverBatch })
	victim := pick(tr, c, streamLeader(t, tr))
	name, connected := victim.NATS().Name(), victim.URL() == tr.ClientURL()
	before := make(map[*failoverPublisher]int, len(pubs))
	for _, p := range pubs {
		before[p] = p.acked()
	}
	victim.Shutdown()
	t.Logf("stopped %s (client connected to it: %v)", name, connected)
	waitAcked(t, pubs, func(p *failoverPublisher) int { return before[p] + failoverRounds*failoverBatch })
	close(stop)
	stopped = true
	wg.Wait()
	if t.Failed() {
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	got, err := tr.ReadAll(ctx)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	byPub := make(map[string][]events.Event)
	for _, e := range got {
		byPub[e.Correlation] = append(byPub[e.Correlation], e)
	}
	for i, p := range pubs {
		corr := fmt.Sprintf("pub-%d", i)
		t.Logf("%s: %d events acknowledged, %d after the stop; %d failed calls retried", corr, p.acked(), p.acked()-before[p], p.retries.Load())
		// Every publisher's last call succeeded, so all it published is
		// acknowledged: the stream must hold exactly that, batch after
		// batch. Within a call that failed and was retried, the events
		// may be stored in any order (see Publish).
		got := byPub[corr]
		checkBatchOrder(t, corr, got)
		slices.SortStableFunc(got, func(a, b events.Event) int { return cmp.Compare(a.Sequence, b.Sequence) })
		diffEvents(t, p.evs[:p.acked()], got)
	}
	if len(byPub) != len(pubs) {
		t.Fatalf("stream holds events of %d correlations, want %d", len(byPub), len(pubs))
	}
}

// checkBatchOrder checks that the events of each Publish call of a
// publisher (failoverBatch consecutive sequences) are stored after those
// of its calls before.
func checkBatchOrder(t *testing.T, corr string, evs []events.Event) {
	t.Helper()
	last := uint64(0)
	for _, e := range evs {
		batch := (e.Sequence - 1) / failoverBatch
		if batch < last {
			t.Errorf("%s: %v of call %d stored after events of call %d", corr, e, batch, last)
			return
		}
		last = batch
	}
}

// failoverPublisher publishes its events in batches, each retried until the
// server accepts it, and counts the events acknowledged.
type failoverPublisher struct {
	evs []events.Event
	n   atomic.Int64 // events acknowledged: evs[:n]
	// retries counts the failed Publish calls that were made again.
	retries atomic.Int64
}

func (p *failoverPublisher) acked() int { return int(p.n.Load()) }

// run publishes batches until stop is closed or its events run out (a
// publisher may race through them while another waits out an ack timeout).
func (p *failoverPublisher) run(tr *natstransport.Transport, stop <-chan struct{}) error {
	for i := 0; i+failoverBatch <= len(p.evs); i += failoverBatch {
		select {
		case <-stop:
			return nil
		default:
		}
		if err := publishUntil(tr, waitTimeout, &p.retries, p.evs[i:i+failoverBatch]...); err != nil {
			return err
		}
		p.n.Store(int64(i + failoverBatch))
	}
	return nil
}

// publishUntil publishes evs again until a call succeeds or timeout passes,
// counting the failed calls in retries.
func publishUntil(tr *natstransport.Transport, timeout time.Duration, retries *atomic.Int64, evs ...events.Event) error {
	deadline := time.Now().Add(timeout)
	for {
		err := tr.Publish(context.Background(), evs...)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Publish not accepted for %v: %w", timeout, err)
		}
		retries.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAcked waits until every publisher has at least want(p) events
// acknowledged.
func waitAcked(t *testing.T, pubs []*failoverPublisher, want func(*failoverPublisher) int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		done := true
		for _, p := range pubs {
			done = done && p.acked() >= min(want(p), len(p.evs)/failoverBatch*failoverBatch)
		}
		if done {
			return
		}
		if t.Failed() || time.Now().After(deadline) {
			for i, p := range pubs {
				t.Logf("pub-%d: %d of %d events acknowledged", i, p.acked(), want(p))
			}
			t.Fatalf("publishers did not get events accepted within %v", waitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamLeader returns the name of the server leading tr's stream.
func streamLeader(t *testing.T, tr *natstransport.Transport) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	st, err := tr.JetStream().Stream(ctx, tr.Stream())
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("stream has no leader: %+v", info.Cluster)
	}
	return info.Cluster.Leader
}
