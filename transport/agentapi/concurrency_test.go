package agentapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/scarcitylabs/scarcity/benchkit"
)

// Agents trading in parallel over NATS keep the market's invariants: each
// pays its neighbour in a ring, so all end where they started.
func TestAgentsInParallel(t *testing.T) {
	const agents, rounds = 8, 20
	names := make([]string, agents)
	for i := range names {
		names[i] = fmt.Sprintf("agent-%d", i)
	}
	r := serveMarket(t, names...)
	funded(t, r, names...)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, agents)
	for i, a := range names {
		c, next := r.clients[a], names[(i+1)%agents]
		wg.Go(func() {
			for k := range rounds {
				id := fmt.Sprintf("%s-%d", a, k)
				if err := c.Bid(ctx, bidOf(id, a, map[string]int64{"cpu": 1}, "1")); err != nil {
					errs <- fmt.Errorf("bid %s: %w", id, err)
					return
				}
				if err := c.Transfer(ctx, id, a, next, dec("0.5")); err != nil {
					errs <- fmt.Errorf("transfer %s: %w", id, err)
					return
				}
				if err := c.Cancel(ctx, a, id); err != nil {
					errs <- fmt.Errorf("cancel %s: %w", id, err)
					return
				}
				if _, err := c.Balance(ctx, a); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, a := range names {
		b, err := r.m.Balance(ctx, a)
		if err != nil || b.Posted.Cmp(dec("100")) != 0 || !b.Pending.IsZero() {
			t.Errorf("%s: posted %v pending %v (%v), want 100 and 0", a, b.Posted, b.Pending, err)
		}
	}
	if s := r.m.Ledger().Sum(); !s.IsZero() {
		t.Errorf("ledger sum %s, want 0", s)
	}
	if err := benchkit.Check(r.log.Events(0)); err != nil {
		t.Errorf("invariants: %v", err)
	}
}

// After Close the market no longer answers, and Close is idempotent.
func TestClose(t *testing.T) {
	r := serveMarket(t, "alice")
	ctx := context.Background()
	if err := r.clients["alice"].OpenAccount(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := r.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.clients["alice"].QueryPrices(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("after Close: %v, want ErrUnavailable", err)
	}
}

// Cancelling Serve's context closes the server.
func TestServeContext(t *testing.T) {
	ns := startNATS(t, "alice")
	m, _, _ := newMarket(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Serve(ctx, connect(t, ns, ConnectOptions(marketUser)[0]), m, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-srv.done
	c := dialAgent(t, ns, "alice")
	if err := c.OpenAccount(context.Background(), "alice"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("after cancel: %v, want ErrUnavailable", err)
	}
}
