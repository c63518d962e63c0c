package process_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/scarcitylabs/scarcity/sched/process"
)

func TestUsage(t *testing.T) {
	r := newRunner(t, process.Options{})
	p := start(t, r, "a", helper("busy"))
	var u process.Usage
	eventually(t, "CPU time and memory to show", func() bool {
		var err error
		u, err = r.Usage("a")
		if err != nil {
			t.Fatalf("Usage: %v", err)
		}
		return u.CPU >= 50*time.Millisecond && u.Resident > 0
	})
	if u.Running != 1 || u.AddressSpace < u.Resident || u.PeakResident < u.Resident {
		t.Errorf("Usage = %+v: want 1 running, address space and peak at least resident", u)
	}
	if err := r.Terminate(t.Context(), "a", "expired"); err != nil {
		t.Fatal(err)
	}
	e, _ := p.Exit()
	after, err := r.Usage("a")
	if err != nil {
		t.Fatal(err)
	}
	if after.Running != 0 || after.Ended != 1 || after.Resident != 0 || after.CPU != e.CPU || after.CPU < u.CPU || e.PeakResident <= 0 {
		t.Errorf("Usage after exit = %+v, exit %+v: want the exit's final figures", after, e)
	}
}

// sample is one call of a ReportFunc.
type sample struct {
	Agent, Resource string
	Level           int64
}

// TestSampler drives the sampler on a mock clock and checks that it reports
// a busy agent's CPU percentage and memory.
func TestSampler(t *testing.T) {
	clk := clock.NewMock()
	r := newRunner(t, process.Options{Clock: clk})
	start(t, r, "busy", helper("busy"))

	var mu sync.Mutex
	var got []sample
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan error, 1)
	go func() {
		stopped <- r.Sample(ctx, process.SamplerOptions{Interval: time.Second, CPU: "cpu", Memory: "mem", MemoryUnit: 1024},
			func(agent, resource string, level int64) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, sample{agent, resource, level})
			})
	}()
	cpuSeen := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range got {
			if s.Resource == "cpu" && s.Level > 0 {
				return true
			}
		}
		return false
	}
	eventually(t, "a CPU sample", func() bool {
		time.Sleep(20 * time.Millisecond) // let the helper spend real CPU time between ticks
		clk.Add(time.Second)
		return cpuSeen()
	})
	cancel()
	if err := <-stopped; err != context.Canceled {
		t.Errorf("Sample returned %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range got {
		if s.Agent != "busy" || s.Level < 0 || (s.Resource == "mem" && s.Level == 0) {
			t.Errorf("sample %+v: want agent busy, a level above zero for memory", s)
		}
	}
}
