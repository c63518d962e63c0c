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

// BenchmarkUse measures one successful Use of one token for an agent
// holding 1 or 8 active bundles: with its usage_recorded event stamped and
// published to events.Discard on every call (usage=each), and with usage
// coalesced by Options.UsageBatch 1024 (usage=batched, the fast path: one
// publish per 1024 calls).
func BenchmarkUse(b *testing.B) {
	for _, bundles := range []int{1, 8} {
		for _, batch := range []int{1, 1024} {
			mode := map[int]string{1: "each", 1024: "batched"}[batch]
			b.Run(fmt.Sprintf("bundles=%d/usage=%s", bundles, mode), func(b *testing.B) {
				benchUse(b, bundles, batch)
			})
		}
	}
}

// benchUse runs BenchmarkUse for one configuration.
func benchUse(b *testing.B, bundles, batch int) {
	{
		{
			cat, err := bundle.NewCatalog(bundle.Resource{Name: "tokens", Capacity: benchBudget, Enforcement: bundle.ServiceLevel})
			if err != nil {
				b.Fatal(err)
			}
			clk := clock.NewMock()
			clk.Set(t0)
			s, err := New(cat, Options{Clock: clk, Publisher: events.Discard, UsageBatch: batch})
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
		}
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

// admitSizes are the numbers of booked bundles BenchmarkAdmit runs against.
var admitSizes = []int{1000, 10_000, 100_000}

// admitScheduler returns a scheduler holding n bundles of one minute, one
// starting every 10 seconds from t0 (six overlap at any instant), and a
// ten-minute probe in the middle of them that fits: the probe overlaps the
// same number of bundles whatever n is, so checking it is the same unit of
// work at every size. It also returns the booked bundles.
func admitScheduler(b *testing.B, n int) (*Scheduler, bundle.Bundle, []bundle.Bundle) {
	cat, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Capacity: 100, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "mem", Capacity: 4096, Enforcement: bundle.OSLevel},
	)
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.NewMock()
	clk.Set(t0)
	s, err := New(cat, Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	booked := make([]bundle.Bundle, n)
	for i := range n {
		booked[i] = bundle.Bundle{Quantities: bundle.Quantities{"cpu": int64(5 + i%5), "mem": int64(100 + i%7)},
			Window: bundle.Window{Start: t0.Add(time.Duration(i) * 10 * time.Second), Duration: time.Minute}}
		if err := s.Schedule(context.Background(), fmt.Sprintf("b%d", i), "a", "", booked[i]); err != nil {
			b.Fatal(err)
		}
	}
	probe := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 30, "mem": 300},
		Window: bundle.Window{Start: t0.Add(time.Duration(n) * 5 * time.Second), Duration: 10 * time.Minute}}
	return s, probe, booked
}

// BenchmarkAdmit measures one admission check (Check: validation and the
// calendar's capacity check at every instant of the window) against 1000,
// 10,000 and 100,000 booked bundles. The calendar's timelines are chunked,
// so the cost grows with the logarithm of the number booked.
func BenchmarkAdmit(b *testing.B) {
	for _, n := range admitSizes {
		b.Run(fmt.Sprintf("booked=%d", n), func(b *testing.B) {
			s, probe, _ := admitScheduler(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Check(probe); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAdmitBaseline is the same admission decision made naively:
// validating the probe, then, at the start of the probe and of every
// booked bundle inside its window, summing the booked bundles that cover
// that instant, scanning all of them.
func BenchmarkAdmitBaseline(b *testing.B) {
	for _, n := range admitSizes {
		b.Run(fmt.Sprintf("booked=%d", n), func(b *testing.B) {
			s, probe, booked := admitScheduler(b, n)
			capacity := s.catalog.Capacity()
			b.ReportAllocs()
			for b.Loop() {
				if err := probe.Validate(s.catalog); err != nil {
					b.Fatal(err)
				}
				if !naiveFits(probe, booked, capacity) {
					b.Fatal("the probe does not fit")
				}
			}
		})
	}
}

// naiveFits reports whether probe fits next to booked at every instant
// where the booked quantity can change inside the probe's window.
func naiveFits(probe bundle.Bundle, booked []bundle.Bundle, capacity bundle.Quantities) bool {
	w := probe.Window
	fits := func(t time.Time) bool {
		for name, q := range probe.Quantities {
			used := q
			for _, bk := range booked {
				if bk.Window.Contains(t) {
					used += bk.Quantities[name]
				}
			}
			if used > capacity[name] {
				return false
			}
		}
		return true
	}
	if !fits(w.Start) {
		return false
	}
	for _, bk := range booked {
		if w.Contains(bk.Window.Start) && !fits(bk.Window.Start) {
			return false
		}
	}
	return true
}
