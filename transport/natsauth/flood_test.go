package natsauth_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
)

// floodBound is the p99 latency another agent's calls must keep while one
// agent floods the market: generous for a loaded 2-core machine under
// -race; the same calls take a few milliseconds without the flood.
const floodBound = 500 * time.Millisecond

// TestFloodOverGeneratedDeployment plays a hostile agent with its own valid
// credentials, on the generated deployment over TLS, flooding the market
// from as many connections as its account allows with balance calls, tiny
// bids and large emits, while another agent trades: the other agent's
// every call is answered, within floodBound at the 99th percentile.
func TestFloodOverGeneratedDeployment(t *testing.T) {
	d := deploy(t, "bob", "mallory")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	var refused, accepted sync.Map
	for conn := range natsDefaultAgentConns - 1 { // one is kept for the check below
		_, _, mallory := d.client("mallory")
		for g := range 10 {
			wg.Go(func() { flood(ctx, mallory, fmt.Sprintf("%d-%d", conn, g), &refused, &accepted) })
		}
	}
	_, _, bob := d.client("bob")
	time.Sleep(500 * time.Millisecond) // the flood is under way
	var took []time.Duration
	for i := range 300 {
		start := time.Now()
		var err error
		if i%2 == 0 {
			_, err = bob.Balance(context.Background(), "bob")
		} else {
			_, err = bob.QueryPrices(context.Background())
		}
		if err != nil {
			t.Fatalf("bob's call %d during the flood: %v", i, err)
		}
		took = append(took, time.Since(start))
	}
	stop()
	wg.Wait()
	slices.Sort(took)
	p50, p99 := took[len(took)/2], took[len(took)*99/100]
	t.Logf("bob during mallory's flood: p50 %v, p99 %v; mallory accepted %v, refused %v", p50, p99, counts(&accepted), counts(&refused))
	if p99 > floodBound {
		t.Errorf("bob's p99 %v exceeds %v", p99, floodBound)
	}
	if counts(&refused) == "" {
		t.Error("the flood was never refused")
	}
}

// natsDefaultAgentConns is the connections an agent account may hold by
// default (natsauth.Limits).
const natsDefaultAgentConns = 4

// flood sends mallory's requests until ctx is done, counting refusals by
// error.
func flood(ctx context.Context, c *agentapi.Client, name string, refused, accepted *sync.Map) {
	big := events.ReasoningTrace{Content: strings.Repeat("x", 16<<10)}
	for n := 0; ctx.Err() == nil; n++ {
		var err error
		switch n % 3 {
		case 0:
			_, err = c.Balance(ctx, "mallory")
		case 1:
			err = c.Bid(ctx, scarcity.Bid{ID: fmt.Sprintf("f%s-%d", name, n), Agent: "mallory", Limit: apd.New(1, 0),
				Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1}, Window: bundle.Window{Duration: time.Second}}})
		case 2:
			err = c.Emit(ctx, "mallory", big)
		}
		key := "ok"
		switch {
		case err == nil:
		case errors.Is(err, agentapi.ErrRateLimited):
			key = "rate_limited"
		case errors.Is(err, agentapi.ErrBusy):
			key = "busy"
		case errors.Is(err, scarcity.ErrEmitQuota):
			key = "emit_quota"
		case errors.Is(err, scarcity.ErrTooManyBids):
			key = "too_many_bids"
		case errors.Is(err, scarcity.ErrBidRejected):
			key = "bid_rejected" // her credits are all held by her bids
		default:
			key = "other"
		}
		m := refused
		if key == "ok" {
			m = accepted
		}
		v, _ := m.LoadOrStore(key, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
}

func counts(m *sync.Map) string {
	var out []string
	m.Range(func(k, v any) bool { out = append(out, fmt.Sprintf("%s:%d", k, v.(*atomic.Int64).Load())); return true })
	slices.Sort(out)
	return strings.Join(out, " ")
}
