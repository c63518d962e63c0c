package invariant

import (
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/internal/stream"
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
		switch p := stream.Payload(e.Data).(type) {
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

// usageLimits is what a usage_recorded states of its bundle, to compare
// with the bundle as scheduled.
func usageLimits(agent string, limit int64) []diffField {
	return []diffField{{"Agent", agent}, {"Limit", limit}}
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
			diff(usageLimits(b.agent, u.Limit), usageLimits(u.AgentID, u.Limit)))
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
			diff(usageLimits(b.agent, allowed), usageLimits(u.AgentID, u.Limit)))
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
			u := stream.Payload(evs[i].Data).(events.UsageRecorded)
			m.r.at(i, evs[i])
			m.r.flag("%q sampled %d %s, above its envelope %d, and was never terminated", u.AgentID, u.Used, u.Resource, u.Limit)
		}
	}
}

// CheckSpend returns nil or an error joining a *Violation named
// "spend_within_limit" for every usage_recorded of the spend resource that
// takes the units recorded in the window ending at its time, (t−Window, t],
// past the limit, and for every spend_limit_reached that does not agree
// with the stream: whose spent is not the units recorded in the window
// ending at its time, whose reserved is not the units of the spend
// resource reserved (usage_reserved) and not yet released
// (reservation_released), whose limit or window is not the limit's, or
// whose request would have fitted.
//
// The limit is o.Spend, or else the limit and window the run's first
// spend_limit_reached states; a run without either is not checked. The
// check takes each usage_recorded's time as the time of the spend, which
// holds when the scheduler publishes usage as it meters it (no usage
// batching).
func CheckSpend(evs []events.Event, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	return join(inOrder(spend(evs, o)))
}

// spendWindow is the replayed spend of one run: its window and its
// outstanding reservations.
type spendWindow struct {
	stream.Window
	reserved map[string]int64 // outstanding reservations of the resource
	total    int64            // their units
}

func spend(evs []events.Event, o Options) []finding {
	var limits map[string]stream.SpendLimit
	if o.Spend == nil {
		if limits = stream.SpendLimits(evs); limits == nil {
			return nil
		}
	}
	r := newRecorder(SpendWithinLimit)
	runs := make(map[string]*spendWindow)
	for i, e := range evs {
		if e.Source != events.SourceScheduler {
			continue
		}
		w := runs[e.Correlation]
		if w == nil {
			limit, ok := limits[e.Correlation]
			if o.Spend != nil {
				limit, ok = stream.SpendLimit(*o.Spend), true
			}
			if !ok {
				continue
			}
			w = &spendWindow{Window: stream.Window{Limit: limit}, reserved: make(map[string]int64)}
			runs[e.Correlation] = w
		}
		r.at(i, e)
		w.apply(r, evs, i, e)
	}
	return r.found
}

// apply replays one scheduler event on the window.
func (w *spendWindow) apply(r *recorder, evs []events.Event, i int, e events.Event) {
	switch p := stream.Payload(e.Data).(type) {
	case events.UsageRecorded:
		if p.Resource == w.Limit.Resource {
			w.record(r, evs, i, e.Time.UnixNano(), p.Quantity)
		}
	case events.UsageReserved:
		if p.Resource == w.Limit.Resource {
			w.reserved[p.ReservationID] = p.Quantity
			w.total += p.Quantity
		}
	case events.ReservationReleased:
		if q, ok := w.reserved[p.ReservationID]; ok {
			w.total -= q
			delete(w.reserved, p.ReservationID)
		}
	case events.SpendLimitReached:
		w.refused(r, e.Time.UnixNano(), p)
	}
}

func (w *spendWindow) record(r *recorder, evs []events.Event, i int, now, units int64) {
	w.Evict(now)
	w.Add(stream.Spent{At: now, Units: units, Index: i})
	if w.Sum <= w.Limit.Limit {
		return
	}
	n, first := w.Records()
	r.flag("%d units of %s recorded in the %v ending here, above the limit %d: %d usage_recorded from event %s",
		w.Sum, w.Limit.Resource, w.Limit.Window, w.Limit.Limit, n, evs[first.Index].ID)
}

// spendState is what a spend_limit_reached reports, to compare with the
// replay.
func spendState(resource string, limit int64, window time.Duration, spent, reserved int64) []diffField {
	return []diffField{{"Resource", resource}, {"Limit", limit}, {"Window", window}, {"Spent", spent}, {"Reserved", reserved}}
}

func (w *spendWindow) refused(r *recorder, now int64, p events.SpendLimitReached) {
	w.Evict(now)
	window, err := stream.Seconds(p.WindowSeconds)
	if err != nil {
		r.flag("window_seconds %q: %v", p.WindowSeconds, err)
	}
	want := spendState(w.Limit.Resource, w.Limit.Limit, w.Limit.Window, w.Sum, w.total)
	got := spendState(p.Resource, p.Limit, window, p.Spent, p.Reserved)
	if d := diff(want, got); d != "" {
		r.flag("spend_limit_reached of %q disagrees with the stream (-want +got):\n%s", p.AgentID, d)
	}
	if p.Spent+p.Reserved+p.Requested <= p.Limit {
		r.flag("%q was refused %d units with %d spent and %d reserved of %d", p.AgentID, p.Requested, p.Spent, p.Reserved, p.Limit)
	}
}
