package sched

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// benchBudget is a token budget no benchmark run exhausts.
const benchBudget = 1 << 60

// BenchmarkUse measures one successful Use of one token, with its
// usage_recorded event stamped and published to events.Discard, for an agent
// holding 1 or 8 active bundles.
func BenchmarkUse(b *testing.B) {
	for _, bundles := range []int{1, 8} {
		b.Run(fmt.Sprintf("bundles=%d", bundles), func(b *testing.B) {
			cat, err := bundle.NewCatalog(bundle.Resource{Name: "tokens", Capacity: benchBudget, Enforcement: bundle.ServiceLevel})
			if err != nil {
				b.Fatal(err)
			}
			clk := clock.NewMock()
			clk.Set(t0)
			s, err := New(cat, Options{Clock: clk, Publisher: events.Discard})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for i := range bundles {
				bb := bundle.Bundle{Quantities: bundle.Quantities{"tokens": benchBudget / 8},
					Window: bundle.Window{Start: t0, Duration: time.Duration(i+1) * time.Hour}}
				if err := s.Schedule(ctx, fmt.Sprintf("b%d", i), "alice", "", bb); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Use(ctx, "alice", "tokens", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// budgetCounter is the baseline's unit of work: a per-agent budget in a map
// under a mutex, without bundles, clock or events.
type budgetCounter struct {
	mu   sync.Mutex
	left map[string]int64
}

func (c *budgetCounter) use(agent string, qty int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left[agent] < qty {
		return false
	}
	c.left[agent] -= qty
	return true
}

// BenchmarkUseBaseline is the floor for BenchmarkUse: decrementing a
// per-agent budget counter in a map under a mutex.
func BenchmarkUseBaseline(b *testing.B) {
	c := &budgetCounter{left: map[string]int64{"alice": benchBudget}}
	b.ReportAllocs()
	for b.Loop() {
		if !c.use("alice", 1) {
			b.Fatal("budget exhausted")
		}
	}
}
