package sched

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/internal/canon"
)

// SchedulerState is the state of a scheduler after its event LastSequence:
// what RestoreFrom needs to rebuild the scheduler without the events
// before it. It is plain data, for encoding/gob or any other encoding. Its
// lists are sorted by id, but for Finished, which keeps the order in which
// the bundles finished, and its decimals belong to the caller.
//
// It holds what the scheduler's stream says, which is what Restore
// rebuilds from it: usage not yet published (Options.UsageBatch) is not in
// it, nor the spend of that usage; take it after Flush. What the scheduler
// derives from it (the calendar, the timers, the agents awake, the spend
// window's reservations) is rebuilt, not stored; the payments the settler
// refused are not in it either, RestoreFrom pays for the bundles that ended
// with their hold open as Restore does (RestoreOptions.HoldOpen).
type SchedulerState struct {
	// LastSequence is the sequence of the scheduler's last event that the
	// state includes: RestoreFrom applies the events after it.
	LastSequence uint64
	// LastHash is the head of the scheduler's hash chain, the Hash of its
	// last event, to which the next links; empty for a Staged scheduler or
	// one that has published nothing.
	LastHash string
	// StateHash is the StateHash of the state below.
	StateHash string
	// Bundles are the bundles held (scheduled or active) and the finished
	// bundles remembered.
	Bundles []BundleState
	// Finished are the ids of the finished bundles of Bundles, in the order
	// in which they finished: the oldest is forgotten first.
	Finished []string
	// Reservations are the outstanding reservations.
	Reservations []ReservationState
	// Spent are the spends of the spend resource in the spend window ending
	// when the state was taken, oldest first; empty without a spend limit.
	Spent []SpendSample
	// Reserved is the spend, in units, that the outstanding reservations of
	// the spend resource hold in the window.
	Reserved int64
}

// BundleState is one bundle of a SchedulerState.
type BundleState struct {
	ID, Agent, OrderID string
	// State is the bundle's State in lower case (State.String):
	// "scheduled", "active", "expired", "released" or "terminated".
	State string
	// Start and Duration are the bundle's window as booked.
	Start    time.Time
	Duration time.Duration
	// Meters are the bundle's quantities and their use, in resource name
	// order.
	Meters []MeterState
	// Lease is how the bundle is paid for, nil if it is not leased.
	Lease *Lease
	// Ended is when a finished bundle finished; zero for a held one.
	Ended time.Time
}

// MeterState is one resource of a bundle: its quantity and what the bundle
// has used of it, the quantities held by outstanding reservations
// included (zero for an OS-level resource, which is sampled, not
// consumed).
type MeterState struct {
	Resource       string
	Quantity, Used int64
}

// ReservationState is one outstanding reservation of a SchedulerState.
type ReservationState struct {
	ID, Agent, Resource string
	Quantity            int64
	// Metered reports whether the reservation also holds Quantity in the
	// spend window: whether Resource is the spend resource.
	Metered bool
	// Expires is when it lapses.
	Expires time.Time
	// Holds are what it holds in each bundle, in the order it draws from
	// them (earliest-ending first, as it was reserved); they add up to
	// Quantity.
	Holds []ReservationHold
}

// ReservationHold is the quantity a reservation holds in one bundle.
type ReservationHold struct {
	Bundle   string
	Quantity int64
}

// SpendSample is the spend committed at one instant, in units.
type SpendSample struct {
	At    time.Time
	Units int64
}

// bundleStates are the names of the States, for State.String's inverse.
var bundleStates = map[string]State{
	Scheduled.String(): Scheduled, Active.String(): Active, Expired.String(): Expired,
	Released.String(): Released, Terminated.String(): Terminated,
}

// State returns the scheduler's state: its bundles, reservations and spend
// window (the records that have left the window ending now are dropped),
// its last sequence and chain head, and its StateHash. It reports what the
// scheduler's stream says: the usage that Use has consumed but not yet
// published (Options.UsageBatch) is not in it, so that the state equals
// that of a scheduler restored from the stream; call Flush first to have
// it in. The State of a Fenced scheduler is not to be restored from:
// restore the scheduler from its stream first.
func (s *Scheduler) State() SchedulerState {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spend.meter.evict(s.clock.Now())
	return s.state()
}

// StateHash returns the SHA-256, in lower-case hex, of the scheduler's
// state (see State): its bundles and the order they finished in, its
// reservations and its spend window, each list in the order State gives,
// in a binary encoding (strings and decimals, the latter as their reduced
// plain text, prefixed by their length as a varint; counts and integers as
// varints; a bool as one byte; a duration as 8 bytes big-endian
// nanoseconds; a time as one 0 byte if zero, else 1, its Unix seconds as 8
// bytes and its nanoseconds as 4, big-endian). Two schedulers holding the
// same bundles, usage, reservations and spend have the same StateHash at
// the same instant, whatever their histories.
func (s *Scheduler) StateHash() string { return s.State().StateHash }

// state returns the state of s, its spend window as it is.
func (s *Scheduler) state() SchedulerState {
	st := SchedulerState{LastSequence: s.seq.Last()}
	if s.chain != nil {
		st.LastHash = s.chain.Head()
	}
	st.Bundles = make([]BundleState, 0, len(s.entries))
	for _, e := range s.entries {
		st.Bundles = append(st.Bundles, e.export())
	}
	slices.SortFunc(st.Bundles, func(a, b BundleState) int { return cmp.Compare(a.ID, b.ID) })
	for _, e := range s.finished {
		st.Finished = append(st.Finished, e.id)
	}
	for _, r := range s.spend.reservations {
		rs := ReservationState{ID: r.id, Agent: r.agent, Resource: r.resource, Quantity: r.qty, Metered: r.metered,
			Expires: r.expires.UTC(), Holds: make([]ReservationHold, len(r.holds))}
		for i, h := range r.holds {
			rs.Holds[i] = ReservationHold{Bundle: h.e.id, Quantity: h.qty}
		}
		st.Reservations = append(st.Reservations, rs)
	}
	slices.SortFunc(st.Reservations, func(a, b ReservationState) int { return cmp.Compare(a.ID, b.ID) })
	m := &s.spend.meter
	prev := m.gone
	for _, r := range m.recs[m.head:] {
		st.Spent = append(st.Spent, SpendSample{At: r.at.UTC(), Units: int64(r.cum - prev)})
		prev = r.cum
	}
	st.Reserved = m.reserved
	st.StateHash = st.stateHash()
	return st
}

// export returns e as a BundleState, its usage as published.
func (e *entry) export() BundleState {
	b := BundleState{ID: e.id, Agent: e.agent, OrderID: e.orderID, State: e.state.String(),
		Start: e.b.Window.Start.UTC(), Duration: e.b.Window.Duration, Meters: make([]MeterState, len(e.meters)),
		Ended: e.ended.UTC()}
	for i, m := range e.meters {
		b.Meters[i] = MeterState{Resource: m.resource, Quantity: m.quantity, Used: m.used - m.unpublished}
	}
	if e.lease != nil {
		l := *e.lease
		l.Amount = new(apd.Decimal).Set(l.Amount)
		b.Lease = &l
	}
	return b
}

// stateHash hashes the state of st.
func (st *SchedulerState) stateHash() string {
	h := canon.NewHash()
	h.String("scarcity.sched.state.v1")
	h.Uvarint(uint64(len(st.Bundles)))
	for _, b := range st.Bundles {
		h.Strings(b.ID, b.Agent, b.OrderID, b.State)
		h.Time(b.Start)
		h.Uint64(uint64(b.Duration))
		h.Uvarint(uint64(len(b.Meters)))
		for _, m := range b.Meters {
			h.String(m.Resource)
			h.Varint(m.Quantity)
			h.Varint(m.Used)
		}
		h.Bool(b.Lease != nil)
		if l := b.Lease; l != nil {
			h.Strings(l.HoldID, text(l.Amount), l.Payee)
			h.Varint(int64(l.Scale))
		}
		h.Time(b.Ended)
	}
	h.Uvarint(uint64(len(st.Finished)))
	h.Strings(st.Finished...)
	h.Uvarint(uint64(len(st.Reservations)))
	for _, r := range st.Reservations {
		h.Strings(r.ID, r.Agent, r.Resource)
		h.Varint(r.Quantity)
		h.Bool(r.Metered)
		h.Time(r.Expires)
		h.Uvarint(uint64(len(r.Holds)))
		for _, hd := range r.Holds {
			h.String(hd.Bundle)
			h.Varint(hd.Quantity)
		}
	}
	h.Uvarint(uint64(len(st.Spent)))
	for _, sp := range st.Spent {
		h.Time(sp.At)
		h.Varint(sp.Units)
	}
	h.Varint(st.Reserved)
	return h.Sum()
}

// text returns the reduced plain text of d, "" for nil.
func text(d *apd.Decimal) string {
	if d == nil {
		return ""
	}
	var r apd.Decimal
	r.Reduce(d)
	return r.Text('f')
}

// RestoreFrom returns a scheduler in the state st and the events after it
// describe, as Restore would from the whole stream. It rebuilds st, checks
// that it hashes to st.StateHash, then applies as Restore does the events
// of source scheduler and opts.Correlation after st.LastSequence, and
// numbers after the last of st, of those events and of
// ropts.LastSequence.
//
// For a Staged scheduler tail is taken as trusted, and its events up to
// st.LastSequence are skipped, so the whole stream may be passed. Otherwise
// the events after st's (those after the event whose Hash is st.LastHash,
// or all of tail if it holds none) must continue its chain: events.Verify
// checks them from st.LastHash, so a tail that does not follow the state
// is ErrRestore wrapping events.ErrTampered; a state without a chain head
// takes the events from its first scheduler event after st.LastSequence,
// which must start a chain if they carry one. The restored scheduler
// continues the chain.
//
// A state that does not hold together (a bundle twice or in an unknown
// state, a bundle the catalog rejects, bookings beyond the catalog's
// capacity, usage beyond a bundle's quantity, a reservation on an unknown
// bundle, a spend window without a spend limit in opts, a missing or bad
// decimal, a hash that differs) or events that do not follow it are
// ErrRestore. A state that remembers more finished bundles than
// opts.MaxBundles forgets the oldest. Leased bundles that ended unpaid
// (RestoreOptions.HoldOpen) are paid, or left for Advance to retry, as
// Restore does.
func RestoreFrom(ctx context.Context, catalog *bundle.Catalog, opts Options, ropts RestoreOptions, st SchedulerState, tail []events.Event) (*Scheduler, error) {
	s, err := New(catalog, opts)
	if err != nil {
		return nil, err
	}
	if got := st.stateHash(); got != st.StateHash {
		return nil, fmt.Errorf("%w: state hashes to %s, not %s", ErrRestore, got, st.StateHash)
	}
	if err := s.load(&st); err != nil {
		return nil, fmt.Errorf("%w: state: %w", ErrRestore, err)
	}
	s.forget()
	trusted, last, head, err := trustedEvents(opts, ropts, stateTail(opts, &st, tail), st.LastHash)
	if err != nil {
		return nil, err
	}
	return s.replay(ctx, opts, ropts, trusted, st.LastSequence, last, head)
}

// stateTail returns the events of evs that follow the state st: for a
// Staged scheduler, its scheduler events of opts.Correlation after
// st.LastSequence; else those after the event whose Hash is st.LastHash
// (all of evs if none is), or, for a state without a chain head, those
// from its first scheduler event of opts.Correlation after
// st.LastSequence.
func stateTail(opts Options, st *SchedulerState, evs []events.Event) []events.Event {
	after := func(e *events.Event) bool {
		return e.Source == events.SourceScheduler && e.Correlation == opts.Correlation && e.Sequence > st.LastSequence
	}
	switch {
	case opts.Staged:
		var out []events.Event
		for i := range evs {
			if after(&evs[i]) {
				out = append(out, evs[i])
			}
		}
		return out
	case st.LastHash == "":
		for i := range evs {
			if after(&evs[i]) {
				return evs[i:]
			}
		}
		return nil
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Hash == st.LastHash {
			return evs[i+1:]
		}
	}
	return evs
}

// load sets the state of the new scheduler s to st, checking that it
// holds together.
func (s *Scheduler) load(st *SchedulerState) error {
	var held []*entry
	for i := range st.Bundles {
		e, err := s.loadBundle(&st.Bundles[i])
		if err != nil {
			return err
		}
		if e.state.held() {
			held = append(held, e)
		}
	}
	if err := s.book(held); err != nil {
		return err
	}
	if err := s.loadFinished(st.Finished); err != nil {
		return err
	}
	for i := range st.Reservations {
		if err := s.loadReservation(&st.Reservations[i]); err != nil {
			return err
		}
	}
	return s.loadSpend(st)
}

// loadBundle records the bundle b, not yet on the calendar.
func (s *Scheduler) loadBundle(b *BundleState) (*entry, error) {
	state, ok := bundleStates[b.State]
	switch {
	case b.ID == "" || b.Agent == "":
		return nil, fmt.Errorf("bundle %q of agent %q: empty id", b.ID, b.Agent)
	case s.entries[b.ID] != nil:
		return nil, fmt.Errorf("bundle %q twice", b.ID)
	case !ok:
		return nil, fmt.Errorf("bundle %q in state %q", b.ID, b.State)
	case b.Start.IsZero():
		return nil, fmt.Errorf("bundle %q: %w: window has no start", b.ID, bundle.ErrInvalidWindow)
	case state.held() != b.Ended.IsZero():
		return nil, fmt.Errorf("bundle %q %s with end time %v", b.ID, state, b.Ended)
	}
	q := make(bundle.Quantities, len(b.Meters))
	for _, m := range b.Meters {
		if _, dup := q[m.Resource]; dup {
			return nil, fmt.Errorf("bundle %q: %s twice", b.ID, m.Resource)
		}
		q[m.Resource] = m.Quantity
	}
	bd := bundle.Bundle{Quantities: q, Window: bundle.Window{Start: b.Start, Duration: b.Duration}}
	if err := bd.Validate(s.catalog); err != nil {
		return nil, fmt.Errorf("bundle %q: %w", b.ID, err)
	}
	var lease *Lease
	if b.Lease != nil {
		if err := b.Lease.validate(); err != nil {
			return nil, fmt.Errorf("bundle %q: %w", b.ID, err)
		}
		l := *b.Lease
		l.Amount = new(apd.Decimal).Set(l.Amount)
		lease = &l
	}
	e := newEntry(b.ID, b.Agent, b.OrderID, bd, lease)
	e.state, e.ended = state, b.Ended
	for _, m := range b.Meters {
		r, _ := s.catalog.Lookup(m.Resource) // Validate found it
		if m.Used < 0 || m.Used > m.Quantity || m.Used != 0 && r.Enforcement != bundle.ServiceLevel {
			return nil, fmt.Errorf("bundle %q used %d of %d %s", b.ID, m.Used, m.Quantity, m.Resource)
		}
		e.meter(m.Resource).used = m.Used
	}
	s.entries[e.id] = e
	return e, nil
}

// book books the held entries on the calendar and holds them.
func (s *Scheduler) book(held []*entry) error {
	ids, bs := make([]string, len(held)), make([]bundle.Bundle, len(held))
	for i, e := range held {
		ids[i], bs[i] = e.id, e.b
	}
	if err := s.cal.BookAll(ids, bs); err != nil {
		return fmt.Errorf("the held bundles do not fit the calendar: %w", err)
	}
	for _, e := range held {
		s.hold(e)
	}
	return nil
}

// loadFinished records the order in which the finished bundles finished.
func (s *Scheduler) loadFinished(ids []string) error {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		e := s.entries[id]
		switch {
		case e == nil:
			return fmt.Errorf("unknown bundle %q finished", id)
		case e.state.held():
			return fmt.Errorf("bundle %q finished, but %s", id, e.state)
		case seen[id]:
			return fmt.Errorf("bundle %q finished twice", id)
		}
		seen[id] = true
		s.finished = append(s.finished, e)
	}
	if n := len(s.entries) - s.held; n != len(ids) {
		return fmt.Errorf("%d bundles finished, %d in the order they finished", n, len(ids))
	}
	return nil
}

// loadReservation holds the reservation r; its holds are in the bundles'
// usage already.
func (s *Scheduler) loadReservation(r *ReservationState) error {
	res, ok := s.catalog.Lookup(r.Resource)
	switch {
	case r.ID == "" || r.Agent == "":
		return fmt.Errorf("reservation %q of agent %q: empty id", r.ID, r.Agent)
	case s.spend.reservations[r.ID] != nil:
		return fmt.Errorf("reservation %q twice", r.ID)
	case !ok || res.Enforcement != bundle.ServiceLevel:
		return fmt.Errorf("reservation %q of %q, not a service-level resource", r.ID, r.Resource)
	case r.Quantity <= 0 || r.Expires.IsZero() || len(r.Holds) == 0:
		return fmt.Errorf("reservation %q of %d %s, expiring at %v, holds %d bundles", r.ID, r.Quantity, r.Resource, r.Expires, len(r.Holds))
	case r.Metered != s.spend.metered(r.Resource):
		return fmt.Errorf("reservation %q metered %v, not as the spend limit of the options says", r.ID, r.Metered)
	}
	rsv := &reservation{id: r.ID, agent: r.Agent, resource: r.Resource, qty: r.Quantity, metered: r.Metered,
		expires: r.Expires, index: -1}
	var sum int64
	for _, h := range r.Holds {
		e := s.entries[h.Bundle]
		if e == nil || e.meter(r.Resource) == nil || e.agent != r.Agent {
			return fmt.Errorf("reservation %q of %q holds %s in bundle %q: unknown, another agent's or without %[3]s", r.ID, r.Agent, r.Resource, h.Bundle)
		}
		if h.Quantity <= 0 || slices.ContainsFunc(rsv.holds, func(d draw) bool { return d.e == e }) {
			return fmt.Errorf("reservation %q holds %d %s in bundle %q", r.ID, h.Quantity, r.Resource, h.Bundle)
		}
		sum += h.Quantity
		rsv.holds = append(rsv.holds, draw{e, h.Quantity})
	}
	if sum != r.Quantity {
		return fmt.Errorf("reservation %q of %d %s holds %d", r.ID, r.Quantity, r.Resource, sum)
	}
	s.spend.reservations[rsv.id] = rsv
	s.spend.lapses.push(rsv)
	if rsv.metered {
		s.spend.meter.reserved += rsv.qty
	}
	return nil
}

// loadSpend records the spend window of st, once the reservations are
// loaded, and checks that the bundles' usage covers what the reservations
// hold.
func (s *Scheduler) loadSpend(st *SchedulerState) error {
	held := make(map[*meter]int64)
	for _, r := range s.spend.reservations {
		for _, h := range r.holds {
			m := h.e.meter(r.resource)
			if held[m] += h.qty; held[m] > m.used {
				return fmt.Errorf("reservations hold %d %s in bundle %q, which used %d", held[m], r.resource, h.e.id, m.used)
			}
		}
	}
	m := &s.spend.meter
	switch {
	case st.Reserved != m.reserved:
		return fmt.Errorf("%d spend units reserved, the reservations hold %d", st.Reserved, m.reserved)
	case s.spend.limit == nil && len(st.Spent) > 0:
		return errors.New("a spend window, but the options set no spend limit")
	}
	for i, sp := range st.Spent {
		if sp.Units <= 0 || sp.At.IsZero() || i > 0 && !sp.At.After(st.Spent[i-1].At) {
			return fmt.Errorf("spend of %d units at %v: none, or out of order", sp.Units, sp.At)
		}
		m.record(sp.At, sp.Units)
	}
	return nil
}
