package benchkit

import (
	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

// CheckUsage returns nil or an error joining a *Violation named
// "usage_within_bundles" for every usage_recorded that is not within its
// bundle: one that names a bundle not scheduled earlier on the stream, or
// scheduled for another agent, or already ended (bundle_released or
// bundle_expired earlier on the stream).
//
// For a consumed (service-level) resource, the quantities recorded against
// a bundle never add up to more than the bundle's quantity of the
// resource, each event's limit is that quantity, and its used is at least
// what was recorded so far (it also counts reserved units) and at most the
// limit: a request beyond it must have been refused with service_denied,
// consuming nothing. For a sampled (OS-level) resource, a sample above its
// limit (the agent's envelope) must be followed by an agent_terminated of
// the agent. A service_denied must deny a request larger than what it
// reports available.
//
// o.OSLevel says which resources are sampled; when it is nil, a
// usage_recorded is taken for a sample if its limit is not its bundle's
// quantity of the resource or its used is below what was already recorded
// in the bundle, and from then on that resource of that bundle is.
func CheckUsage(evs []events.Event, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	return join(inOrder(usage(evs, o)))
}

// meteredBundle is a bundle's replayed metering.
type meteredBundle struct {
	agent      string
	quantities events.Quantities
	endedBy    string // the id of the event that ended it
	meters     []meter
}

// meter is the usage recorded of one resource in a bundle.
type meter struct {
	resource string
	recorded int64
	sampled  bool
}

func (b *meteredBundle) meter(resource string) *meter {
	for i := range b.meters {
		if b.meters[i].resource == resource {
			return &b.meters[i]
		}
	}
	b.meters = append(b.meters, meter{resource: resource})
	return &b.meters[len(b.meters)-1]
}

type agentKey struct {
	correlation string
	agent       string
}

// meterModel is the replayed metering of one check.
type meterModel struct {
	r       *recorder
	osLevel map[string]bool
	bundles map[bundleKey]*meteredBundle
	// overshoots are the positions of samples above their envelope whose
	// agent is not yet terminated.
	overshoots map[agentKey][]int
}

func usage(evs []events.Event, o Options) []finding {
	m := &meterModel{
		r: newRecorder(UsageWithinBundles), osLevel: o.OSLevel,
		bundles: make(map[bundleKey]*meteredBundle), overshoots: make(map[agentKey][]int),
	}
	for i, e := range evs {
		if e.Source != events.SourceScheduler {
			continue
		}
		switch p := payload(e.Data).(type) {
		case events.BundleScheduled:
			m.bundles[bundleKey{e.Correlation, p.BundleID}] = &meteredBundle{agent: p.AgentID, quantities: p.Quantities}
		case events.BundleReleased:
			m.end(e, p.BundleID)
		case events.BundleExpired:
			m.end(e, p.BundleID)
		case events.UsageRecorded:
			m.r.at(i, e)
			m.record(i, e, p)
		case events.ServiceDenied:
			if p.Requested <= p.Available {
				m.r.at(i, e)
				m.r.flag("%q denied %d %s with %d available", p.AgentID, p.Requested, p.Resource, p.Available)
			}
		case events.AgentTerminated:
			delete(m.overshoots, agentKey{e.Correlation, p.AgentID})
		}
	}
	m.unterminated(evs)
	return m.r.found
}

func (m *meterModel) end(e events.Event, bundleID string) {
	if b := m.bundles[bundleKey{e.Correlation, bundleID}]; b != nil && b.endedBy == "" {
		b.endedBy = e.ID
	}
}

// usageLimits is what a usage_recorded states of its bundle, compared with
// the bundle as scheduled.
type usageLimits struct {
	Agent string
	Limit int64
}

func (m *meterModel) record(i int, e events.Event, u events.UsageRecorded) {
	b := m.bundles[bundleKey{e.Correlation, u.BundleID}]
	switch {
	case b == nil:
		m.r.flag("%q used %d %s of bundle %q, which was never scheduled", u.AgentID, u.Quantity, u.Resource, u.BundleID)
		return
	case b.endedBy != "":
		m.r.flag("%q used %d %s of bundle %q after it ended at event %s", u.AgentID, u.Quantity, u.Resource, u.BundleID, b.endedBy)
	}
	if b.agent != u.AgentID {
		m.r.flag("usage of bundle %q (-want +got):\n%s", u.BundleID,
			cmp.Diff(usageLimits{b.agent, u.Limit}, usageLimits{u.AgentID, u.Limit}))
	}
	mt := b.meter(u.Resource)
	if m.sampled(b, mt, u) {
		mt.sampled = true
		if u.Used > u.Limit {
			k := agentKey{e.Correlation, u.AgentID}
			m.overshoots[k] = append(m.overshoots[k], i)
		}
		return
	}
	m.consume(b, mt, u)
}

// sampled reports whether u is a sample of an OS-level resource.
func (m *meterModel) sampled(b *meteredBundle, mt *meter, u events.UsageRecorded) bool {
	if m.osLevel != nil {
		return m.osLevel[u.Resource]
	}
	return mt.sampled || u.Limit != b.quantities[u.Resource] || u.Used < mt.recorded+u.Quantity
}

// consume checks a usage of a service-level resource against its bundle.
func (m *meterModel) consume(b *meteredBundle, mt *meter, u events.UsageRecorded) {
	allowed := b.quantities[u.Resource]
	if u.Limit != allowed {
		m.r.flag("limit of %s in bundle %q (-want +got):\n%s", u.Resource, u.BundleID,
			cmp.Diff(usageLimits{b.agent, allowed}, usageLimits{u.AgentID, u.Limit}))
	}
	if u.Quantity < 0 {
		m.r.flag("%q used a negative %d %s", u.AgentID, u.Quantity, u.Resource)
	}
	before := mt.recorded
	mt.recorded += u.Quantity
	switch {
	case mt.recorded > allowed:
		m.r.flag("%q used %d %s of bundle %q, which allows %d: %d recorded before, %d more without service_denied",
			u.AgentID, mt.recorded, u.Resource, u.BundleID, allowed, before, u.Quantity)
	case u.Used > u.Limit:
		m.r.flag("%q used %d %s of bundle %q, above its limit %d", u.AgentID, u.Used, u.Resource, u.BundleID, u.Limit)
	case u.Used < mt.recorded:
		m.r.flag("%q reports %d %s used in bundle %q, below the %d recorded", u.AgentID, u.Used, u.Resource, u.BundleID, mt.recorded)
	}
}

// unterminated flags the samples above their envelope whose agent was
// never terminated.
func (m *meterModel) unterminated(evs []events.Event) {
	for _, list := range m.overshoots {
		for _, i := range list {
			u := payload(evs[i].Data).(events.UsageRecorded)
			m.r.at(i, evs[i])
			m.r.flag("%q sampled %d %s, above its envelope %d, and was never terminated", u.AgentID, u.Used, u.Resource, u.Limit)
		}
	}
}
