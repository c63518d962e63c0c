package sched

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// spendRec is a spend committed at an instant, in the model.
type spendRec struct {
	at    time.Time
	units int64
}

// modelRsv is an outstanding reservation in the model.
type modelRsv struct {
	agent, resource string
	qty             int64
	expires         time.Time
}

// machineWindow is the spend window of the machine: long beside its
// bundles, so that the window binds where the calendar does not.
const machineWindow = time.Minute

// spendMachine drives a scheduler with a spend limit through reservations,
// commits, cancellations, uses and time, and checks it against a model of
// every committed spend.
type spendMachine struct {
	f        *fixture
	agents   []string
	ids      []string
	spends   []spendRec                  // every committed llm_spend, in time order
	rsv      map[string]modelRsv         // outstanding reservations
	consumed map[string]map[string]int64 // per agent and resource
}

func newSpendMachine(tb testing.TB) *spendMachine {
	limit := testSpendLimit()
	limit.Window = machineWindow
	m := &spendMachine{f: newSpendFixture(tb, Options{Spend: limit}), agents: []string{"a0", "a1"},
		rsv: map[string]modelRsv{}, consumed: map[string]map[string]int64{}}
	for _, a := range m.agents {
		m.consumed[a] = map[string]int64{}
	}
	return m
}

// failer is what the machine's helpers need of a *rapid.T.
type failer interface {
	Fatalf(format string, args ...any)
}

// spentAt returns the modelled spend in the window (at-W, at].
func (m *spendMachine) spentAt(at time.Time) int64 {
	var n int64
	for _, r := range m.spends {
		if !r.at.After(at) && r.at.Add(machineWindow).After(at) {
			n += r.units
		}
	}
	return n
}

// reservedSpend returns the modelled units held by spend reservations.
func (m *spendMachine) reservedSpend() int64 {
	var n int64
	for _, r := range m.rsv {
		if r.resource == "llm_spend" {
			n += r.qty
		}
	}
	return n
}

func (m *spendMachine) schedule(t *rapid.T) {
	agent := rapid.SampledFrom(m.agents).Draw(t, "agent")
	b := drawSpendBundle(t, m.f.clk.Now(), m.f.s.Snapshot())
	id := fmt.Sprintf("b%d", len(m.ids))
	if err := m.f.s.Schedule(t.Context(), id, agent, "", b); err == nil {
		m.ids = append(m.ids, id)
	} else if !errors.Is(err, bundle.ErrExceedsCapacity) && !errors.Is(err, ErrWindowEnded) {
		t.Fatalf("Schedule: %v", err)
	}
	m.f.fresh()
}

// drawSpendBundle draws a bundle of llm_spend, and maybe tokens, of
// spendCatalog whose window starts from 1 s before now to 3 s after it;
// its spend is sometimes all that cal has free over its window.
func drawSpendBundle(t *rapid.T, now time.Time, cal *bundle.Calendar) bundle.Bundle {
	q := bundle.Quantities{"llm_spend": rapid.Int64Range(10, 50).Draw(t, "spend")}
	if rapid.Bool().Draw(t, "has tokens") {
		q["tokens"] = rapid.Int64Range(1, 3000).Draw(t, "tokens")
	}
	start := now.Truncate(time.Second).Add(sec(rapid.IntRange(-1, 3).Draw(t, "start")))
	b := bundle.Bundle{Quantities: q, Window: bundle.Window{Start: start, Duration: sec(rapid.IntRange(1, 4).Draw(t, "dur"))}}
	if free := cal.Free(b.Window)["llm_spend"]; free > 0 && rapid.Bool().Draw(t, "all free spend") {
		q["llm_spend"] = free
	}
	return b
}

func (m *spendMachine) tick(t *rapid.T) { m.f.clk.Add(drawShortTick(t)) }

// drawShortTick draws a time step of up to 3 s, in milliseconds.
func drawShortTick(t *rapid.T) time.Duration {
	return time.Duration(rapid.IntRange(0, 3000).Draw(t, "millis")) * time.Millisecond
}

func (m *spendMachine) advance(t *rapid.T) {
	if err := m.f.s.Advance(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := m.f.clk.Now()
	lapsed := 0
	for id, r := range m.rsv {
		if !r.expires.After(now) {
			delete(m.rsv, id)
			lapsed++
		}
	}
	for _, e := range m.f.fresh() {
		if p, ok := e.Data.(events.ReservationReleased); ok {
			if p.Reason != ReasonLapsed || p.Committed != 0 {
				t.Fatalf("Advance published %+v", p)
			}
			lapsed--
		}
	}
	if lapsed != 0 {
		t.Fatalf("Advance lapsed %d reservations more or fewer than the model", -lapsed)
	}
}

// request draws an agent, a resource and a quantity and predicts the
// sentinel of a request for them now: nil, ErrSpendLimit or
// ErrServiceDenied.
func (m *spendMachine) request(t *rapid.T) (agent, resource string, qty int64, want error) {
	agent, resource, qty = drawRequest(t, m.f.s, m.agents)
	now := m.f.clk.Now()
	switch {
	case m.f.s.Remaining(agent, resource) < qty:
		want = ErrServiceDenied
	case resource == "llm_spend" && qty > spendUnits-m.spentAt(now)-m.reservedSpend():
		want = ErrSpendLimit
	}
	return agent, resource, qty, want
}

// drawRequest draws a request of llm_spend or tokens to s: mostly by one
// of agents with some left, and mostly within what it has left.
func drawRequest(t *rapid.T, s *Scheduler, agents []string) (agent, resource string, qty int64) {
	resource = rapid.SampledFrom([]string{"llm_spend", "llm_spend", "tokens"}).Draw(t, "resource")
	var holders []string
	for _, a := range agents {
		if s.Remaining(a, resource) > 0 {
			holders = append(holders, a)
		}
	}
	if len(holders) == 0 || rapid.IntRange(0, 4).Draw(t, "any agent") == 0 {
		holders = agents
	}
	agent = rapid.SampledFrom(holders).Draw(t, "agent")
	qty = rapid.Int64Range(1, 40).Draw(t, "qty")
	if left := s.Remaining(agent, resource); left > 0 && rapid.Bool().Draw(t, "within bundle") {
		qty = rapid.Int64Range(1, left).Draw(t, "qty within")
	}
	return agent, resource, qty
}

// denied checks that a denied request published only its denial and
// changed nothing.
func (m *spendMachine) denied(t failer, err, want error, before state, spend spendSnapshot) {
	evs := m.f.fresh()
	wantType := events.TypeServiceDenied
	if want == ErrSpendLimit {
		wantType = events.TypeSpendLimitReached
	}
	if !errors.Is(err, want) || len(evs) != 1 || evs[0].Type != wantType {
		t.Fatalf("denial: err %v, want %v; events %v", err, want, evs)
	}
	if diff := cmp.Diff(before, m.f.capture(m.ids, m.agents), cmpSeqIgnored); diff != "" {
		t.Fatalf("denied request changed state (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(spend, m.f.spendState()); diff != "" {
		t.Fatalf("denied request changed spend (-before +after):\n%s", diff)
	}
}

func (m *spendMachine) reserve(t *rapid.T) {
	agent, resource, qty, want := m.request(t)
	ttl := drawTTL(t)
	before, spend := m.f.capture(m.ids, m.agents), m.f.spendState()
	id, err := m.f.s.Reserve(t.Context(), agent, resource, qty, ttl)
	if want != nil {
		m.denied(t, err, want, before, spend)
		return
	}
	if err != nil {
		t.Fatalf("Reserve(%s, %s, %d): %v", agent, resource, qty, err)
	}
	evs := m.f.fresh()
	if len(evs) != 1 || evs[0].Type != events.TypeUsageReserved {
		t.Fatalf("Reserve published %v", evs)
	}
	// A reservation expires after its ttl, or when the first bundle it
	// draws from ends if that is sooner.
	expires := m.f.clk.Now().Add(ttl)
	for _, h := range evs[0].Data.(events.UsageReserved).Holds {
		in, _ := m.f.s.Bundle(h.BundleID)
		if end := in.Bundle.Window.End(); end.Before(expires) {
			expires = end
		}
	}
	if got := evs[0].Data.(events.UsageReserved).ExpiresAt; !got.Equal(expires) {
		t.Fatalf("reservation expires at %v, want %v", got, expires)
	}
	m.rsv[id] = modelRsv{agent: agent, resource: resource, qty: qty, expires: expires}
}

// drawTTL draws the time to live of a reservation, up to 6 s.
func drawTTL(t *rapid.T) time.Duration {
	return time.Duration(rapid.IntRange(1, 6000).Draw(t, "ttl millis")) * time.Millisecond
}

// burst books all the spend capacity free over the next second for an
// agent and spends it, the quickest way to fill the window.
func (m *spendMachine) burst(t *rapid.T) {
	agent := rapid.SampledFrom(m.agents).Draw(t, "agent")
	w := bundle.Window{Start: m.f.clk.Now().Truncate(time.Second), Duration: time.Second}
	free := m.f.s.Snapshot().Free(w)["llm_spend"]
	if free == 0 {
		t.Skip("no spend capacity free")
	}
	id := fmt.Sprintf("b%d", len(m.ids))
	if err := m.f.s.Schedule(t.Context(), id, agent, "", bundle.Bundle{Quantities: bundle.Quantities{"llm_spend": free}, Window: w}); err != nil {
		t.Fatalf("Schedule of free capacity: %v", err)
	}
	m.ids = append(m.ids, id)
	m.f.fresh()
	var want error
	if left := m.f.s.Remaining(agent, "llm_spend"); left < free {
		want = ErrServiceDenied
	} else if free > spendUnits-m.spentAt(m.f.clk.Now())-m.reservedSpend() {
		want = ErrSpendLimit
	}
	m.useQty(t, agent, "llm_spend", free, want)
}

func (m *spendMachine) use(t *rapid.T) {
	agent, resource, qty, want := m.request(t)
	m.useQty(t, agent, resource, qty, want)
}

// useQty uses qty and checks the outcome is want.
func (m *spendMachine) useQty(t *rapid.T, agent, resource string, qty int64, want error) {
	before, spend := m.f.capture(m.ids, m.agents), m.f.spendState()
	err := m.f.s.Use(t.Context(), agent, resource, qty)
	if want != nil {
		m.denied(t, err, want, before, spend)
		return
	}
	if err != nil {
		t.Fatalf("Use(%s, %s, %d): %v", agent, resource, qty, err)
	}
	m.spent(agent, resource, qty)
	m.f.fresh()
}

// spent records qty of resource consumed by agent now.
func (m *spendMachine) spent(agent, resource string, qty int64) {
	m.consumed[agent][resource] += qty
	if resource == "llm_spend" && qty > 0 {
		m.spends = append(m.spends, spendRec{m.f.clk.Now(), qty})
	}
}

// pick draws an outstanding reservation id, or sometimes an unknown one.
func (m *spendMachine) pick(t *rapid.T) string { return drawReservation(t, maps.Keys(m.rsv)) }

// drawReservation draws one of ids, or sometimes an unknown reservation.
func drawReservation(t *rapid.T, ids iter.Seq[string]) string {
	return rapid.SampledFrom(append(slices.Sorted(ids), "rsv-unknown")).Draw(t, "reservation")
}

func (m *spendMachine) commit(t *rapid.T) {
	id := m.pick(t)
	r, ok := m.rsv[id]
	actual := rapid.Int64Range(0, r.qty+3).Draw(t, "actual")
	var want error
	switch {
	case !ok:
		want = ErrUnknownReservation
	case actual > r.qty:
		want = ErrOverCommit
	case !m.f.clk.Now().Before(r.expires):
		want = ErrReservationLapsed
	}
	before, spend := m.f.capture(m.ids, m.agents), m.f.spendState()
	err := m.f.s.Commit(t.Context(), id, actual)
	if want != nil {
		if !errors.Is(err, want) {
			t.Fatalf("Commit(%s, %d) of %d: err %v, want %v", id, actual, r.qty, err, want)
		}
		if diff := cmp.Diff(before, m.f.capture(m.ids, m.agents)); diff != "" || len(m.f.fresh()) != 0 {
			t.Fatalf("failed Commit changed state (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(spend, m.f.spendState()); diff != "" {
			t.Fatalf("failed Commit changed spend (-before +after):\n%s", diff)
		}
		return
	}
	if err != nil {
		t.Fatalf("Commit(%s, %d): %v", id, actual, err)
	}
	delete(m.rsv, id)
	m.spent(r.agent, r.resource, actual)
	var recorded int64
	for _, e := range m.f.fresh() {
		if u, ok := e.Data.(events.UsageRecorded); ok {
			recorded += u.Quantity
		}
	}
	if recorded != actual {
		t.Fatalf("Commit of %d recorded %d", actual, recorded)
	}
}

func (m *spendMachine) cancel(t *rapid.T) {
	id := m.pick(t)
	_, ok := m.rsv[id]
	err := m.f.s.Cancel(t.Context(), id)
	if ok != (err == nil) || !ok && !errors.Is(err, ErrUnknownReservation) {
		t.Fatalf("Cancel(%s) outstanding %v: %v", id, ok, err)
	}
	delete(m.rsv, id)
	m.f.fresh()
}

// failedOp runs an operation whose publish fails and checks that it changes
// nothing.
func (m *spendMachine) failedOp(t *rapid.T) {
	agent, resource, qty, _ := m.request(t)
	id := m.pick(t)
	before, spend := m.f.capture(m.ids, m.agents), m.f.spendState()
	m.f.pub.fail.Store(true)
	var err error
	switch rapid.IntRange(0, 4).Draw(t, "op") {
	case 0:
		_, err = m.f.s.Reserve(t.Context(), agent, resource, qty, time.Second)
	case 1:
		err = m.f.s.Use(t.Context(), agent, resource, qty)
	case 2:
		err = m.f.s.Commit(t.Context(), id, m.rsv[id].qty)
	case 3:
		err = m.f.s.Cancel(t.Context(), id)
	case 4:
		err = m.f.s.Advance(t.Context())
	}
	m.f.pub.fail.Store(false)
	if err == nil {
		if evs := m.f.fresh(); len(evs) != 0 {
			t.Fatalf("operation succeeded with a failing publisher, publishing %v", evs)
		}
		return
	}
	if diff := cmp.Diff(before, m.f.capture(m.ids, m.agents)); diff != "" || len(m.f.fresh()) != 0 {
		t.Fatalf("failed operation (%v) changed state (-before +after):\n%s", err, diff)
	}
	if diff := cmp.Diff(spend, m.f.spendState()); diff != "" {
		t.Fatalf("failed operation (%v) changed spend (-before +after):\n%s", err, diff)
	}
}

// check verifies the invariants.
func (m *spendMachine) check(t *rapid.T) {
	for _, r := range m.spends {
		if n := m.spentAt(r.at); n > spendUnits {
			t.Fatalf("%d units spent in the window ending %v, limit %d", n, r.at, spendUnits)
		}
	}
	now := m.f.clk.Now()
	st, _ := m.f.s.Spend()
	if st.Spent != m.spentAt(now) || st.Reserved != m.reservedSpend() {
		t.Fatalf("meter spent %d reserved %d, model %d and %d", st.Spent, st.Reserved, m.spentAt(now), m.reservedSpend())
	}
	if st.Spent+st.Reserved > spendUnits {
		t.Fatalf("spent %d + reserved %d > %d", st.Spent, st.Reserved, spendUnits)
	}
	taken := map[string]map[string]int64{}
	for _, a := range m.agents {
		taken[a] = map[string]int64{}
	}
	for _, id := range m.ids {
		in, _ := m.f.s.Bundle(id)
		for r, used := range in.Used {
			if used < 0 || used > in.Bundle.Quantities[r] {
				t.Fatalf("%s: %d of %d %s consumed or reserved", id, used, in.Bundle.Quantities[r], r)
			}
			taken[in.Agent][r] += used
		}
	}
	held := map[string]map[string]int64{}
	for _, a := range m.agents {
		held[a] = map[string]int64{}
	}
	for _, r := range m.rsv {
		held[r.agent][r.resource] += r.qty
	}
	for _, a := range m.agents {
		for _, r := range []string{"llm_spend", "tokens"} {
			if want := m.consumed[a][r] + held[a][r]; taken[a][r] != want {
				t.Fatalf("%s %s: bundles count %d used, model %d consumed + %d reserved", a, r, taken[a][r], m.consumed[a][r], held[a][r])
			}
		}
	}
}

func TestSpendStateMachine(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newSpendMachine(t)
		rt.Repeat(map[string]func(*rapid.T){
			"schedule": m.schedule,
			"tick":     m.tick,
			"advance":  m.advance,
			"reserve":  m.reserve,
			"commit":   m.commit,
			"cancel":   m.cancel,
			"use":      m.use,
			"burst":    m.burst,
			"failedOp": m.failedOp,
			"restore":  m.restore,
			"":         m.check,
		})
	})
}
