package sched_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
)

// Example schedules a bundle of LLM tokens, uses part of it, and is denied a
// request beyond what is left.
func Example() {
	ctx := context.Background()
	catalog, err := bundle.NewCatalog(
		bundle.Resource{Name: "tokens", Unit: "token", Capacity: 10_000, Enforcement: bundle.ServiceLevel},
	)
	if err != nil {
		panic(err)
	}
	clk := clock.NewMock()
	clk.Set(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC))
	log := events.NewLog(events.LogOptions{})
	s, err := sched.New(catalog, sched.Options{Clock: clk, Publisher: log, Correlation: "demo"})
	if err != nil {
		panic(err)
	}

	b := bundle.Bundle{
		Quantities: bundle.Quantities{"tokens": 5000},
		Window:     bundle.Window{Start: clk.Now(), Duration: 10 * time.Minute},
	}
	if err := s.Schedule(ctx, "bundle-1", "agent-7", "order-1", b); err != nil {
		panic(err)
	}
	if err := s.Use(ctx, "agent-7", "tokens", 3000); err != nil {
		panic(err)
	}
	fmt.Println("remaining:", s.Remaining("agent-7", "tokens"))

	err = s.Use(ctx, "agent-7", "tokens", 2500)
	var denied *sched.DeniedError
	if errors.As(err, &denied) {
		fmt.Printf("denied: requested %d, available %d (%s)\n", denied.Requested, denied.Available, denied.Reason)
	}
	for _, e := range log.Events(1) {
		fmt.Println(e.Sequence, e.Type, e.Subject)
	}
	// Output:
	// remaining: 2000
	// denied: requested 2500, available 2000 (exceeds_bundle)
	// 1 bundle_scheduled agent-7
	// 2 bundle_activated agent-7
	// 3 agent_awake agent-7
	// 4 usage_recorded agent-7
	// 5 service_denied agent-7
}

// terminator stands in for an executor that kills an agent's processes.
type terminator struct{}

func (terminator) Terminate(_ context.Context, agent, reason string) error {
	fmt.Printf("kill %s: %s\n", agent, reason)
	return nil
}

// ExampleScheduler_Report terminates an agent whose CPU sample exceeds the
// share it bought.
func ExampleScheduler_Report() {
	ctx := context.Background()
	catalog, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
	)
	if err != nil {
		panic(err)
	}
	clk := clock.NewMock()
	clk.Set(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC))
	s, err := sched.New(catalog, sched.Options{Clock: clk, Executor: terminator{}})
	if err != nil {
		panic(err)
	}
	b := bundle.Bundle{
		Quantities: bundle.Quantities{"cpu": 10},
		Window:     bundle.Window{Start: clk.Now(), Duration: 10 * time.Minute},
	}
	if err := s.Schedule(ctx, "bundle-1", "agent-7", "order-1", b); err != nil {
		panic(err)
	}
	fmt.Println("8 %:", s.Report(ctx, "agent-7", "cpu", 8))
	err = s.Report(ctx, "agent-7", "cpu", 25)
	fmt.Println("25 %: terminated:", errors.Is(err, sched.ErrTerminated))
	info, _ := s.Bundle("bundle-1")
	fmt.Println("bundle-1:", info.State)
	// Output:
	// 8 %: <nil>
	// kill agent-7: exceeds_bundle
	// 25 %: terminated: true
	// bundle-1: terminated
}
