package sched

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// machine drives a scheduler with random operations and checks it against
// a model of what it must have done.
type machine struct {
	f          *fixture
	agents     []string
	ids        []string         // every bundle scheduled
	consumed   map[string]int64 // tokens consumed per agent, from Use results
	terminated map[string]bool  // agents terminated and not scheduled since
	awake      map[string]int   // agent_awake minus agent_dormant per agent
	money      *leaseModel      // the ledger that leases pay through
}

// newMachine returns a machine; tb only fails if the fixture cannot be
// built.
func newMachine(tb testing.TB) *machine {
	f := newFixture(tb, Options{})
	return &machine{
		f:          f,
		money:      newLeaseModel(tb, f),
		agents:     []string{"a0", "a1", "a2"},
		consumed:   map[string]int64{},
		terminated: map[string]bool{},
		awake:      map[string]int{},
	}
}

// take returns the events published since the last call and counts the
// agents' awake and dormant events.
func (m *machine) take(t *rapid.T) []events.Event {
	evs := m.f.fresh()
	for _, e := range evs {
		switch e.Type {
		case events.TypeAgentAwake:
			m.awake[e.Subject]++
		case events.TypeAgentDormant:
			m.awake[e.Subject]--
		}
		if n := m.awake[e.Subject]; n < 0 || n > 1 {
			t.Fatalf("%v leaves %s awake %d times", e, e.Subject, n)
		}
	}
	return evs
}

func (m *machine) schedule(t *rapid.T) {
	agent := rapid.SampledFrom(m.agents).Draw(t, "agent")
	now := m.f.clk.Now()
	b := drawBundle(t, now)
	id := fmt.Sprintf("b%d", len(m.ids))
	var want error
	switch {
	case !b.Window.End().After(now):
		want = ErrWindowEnded
	case m.f.s.Snapshot().Check(b) != nil:
		want = bundle.ErrExceedsCapacity
	}
	err := m.money.schedule(t, id, agent, b)
	if !errors.Is(err, want) {
		t.Fatalf("Schedule: err = %v, want %v", err, want)
	}
	evs := m.take(t)
	if err != nil {
		if len(evs) != 0 {
			t.Fatalf("failed Schedule published %v", evs)
		}
		return
	}
	m.ids = append(m.ids, id)
	delete(m.terminated, agent)
	if evs[0].Type != events.TypeBundleScheduled {
		t.Fatalf("Schedule published %v", evs)
	}
	in, _ := m.f.s.Bundle(id)
	if active := b.Window.Contains(now); active != (in.State == Active) {
		t.Fatalf("window contains now: %v, state %v", active, in.State)
	}
}

// drawBundle draws a bundle of testCatalog's resources whose window starts
// from 3 s before now to 20 s after it.
func drawBundle(t *rapid.T, now time.Time) bundle.Bundle {
	q := bundle.Quantities{}
	if rapid.Bool().Draw(t, "has cpu") {
		q["cpu"] = rapid.Int64Range(1, 60).Draw(t, "cpu")
	}
	if rapid.Bool().Draw(t, "has mem") {
		q["mem"] = rapid.Int64Range(1, 600).Draw(t, "mem")
	}
	if len(q) == 0 || rapid.Bool().Draw(t, "has tokens") {
		q["tokens"] = rapid.Int64Range(1, 4000).Draw(t, "tokens")
	}
	start := now.Truncate(time.Second).Add(time.Duration(rapid.IntRange(-3, 20).Draw(t, "start")) * time.Second)
	return bundle.Bundle{Quantities: q, Window: bundle.Window{Start: start, Duration: time.Duration(rapid.IntRange(1, 15).Draw(t, "dur")) * time.Second}}
}

func (m *machine) tick(t *rapid.T) { m.f.clk.Add(drawTick(t)) }

// drawTick draws a time step of up to 9 s, in milliseconds.
func drawTick(t *rapid.T) time.Duration {
	return time.Duration(rapid.IntRange(0, 8).Draw(t, "seconds"))*time.Second +
		time.Duration(rapid.IntRange(0, 999).Draw(t, "millis"))*time.Millisecond
}

func (m *machine) advance(t *rapid.T) {
	before := m.money.states(m.f.s, m.ids)
	if err := m.f.s.Advance(t.Context()); err != nil {
		t.Fatal(err)
	}
	m.money.ended(t, m.f, before)
	for _, e := range m.take(t) {
		switch e.Type {
		case events.TypeBundleActivated, events.TypeBundleExpired, events.TypeAgentAwake, events.TypeAgentDormant:
		default:
			t.Fatalf("Advance published %v", e)
		}
	}
	if at, ok := m.f.s.Next(); ok && !at.After(m.f.clk.Now()) {
		t.Fatalf("after Advance, Next = %v is not after now %v", at, m.f.clk.Now())
	}
}

func (m *machine) use(t *rapid.T) {
	agent := rapid.SampledFrom(m.agents).Draw(t, "agent")
	qty := rapid.Int64Range(1, 3000).Draw(t, "qty")
	before := m.f.s.Remaining(agent, "tokens")
	err := m.f.s.Use(t.Context(), agent, "tokens", qty)
	evs := m.take(t)
	switch {
	case err == nil:
		var drawn int64
		for _, e := range evs {
			u, ok := e.Data.(events.UsageRecorded)
			if !ok || u.Quantity <= 0 || u.Used > u.Limit {
				t.Fatalf("Use published %v", e)
			}
			drawn += u.Quantity
		}
		if drawn != qty || before < qty {
			t.Fatalf("Use of %d with %d left drew %d", qty, before, drawn)
		}
		m.consumed[agent] += qty
	case errors.Is(err, ErrServiceDenied):
		want := []events.Payload{events.ServiceDenied{AgentID: agent, Resource: "tokens", Requested: qty, Available: before,
			Reason: m.denyReason(agent, before)}}
		if diff := cmp.Diff(want, payloads(evs)); diff != "" || before >= qty {
			t.Fatalf("denied %d with %d left; events (-want +got):\n%s", qty, before, diff)
		}
	default:
		t.Fatalf("Use: %v", err)
	}
	if after := m.f.s.Remaining(agent, "tokens"); err == nil && after != before-qty || err != nil && after != before {
		t.Fatalf("Remaining %d -> %d after Use(%d) = %v", before, after, qty, err)
	}
}

// denyReason returns the reason a denial of agent with left tokens must
// carry.
func (m *machine) denyReason(agent string, left int64) string {
	for _, id := range m.f.s.Active(agent) {
		if in, _ := m.f.s.Bundle(id); in.Bundle.Quantities["tokens"] > 0 {
			return ReasonExceedsBundle
		}
	}
	return ReasonNoActiveBundle
}

func (m *machine) report(t *rapid.T) {
	agent := rapid.SampledFrom(m.agents).Draw(t, "agent")
	resource, level := drawSample(t)
	active := m.f.s.Active(agent)
	var envelope int64
	for _, id := range active {
		in, _ := m.f.s.Bundle(id)
		envelope += in.Bundle.Quantities[resource]
	}
	calls := len(m.f.exec.Calls())
	before := m.money.states(m.f.s, m.ids)
	err := m.f.s.Report(t.Context(), agent, resource, level)
	m.money.ended(t, m.f, before)
	evs := m.take(t)
	within := len(active) > 0 && level <= envelope
	switch {
	case err == nil && within:
		want := []events.Payload{events.UsageRecorded{BundleID: evs[0].Data.(events.UsageRecorded).BundleID, AgentID: agent,
			Resource: resource, Quantity: level, Used: level, Limit: envelope}}
		if diff := cmp.Diff(want, payloads(evs)); diff != "" {
			t.Fatalf("Report events (-want +got):\n%s", diff)
		}
	case errors.Is(err, ErrTerminated) && !within:
		if evs[0].Type != events.TypeAgentTerminated || len(m.f.exec.Calls()) != calls+1 {
			t.Fatalf("termination published %v, executor called %d times", evs, len(m.f.exec.Calls())-calls)
		}
		m.terminated[agent] = true
	default:
		t.Fatalf("Report(%s, %s, %d) with envelope %d over %d bundles: %v", agent, resource, level, envelope, len(active), err)
	}
}

// drawSample draws a sample of an OS-level resource of testCatalog.
func drawSample(t *rapid.T) (resource string, level int64) {
	resource = rapid.SampledFrom([]string{"cpu", "mem"}).Draw(t, "resource")
	return resource, rapid.Int64Range(0, 700).Draw(t, "level")
}

func (m *machine) release(t *rapid.T) {
	if len(m.ids) == 0 {
		t.Skip("nothing scheduled")
	}
	id := rapid.SampledFrom(m.ids).Draw(t, "id")
	in, _ := m.f.s.Bundle(id)
	before := m.money.states(m.f.s, m.ids)
	unused, total, err := m.f.s.Release(t.Context(), id)
	m.money.ended(t, m.f, before)
	evs := m.take(t)
	ended := !in.State.held() || !in.Bundle.Window.End().After(m.f.clk.Now())
	switch {
	case err == nil && !ended:
		if total != in.Bundle.Window.Seconds() || unused < 0 || unused > total {
			t.Fatalf("Release = %d, %d of a %ds bundle", unused, total, in.Bundle.Window.Seconds())
		}
		if evs[0].Type != events.TypeBundleReleased {
			t.Fatalf("Release published %v", evs)
		}
	case errors.Is(err, ErrWindowEnded) && ended:
		if len(evs) != 0 {
			t.Fatalf("failed Release published %v", evs)
		}
	default:
		t.Fatalf("Release(%s) in state %v: %v", id, in.State, err)
	}
}

// failedOp runs an operation whose publish fails and checks that it changes
// nothing.
func (m *machine) failedOp(t *rapid.T) {
	agent := rapid.SampledFrom(m.agents).Draw(t, "agent")
	before := m.f.capture(m.ids, m.agents)
	m.f.pub.fail.Store(true)
	defer m.f.pub.fail.Store(false)
	var err error
	switch op := rapid.IntRange(0, 3).Draw(t, "op"); op {
	case 0:
		err = m.f.s.Advance(t.Context())
	case 1:
		err = m.f.s.Use(t.Context(), agent, "tokens", rapid.Int64Range(1, 3000).Draw(t, "qty"))
	case 2:
		b := mkBundle(bundle.Quantities{"tokens": 1}, 0, 1)
		b.Window.Start = m.f.clk.Now()
		err = m.money.schedule(t, "never", agent, b)
	case 3:
		if len(m.ids) > 0 {
			_, _, err = m.f.s.Release(t.Context(), rapid.SampledFrom(m.ids).Draw(t, "id"))
		}
	}
	m.f.pub.fail.Store(false)
	if err == nil {
		// Nothing to publish (an Advance with nothing due): a success.
		if evs := m.take(t); len(evs) != 0 {
			t.Fatalf("operation succeeded with a failing publisher, publishing %v", evs)
		}
		return
	}
	if !errors.Is(err, errPublish) && !errors.Is(err, ErrWindowEnded) && !errors.Is(err, bundle.ErrExceedsCapacity) {
		t.Fatalf("failed op: %v", err)
	}
	if diff := cmp.Diff(before, m.f.capture(m.ids, m.agents)); diff != "" {
		t.Fatalf("operation whose publish failed changed state (-before +after):\n%s", diff)
	}
	if evs := m.take(t); len(evs) != 0 {
		t.Fatalf("failed publish left events %v", evs)
	}
}

// check verifies the invariants.
func (m *machine) check(t *rapid.T) {
	m.money.check(t, m.f.s, m.ids)
	snap := m.f.s.Snapshot()
	now := m.f.clk.Now()
	instants := []time.Time{now}
	held := 0
	usedTokens := map[string]int64{}
	activeBundles := map[string]int{}
	for _, id := range m.ids {
		in, ok := m.f.s.Bundle(id)
		if !ok {
			t.Fatalf("bundle %s forgotten", id)
		}
		instants = append(instants, in.Bundle.Window.Start, in.Bundle.Window.End().Add(-time.Nanosecond))
		for r, used := range in.Used {
			if used > in.Bundle.Quantities[r] {
				t.Fatalf("%s used %d of %d %s", id, used, in.Bundle.Quantities[r], r)
			}
		}
		usedTokens[in.Agent] += in.Used["tokens"]
		if in.State.held() {
			held++
		}
		if in.State == Active {
			activeBundles[in.Agent]++
		}
	}
	for _, at := range instants {
		used := snap.UsedAt(at)
		for _, r := range m.f.s.catalog.Resources() {
			if used[r.Name] > r.Capacity {
				t.Fatalf("at %v the calendar books %d of %d %s", at, used[r.Name], r.Capacity, r.Name)
			}
		}
	}
	for _, a := range m.agents {
		if usedTokens[a] != m.consumed[a] {
			t.Fatalf("%s: bundles used %d tokens, Use consumed %d", a, usedTokens[a], m.consumed[a])
		}
		if m.terminated[a] && len(m.f.s.Active(a)) != 0 {
			t.Fatalf("terminated %s has active bundles %v", a, m.f.s.Active(a))
		}
		if (activeBundles[a] > 0) != (m.awake[a] == 1) {
			t.Fatalf("%s: %d active bundles, awake %d", a, activeBundles[a], m.awake[a])
		}
	}
	m.f.s.mu.Lock()
	defer m.f.s.mu.Unlock()
	if m.f.s.held != held || snap.Len() != held+len(m.f.s.tails) {
		t.Fatalf("held %d (model %d), %d tails, calendar %d", m.f.s.held, held, len(m.f.s.tails), snap.Len())
	}
}

func TestSchedulerStateMachine(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newMachine(t)
		t := rt
		t.Repeat(map[string]func(*rapid.T){
			"schedule": m.schedule,
			"tick":     m.tick,
			"advance":  m.advance,
			"use":      m.use,
			"report":   m.report,
			"release":  m.release,
			"failedOp": m.failedOp,
			"restore":  m.restore,
			"":         m.check,
		})
	})
}
