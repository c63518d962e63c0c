package sched

import (
	"cmp"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// entry is the scheduler's record of one bundle.
type entry struct {
	id      string
	agent   string
	orderID string
	b       bundle.Bundle
	state   State
	meters  []meter   // one per resource of the bundle, in name order
	lease   *Lease    // how the bundle is paid for, if it is
	ended   time.Time // when it left the calendar, once it has
	// unpublished is set while a meter has usage not yet on the stream.
	unpublished bool
}

// meter is the use of one resource of a bundle. A few resources per bundle
// make a linear search by name cheaper than a map on the hot path of Use.
type meter struct {
	resource    string
	quantity    int64 // the bundle's
	used        int64 // consumed, outstanding reservations included
	unpublished int64 // the part of used not yet on the stream (UsageBatch)
}

// newEntry returns the record of bundle b, nothing used.
func newEntry(id, agent, orderID string, b bundle.Bundle, lease *Lease) *entry {
	b.Quantities = b.Quantities.Clone()
	e := &entry{id: id, agent: agent, orderID: orderID, b: b, state: Scheduled, lease: lease}
	for _, name := range b.Quantities.Names() {
		e.meters = append(e.meters, meter{resource: name, quantity: b.Quantities[name]})
	}
	return e
}

// meter returns the meter of resource, or nil if the bundle has none.
func (e *entry) meter(resource string) *meter {
	for i := range e.meters {
		if e.meters[i].resource == resource {
			return &e.meters[i]
		}
	}
	return nil
}

// left returns the quantity of resource the bundle has not consumed.
func (e *entry) left(resource string) int64 {
	if m := e.meter(resource); m != nil {
		return m.quantity - m.used
	}
	return 0
}

// used returns the quantity of resource the bundle has consumed.
func (e *entry) used(resource string) int64 {
	if m := e.meter(resource); m != nil {
		return m.used
	}
	return 0
}

// consume adds qty to what the bundle has used of resource, which it must
// hold; if unpublished, the usage is not yet on the stream.
func (e *entry) consume(resource string, qty int64, unpublished bool) {
	m := e.meter(resource)
	m.used += qty
	if unpublished {
		m.unpublished += qty
	}
}

// scheduled returns e's bundle_scheduled payload.
func (e *entry) scheduled() events.BundleScheduled {
	p := events.BundleScheduled{BundleID: e.id, AgentID: e.agent, OrderID: e.orderID,
		Quantities: e.b.EventQuantities(), Window: e.b.EventWindow()}
	if l := e.lease; l != nil {
		p.LeaseHold, p.LeaseAmount, p.LeasePayee, p.LeaseScale = l.HoldID, events.DecimalOf(l.Amount), l.Payee, l.Scale
	}
	return p
}

// info returns a copy of e for callers.
func (e *entry) info() Info {
	b := e.b
	b.Quantities = b.Quantities.Clone()
	used := make(bundle.Quantities)
	for _, m := range e.meters {
		if m.used != 0 {
			used[m.resource] = m.used
		}
	}
	info := Info{ID: e.id, Agent: e.agent, OrderID: e.orderID, Bundle: b, State: e.state, Used: used}
	if e.lease != nil {
		l := *e.lease
		l.Amount = new(apd.Decimal).Set(l.Amount)
		info.Lease = &l
	}
	return info
}

// byEnd orders entries earliest-ending first, then by id.
func byEnd(a, b *entry) int {
	if c := a.b.Window.End().Compare(b.b.Window.End()); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// current returns the held entries of agent whose window contains now,
// earliest-ending first (byAgent keeps them in that order). buf is reused
// for the result.
func (s *Scheduler) current(buf []*entry, agent string, now time.Time) []*entry {
	out := buf[:0]
	for _, e := range s.byAgent[agent] {
		if e.b.Window.Contains(now) {
			out = append(out, e)
		}
	}
	return out
}

// firstHolding returns the first entry of es that holds a quantity of
// resource, or nil.
func firstHolding(es []*entry, resource string) *entry {
	for _, e := range es {
		if e.meter(resource) != nil {
			return e
		}
	}
	return nil
}
