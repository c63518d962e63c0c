package process

import (
	"fmt"
	"time"
)

// Usage is what an agent's processes use: live ones now, read from
// /proc, and ended ones in total, from their exit status.
type Usage struct {
	// Running and Ended count the agent's live and ended processes.
	Running, Ended int
	// CPU is the user plus system time of all the agent's processes, live
	// and ended.
	CPU time.Duration
	// Resident is the resident memory of the live processes now, in bytes.
	Resident int64
	// AddressSpace is the virtual memory of the live processes now, in
	// bytes: what Spec.Memory limits, per process.
	AddressSpace int64
	// PeakResident is the highest peak resident memory of any one process,
	// live or ended, in bytes.
	PeakResident int64
}

// procSample is what /proc tells of one live process.
type procSample struct {
	cpu          time.Duration
	resident     int64
	peakResident int64
	addressSpace int64
}

// Usage returns what agent's processes use. Only the processes the Runner
// started are counted, not their descendants while these run. It fails with
// ErrUnknownAgent if the Runner has started nothing for agent.
func (r *Runner) Usage(agent string) (Usage, error) {
	r.mu.Lock()
	a := r.agents[agent]
	if a == nil {
		r.mu.Unlock()
		return Usage{}, fmt.Errorf("%w: %q", ErrUnknownAgent, agent)
	}
	u := Usage{Ended: a.ended, CPU: a.endedCPU, PeakResident: a.endedPeak}
	live := make([]int, 0, len(a.live))
	for p := range a.live {
		live = append(live, p.pid)
	}
	r.mu.Unlock()
	for _, pid := range live {
		s, err := readProc(pid)
		if err != nil {
			continue // it ended since: its total joins the next Usage
		}
		u.Running++
		u.CPU += s.cpu
		u.Resident += s.resident
		u.AddressSpace += s.addressSpace
		u.PeakResident = max(u.PeakResident, s.peakResident)
	}
	return u, nil
}

// running returns the agents with live processes.
func (r *Runner) running() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var agents []string
	for name, a := range r.agents {
		if len(a.live) > 0 {
			agents = append(agents, name)
		}
	}
	return agents
}
