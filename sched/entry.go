package sched

import (
	"cmp"
	"slices"
	"time"

	"github.com/scarcitylabs/scarcity/bundle"
)

// entry is the scheduler's record of one bundle.
type entry struct {
	id      string
	agent   string
	orderID string
	b       bundle.Bundle
	state   State
	used    bundle.Quantities // consumed service-level quantities
	lease   *Lease            // how the bundle is paid for, if it is
	// unpublished is the part of used not yet on the stream (UsageBatch).
	unpublished bundle.Quantities
}

// left returns the quantity of resource the bundle has not consumed.
func (e *entry) left(resource string) int64 {
	return e.b.Quantities[resource] - e.used[resource]
}

// info returns a copy of e for callers.
func (e *entry) info() Info {
	b := e.b
	b.Quantities = b.Quantities.Clone()
	return Info{ID: e.id, Agent: e.agent, OrderID: e.orderID, Bundle: b, State: e.state, Used: e.used.Clone()}
}

// byEnd orders entries earliest-ending first, then by id.
func byEnd(a, b *entry) int {
	if c := a.b.Window.End().Compare(b.b.Window.End()); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// current returns the held entries of agent whose window contains now,
// earliest-ending first. buf is reused for the result.
func (s *Scheduler) current(buf []*entry, agent string, now time.Time) []*entry {
	out := buf[:0]
	for _, e := range s.byAgent[agent] {
		if e.b.Window.Contains(now) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, byEnd)
	return out
}

// holding filters es, in place, to the entries that hold a quantity of
// resource.
func holding(es []*entry, resource string) []*entry {
	out := es[:0]
	for _, e := range es {
		if e.b.Quantities[resource] > 0 {
			out = append(out, e)
		}
	}
	return out
}

// firstHolding returns the first entry of es that holds a quantity of
// resource, or nil.
func firstHolding(es []*entry, resource string) *entry {
	for _, e := range es {
		if e.b.Quantities[resource] > 0 {
			return e
		}
	}
	return nil
}
