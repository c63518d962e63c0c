package sched

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// cmpDecimal compares decimals by value.
var cmpDecimal = cmp.Comparer(func(a, b *apd.Decimal) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Cmp(b) == 0
})

// snapshotCatalog returns the resources of testCatalog and spendCatalog:
// cpu, mem, tokens, llm_spend and attention.
func snapshotCatalog(tb testing.TB) *bundle.Catalog {
	tb.Helper()
	rs := testCatalog(tb).Resources()
	for _, r := range spendCatalog(tb).Resources() {
		if !slices.ContainsFunc(rs, func(x bundle.Resource) bool { return x.Name == r.Name }) {
			rs = append(rs, r)
		}
	}
	cat, err := bundle.NewCatalog(rs...)
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// drawOptions draws Options, none left at its default: small limits, a
// usage batch, a spend limit of spendUnits units of a drawn unit over a
// drawn window, a correlation, staged or chained.
func drawOptions(t *rapid.T) Options {
	unit := dec(rapid.SampledFrom([]string{"0.001", "0.25", "7"}).Draw(t, "spend unit"))
	limit := &SpendLimit{
		Resource: rapid.SampledFrom([]string{"", DefaultSpendResource}).Draw(t, "spend resource"),
		Max:      new(apd.Decimal),
		Window:   sec(rapid.IntRange(1, 90).Draw(t, "spend window")),
		Unit:     unit,
	}
	if _, err := priceExact.Mul(limit.Max, unit, apd.New(spendUnits, 0)); err != nil {
		t.Fatal(err)
	}
	return Options{
		Correlation:     rapid.SampledFrom([]string{"run-1", "run-2"}).Draw(t, "correlation"),
		MaxBundles:      rapid.IntRange(1, 8).Draw(t, "max bundles"),
		UsageBatch:      rapid.IntRange(1, 4).Draw(t, "usage batch"),
		Spend:           limit,
		MaxReservations: rapid.IntRange(1, 4).Draw(t, "max reservations"),
		Staged:          rapid.Bool().Draw(t, "staged"),
	}
}

// snapshotMachine drives a scheduler under drawn Options with the
// operations of machine and spendMachine, takes its State at a drawn
// point and checks, after every step, that its State is that of the
// scheduler Restore rebuilds from its stream; at the end, that RestoreFrom
// the State taken and the events after it rebuilds that scheduler too.
type snapshotMachine struct {
	f      *fixture
	opts   Options // as drawn
	money  *leaseModel
	agents []string
	ids    []string        // every bundle id scheduled
	rsv    map[string]bool // reservations neither committed nor cancelled
	st     SchedulerState  // the State taken
	at     uint64          // the events in the log when it was taken
}

func newSnapshotMachine(tb testing.TB, t *rapid.T) *snapshotMachine {
	m := &snapshotMachine{opts: drawOptions(t), agents: []string{"a0", "a1", "a2"}, rsv: map[string]bool{}}
	m.f = newCatalogFixture(tb, snapshotCatalog(tb), m.opts)
	m.money = newLeaseModel(tb, m.f)
	m.st = m.f.s.State()
	m.schedule(t) // so that the short runs of rapid's defaults have bundles to use
	return m
}

// allowed fails t unless err is nil or one of ok.
func allowed(t *rapid.T, op string, err error, ok ...error) {
	if err != nil && !slices.ContainsFunc(ok, func(target error) bool { return errors.Is(err, target) }) {
		t.Fatalf("%s: %v", op, err)
	}
}

// schedule books one to three bundles, mostly of spend and tokens around
// now (drawSpendBundle), else of any resource up to 20 s ahead
// (drawBundle).
func (m *snapshotMachine) schedule(t *rapid.T) {
	for range rapid.IntRange(1, 3).Draw(t, "bundles") {
		m.scheduleOne(t)
	}
}

func (m *snapshotMachine) scheduleOne(t *rapid.T) {
	agent := rapid.SampledFrom(m.agents).Draw(t, "agent")
	now := m.f.clk.Now()
	var b bundle.Bundle
	if rapid.IntRange(0, 2).Draw(t, "kind") > 0 {
		b = drawSpendBundle(t, now, m.f.s.Snapshot())
	} else {
		b = drawBundle(t, now)
	}
	id, reused := fmt.Sprintf("b%d", len(m.ids)), false
	if len(m.ids) > 0 && rapid.IntRange(0, 4).Draw(t, "reuse id") == 0 {
		id, reused = rapid.SampledFrom(m.ids).Draw(t, "id"), true // taken, unless forgotten
	}
	var err error
	// A leased bundle's payment is a ledger transfer named by the bundle
	// (PaymentID): a reused id pays under a transfer id already used.
	if !reused && rapid.Bool().Draw(t, "leased") {
		err = m.money.schedule(t, id, agent, b)
	} else {
		err = m.f.s.Schedule(t.Context(), id, agent, "order-"+id, b)
	}
	allowed(t, "Schedule", err, ErrWindowEnded, bundle.ErrExceedsCapacity, ErrTooManyBundles, ErrDuplicateBundle)
	if err == nil && !slices.Contains(m.ids, id) {
		m.ids = append(m.ids, id)
	}
}

// tick moves the clock on, mostly by a short step.
func (m *snapshotMachine) tick(t *rapid.T) {
	if rapid.IntRange(0, 3).Draw(t, "long tick") == 0 {
		m.f.clk.Add(drawTick(t))
	} else {
		m.f.clk.Add(drawShortTick(t))
	}
}

func (m *snapshotMachine) advance(t *rapid.T) { allowed(t, "Advance", m.f.s.Advance(t.Context())) }

func (m *snapshotMachine) flush(t *rapid.T) { allowed(t, "Flush", m.f.s.Flush(t.Context())) }

func (m *snapshotMachine) use(t *rapid.T) {
	agent, resource, qty := drawRequest(t, m.f.s, m.agents)
	allowed(t, "Use", m.f.s.Use(t.Context(), agent, resource, qty), ErrServiceDenied)
}

func (m *snapshotMachine) report(t *rapid.T) {
	agent := rapid.SampledFrom(m.agents).Draw(t, "agent")
	resource, level := drawSample(t)
	allowed(t, "Report", m.f.s.Report(t.Context(), agent, resource, level), ErrTerminated)
}

func (m *snapshotMachine) release(t *rapid.T) {
	if len(m.ids) == 0 {
		t.Skip("nothing scheduled")
	}
	_, _, err := m.f.s.Release(t.Context(), rapid.SampledFrom(m.ids).Draw(t, "id"))
	allowed(t, "Release", err, ErrWindowEnded, ErrUnknownBundle)
}

func (m *snapshotMachine) reserve(t *rapid.T) {
	agent, resource, qty := drawRequest(t, m.f.s, m.agents)
	id, err := m.f.s.Reserve(t.Context(), agent, resource, qty, drawTTL(t))
	allowed(t, "Reserve", err, ErrServiceDenied, ErrTooManyReservations)
	if err == nil {
		m.rsv[id] = true
	}
}

func (m *snapshotMachine) commit(t *rapid.T) {
	id := drawReservation(t, maps.Keys(m.rsv))
	err := m.f.s.Commit(t.Context(), id, rapid.Int64Range(0, 45).Draw(t, "actual"))
	allowed(t, "Commit", err, ErrUnknownReservation, ErrOverCommit, ErrReservationLapsed)
	if err == nil {
		delete(m.rsv, id)
	}
}

func (m *snapshotMachine) cancel(t *rapid.T) {
	id := drawReservation(t, maps.Keys(m.rsv))
	allowed(t, "Cancel", m.f.s.Cancel(t.Context(), id), ErrUnknownReservation)
	delete(m.rsv, id)
}

// failedOp runs an operation whose publish fails and checks that the
// State does not change: a batched Use consumes, but its usage is not on
// the stream yet.
func (m *snapshotMachine) failedOp(t *rapid.T) {
	agent, resource, qty := drawRequest(t, m.f.s, m.agents)
	before := m.f.s.State()
	m.f.pub.fail.Store(true)
	defer m.f.pub.fail.Store(false)
	switch rapid.IntRange(0, 3).Draw(t, "op") {
	case 0:
		_ = m.f.s.Use(t.Context(), agent, resource, qty)
	case 1:
		_, _ = m.f.s.Reserve(t.Context(), agent, resource, qty, time.Second)
	case 2:
		_ = m.f.s.Advance(t.Context())
	case 3:
		if len(m.ids) > 0 {
			_, _, _ = m.f.s.Release(t.Context(), rapid.SampledFrom(m.ids).Draw(t, "id"))
		}
	}
	if diff := cmp.Diff(before, m.f.s.State(), cmpDecimal); diff != "" {
		t.Fatalf("an operation whose publish failed changed the state (-before +after):\n%s", diff)
	}
}

// snapshot takes the State, after a Flush or not (it holds only what is
// published either way), and checks that it survives encoding/gob.
func (m *snapshotMachine) snapshot(t *rapid.T) {
	if rapid.Bool().Draw(t, "flush first") {
		m.flush(t)
	}
	m.st, m.at = m.f.s.State(), m.f.log.Len()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(m.st); err != nil {
		t.Fatalf("gob: %v", err)
	}
	var back SchedulerState
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatalf("gob: %v", err)
	}
	if diff := cmp.Diff(m.st, back, cmpDecimal, cmpEmpty); diff != "" || back.stateHash() != m.st.StateHash {
		t.Fatalf("State through gob (-want +got):\n%s", diff)
	}
	m.st = back
}

// check verifies that the State is that of the scheduler restored from
// the stream and of the scheduler restored from it, and hashes to its
// StateHash.
func (m *snapshotMachine) check(t *rapid.T) {
	st := m.f.s.State()
	if st.StateHash != st.stateHash() {
		t.Fatalf("State's StateHash %s, recomputed %s", st.StateHash, st.stateHash())
	}
	opts := m.opts
	opts.Clock = m.f.clk
	r, err := Restore(t.Context(), m.f.s.catalog, opts, RestoreOptions{}, m.f.log.Events(0))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	sameState(t, "the scheduler restored from the stream", st, r.State())
	from, err := RestoreFrom(t.Context(), m.f.s.catalog, opts, RestoreOptions{}, st, nil)
	if err != nil {
		t.Fatalf("RestoreFrom: %v", err)
	}
	sameState(t, "the scheduler restored from it", st, from.State())
}

// sameState fails t unless got, the State of what, is want.
func sameState(t *rapid.T, what string, want, got SchedulerState) {
	if want.StateHash == got.StateHash && want.LastSequence == got.LastSequence && want.LastHash == got.LastHash {
		return // the hash covers the rest; cmp.Diff is slow
	}
	t.Fatalf("State differs from that of %s (-want +got):\n%s", what, cmp.Diff(want, got, cmpDecimal, cmpEmpty))
}

// twin is a restored scheduler with a publisher, executor and settler of
// its own.
type twin struct {
	s    *Scheduler
	log  *events.Log
	exec *recordingExecutor
	pay  *recordingSettler
}

// twin returns the scheduler restore returns for the machine's options.
func (m *snapshotMachine) twin(t *rapid.T, restore func(Options) (*Scheduler, error)) *twin {
	tw := &twin{log: events.NewLog(events.LogOptions{}), exec: &recordingExecutor{}, pay: &recordingSettler{}}
	opts := m.opts
	opts.Clock, opts.Publisher, opts.Executor, opts.Settler = m.f.clk, tw.log, tw.exec, tw.pay
	s, err := restore(opts)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	tw.s = s
	return tw
}

// compare restores the scheduler from the State taken and the events
// after it (or the whole stream), and from the whole stream, and checks
// that the two are the same and behave the same from then on.
func (m *snapshotMachine) compare(t *rapid.T) {
	all := m.f.log.Events(0)
	tail := all[m.at:]
	if rapid.Bool().Draw(t, "whole stream as tail") {
		tail = all
	}
	ropts := RestoreOptions{HoldOpen: m.money.holdOpen}
	full := m.twin(t, func(opts Options) (*Scheduler, error) {
		return Restore(t.Context(), m.f.s.catalog, opts, ropts, all)
	})
	from := m.twin(t, func(opts Options) (*Scheduler, error) {
		return RestoreFrom(t.Context(), m.f.s.catalog, opts, ropts, m.st, tail)
	})
	m.same(t, full, from)
	if got, want := from.s.StateHash(), m.f.s.StateHash(); got != want {
		t.Fatalf("restored StateHash %s, live %s", got, want)
	}
	// From the state of the restored scheduler and no events, again.
	again := m.twin(t, func(opts Options) (*Scheduler, error) {
		return RestoreFrom(t.Context(), m.f.s.catalog, opts, ropts, from.s.State(), nil)
	})
	m.same(t, from, again)
	// The same operations now give the same events.
	for range rapid.IntRange(1, 3).Draw(t, "rounds") {
		m.f.clk.Add(drawTick(t))
		agent, resource, qty := drawRequest(t, full.s, m.agents)
		ttl := drawTTL(t)
		for _, tw := range []*twin{full, from} {
			allowed(t, "Advance", tw.s.Advance(t.Context()))
			allowed(t, "Use", tw.s.Use(t.Context(), agent, resource, qty), ErrServiceDenied)
			_, err := tw.s.Reserve(t.Context(), agent, resource, qty, ttl)
			allowed(t, "Reserve", err, ErrServiceDenied, ErrTooManyReservations)
		}
		m.same(t, full, from)
	}
}

// same checks that a and b hold the same state, calendar and queues, and
// have published the same events, settled and stopped the same.
func (m *snapshotMachine) same(t *rapid.T, a, b *twin) {
	sa, sb := a.s.State(), b.s.State()
	if diff := cmp.Diff(sa, sb, cmpDecimal, cmpEmpty); diff != "" {
		t.Fatalf("States differ (-a +b):\n%s", diff)
	}
	if sa.StateHash != sb.StateHash || sa.StateHash != a.s.StateHash() {
		t.Fatalf("StateHash %s and %s", sa.StateHash, sb.StateHash)
	}
	now := m.f.clk.Now()
	instants := []time.Time{now, now.Add(time.Hour)}
	for _, bs := range sa.Bundles {
		instants = append(instants, bs.Start, bs.Start.Add(bs.Duration-time.Nanosecond), bs.Start.Add(bs.Duration))
	}
	ca, cb := a.s.Snapshot(), b.s.Snapshot()
	if ca.Len() != cb.Len() {
		t.Fatalf("calendars hold %d and %d bookings", ca.Len(), cb.Len())
	}
	for _, at := range instants {
		w := bundle.Window{Start: at, Duration: time.Minute}
		if diff := cmp.Diff(ca.UsedAt(at), cb.UsedAt(at)); diff != "" {
			t.Fatalf("calendars at %v (-a +b):\n%s", at, diff)
		}
		if diff := cmp.Diff(ca.Free(w), cb.Free(w)); diff != "" {
			t.Fatalf("calendars free over %v (-a +b):\n%s", w, diff)
		}
	}
	type queues struct {
		Next, Lapse       time.Time
		HasNext, HasLapse bool
		Spend             SpendStatus
		Unsettled         int
		Events            []events.Event
		Stops             []terminateCall
		Pays              []string
	}
	q := func(tw *twin) queues {
		var out queues
		out.Next, out.HasNext = tw.s.Next()
		out.Lapse, out.HasLapse = tw.s.NextLapse()
		out.Spend, _ = tw.s.Spend()
		out.Unsettled = tw.s.Unsettled()
		out.Events, out.Stops, out.Pays = tw.log.Events(0), tw.exec.Calls(), tw.pay.Calls()
		return out
	}
	if diff := cmp.Diff(q(a), q(b), cmpEmpty); diff != "" {
		t.Fatalf("restored schedulers differ (-a +b):\n%s", diff)
	}
}

// recordingSettler records the settlements it is asked for and accepts
// them.
type recordingSettler struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingSettler) Capture(_ context.Context, holdID, transferID, to string, amount *apd.Decimal, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("capture %s as %s to %s: %s (%s)", holdID, transferID, to, amount.Text('f'), reason))
	return nil
}

func (r *recordingSettler) Release(_ context.Context, holdID, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("release %s (%s)", holdID, reason))
	return nil
}

func (r *recordingSettler) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func TestRestoreFromEqualsRestore(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newSnapshotMachine(t, rt)
		rt.Repeat(map[string]func(*rapid.T){
			"schedule": m.schedule,
			"tick":     m.tick,
			"advance":  m.advance,
			"use":      m.use,
			"report":   m.report,
			"release":  m.release,
			"reserve":  m.reserve,
			"commit":   m.commit,
			"cancel":   m.cancel,
			"failedOp": m.failedOp,
			"snapshot": m.snapshot,
			"":         m.check,
		})
		m.compare(rt)
	})
}

// stateFixture returns a scheduler with a spend limit holding an active
// leased bundle (b1, alice), a finished one (b2, bob), spend and an
// outstanding spend reservation, and its State.
func stateFixture(t *testing.T) (*fixture, SchedulerState) {
	t.Helper()
	ctx := context.Background()
	f := newSpendFixture(t, Options{Settler: &recordingSettler{}})
	lease := Lease{HoldID: "hold/b1", Amount: dec("12.50"), Payee: "operator", Scale: 2}
	if err := f.s.ScheduleLeased(ctx, "b1", "alice", "o1", mkBundle(bundle.Quantities{"llm_spend": 60, "tokens": 100}, 0, 60), lease); err != nil {
		t.Fatal(err)
	}
	f.schedule(t, "b2", "bob", bundle.Quantities{"tokens": 100, "cpu": 10}, 0, 60)
	if err := f.s.Use(ctx, "alice", "llm_spend", 5); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Reserve(ctx, "alice", "llm_spend", 20, time.Minute); err != nil {
		t.Fatal(err)
	}
	f.at(1)
	if _, _, err := f.s.Release(ctx, "b2"); err != nil {
		t.Fatal(err)
	}
	return f, f.s.State()
}

func TestRestoreFromRefusesBadStates(t *testing.T) {
	f, good := stateFixture(t)
	// b1 is held, b2 finished.
	if len(good.Bundles) != 2 || len(good.Reservations) != 1 || len(good.Spent) != 1 || good.Bundles[0].Lease == nil {
		t.Fatalf("fixture state: %+v", good)
	}
	withSpend := Options{Clock: f.clk, Spend: testSpendLimit()}
	for _, tc := range []struct {
		name   string
		change func(st *SchedulerState)
		opts   *Options // withSpend if nil
		rehash bool     // recompute the hash after the change
	}{
		{name: "a wrong hash", change: func(st *SchedulerState) { st.StateHash = "00" + st.StateHash[2:] }},
		{name: "a changed state, its hash not", change: func(st *SchedulerState) { st.Bundles[0].Meters[0].Used++ }},
		{name: "an unknown state", rehash: true, change: func(st *SchedulerState) { st.Bundles[0].State = "paused" }},
		{name: "a bundle twice", rehash: true, change: func(st *SchedulerState) { st.Bundles = append(st.Bundles, st.Bundles[1]) }},
		{name: "a bundle without an id", rehash: true, change: func(st *SchedulerState) { st.Bundles[1].ID = "" }},
		{name: "an unknown resource", rehash: true, change: func(st *SchedulerState) { st.Bundles[0].Meters[0].Resource = "gpu" }},
		{name: "a resource twice", rehash: true, change: func(st *SchedulerState) {
			st.Bundles[0].Meters = append(st.Bundles[0].Meters, st.Bundles[0].Meters[0])
		}},
		{name: "a window of a fraction of a second", rehash: true, change: func(st *SchedulerState) { st.Bundles[1].Duration = 1500 * time.Millisecond }},
		{name: "a window without a start", rehash: true, change: func(st *SchedulerState) { st.Bundles[1].Start = time.Time{} }},
		{name: "usage beyond the quantity", rehash: true, change: func(st *SchedulerState) {
			st.Bundles[0].Meters[0].Used = st.Bundles[0].Meters[0].Quantity + 1
		}},
		{name: "usage of an OS-level resource", rehash: true, change: func(st *SchedulerState) { st.Bundles[1].Meters[0].Used = 1 }},
		{name: "a held bundle that ended", rehash: true, change: func(st *SchedulerState) { st.Bundles[0].Ended = t0 }},
		{name: "a finished bundle that did not end", rehash: true, change: func(st *SchedulerState) { st.Bundles[1].Ended = time.Time{} }},
		{name: "a lease without an amount", rehash: true, change: func(st *SchedulerState) { st.Bundles[0].Lease.Amount = nil }},
		{name: "a lease of NaN", rehash: true, change: func(st *SchedulerState) { st.Bundles[0].Lease.Amount = &apd.Decimal{Form: apd.NaN} }},
		{name: "overbooked", rehash: true, change: func(st *SchedulerState) {
			b := st.Bundles[0]
			b.ID, b.Lease, b.Meters = "b0", nil, []MeterState{{Resource: "llm_spend", Quantity: spendUnits - 59}}
			st.Bundles = append([]BundleState{b}, st.Bundles...)
		}},
		{name: "a finished bundle not in the finishing order", rehash: true, change: func(st *SchedulerState) { st.Finished = nil }},
		{name: "a held bundle in the finishing order", rehash: true, change: func(st *SchedulerState) { st.Finished = append(st.Finished, "b1") }},
		{name: "an unknown bundle in the finishing order", rehash: true, change: func(st *SchedulerState) { st.Finished = append(st.Finished, "b9") }},
		{name: "a reservation on an unknown bundle", rehash: true, change: func(st *SchedulerState) { st.Reservations[0].Holds[0].Bundle = "b9" }},
		{name: "a reservation on another agent's bundle", rehash: true, change: func(st *SchedulerState) { st.Reservations[0].Holds[0].Bundle = "b2" }},
		{name: "a reservation holding more than it reserves", rehash: true, change: func(st *SchedulerState) { st.Reservations[0].Holds[0].Quantity++ }},
		{name: "a reservation holding more than the bundle used", rehash: true, change: func(st *SchedulerState) {
			st.Reservations[0].Quantity, st.Reservations[0].Holds[0].Quantity, st.Reserved = 30, 30, 30
		}},
		{name: "a reservation twice", rehash: true, change: func(st *SchedulerState) {
			st.Reservations = append(st.Reservations, st.Reservations[0])
		}},
		{name: "a reservation of an OS-level resource", rehash: true, change: func(st *SchedulerState) { st.Reservations[0].Resource = "cpu" }},
		{name: "a spend reservation not metered", rehash: true, change: func(st *SchedulerState) { st.Reservations[0].Metered = false }},
		{name: "reserved spend that no reservation holds", rehash: true, change: func(st *SchedulerState) { st.Reserved++ }},
		{name: "spend out of order", rehash: true, change: func(st *SchedulerState) { st.Spent = append(st.Spent, st.Spent[0]) }},
		{name: "spend of nothing", rehash: true, change: func(st *SchedulerState) { st.Spent[0].Units = 0 }},
		{name: "a spend window without a spend limit", rehash: true, opts: &Options{Clock: f.clk}, change: func(st *SchedulerState) {
			st.Reservations, st.Reserved = nil, 0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := deepCopy(t, good)
			tc.change(&st)
			if tc.rehash {
				st.StateHash = st.stateHash()
			}
			opts := withSpend
			if tc.opts != nil {
				opts = *tc.opts
			}
			_, err := RestoreFrom(t.Context(), spendCatalog(t), opts, RestoreOptions{}, st, nil)
			if !errors.Is(err, ErrRestore) {
				t.Fatalf("RestoreFrom = %v, want ErrRestore", err)
			}
		})
	}
	if _, err := RestoreFrom(t.Context(), spendCatalog(t), withSpend, RestoreOptions{}, good, nil); err != nil {
		t.Fatalf("RestoreFrom of the good state: %v", err)
	}
}

// deepCopy returns a copy of st sharing nothing with it.
func deepCopy(tb testing.TB, st SchedulerState) SchedulerState {
	tb.Helper()
	var buf bytes.Buffer
	var out SchedulerState
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		tb.Fatal(err)
	}
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestRestoreFromRefusesATailThatDoesNotFollow(t *testing.T) {
	ctx := context.Background()
	f, st := stateFixture(t)
	f.at(2)
	if err := f.s.Use(ctx, "alice", "tokens", 10); err != nil {
		t.Fatal(err)
	}
	opts := Options{Clock: f.clk, Spend: testSpendLimit()}
	all := f.log.Events(0)
	tail := all[len(all)-1:]
	if _, err := RestoreFrom(ctx, spendCatalog(t), opts, RestoreOptions{}, st, tail); err != nil {
		t.Fatalf("RestoreFrom the tail: %v", err)
	}
	forged := slices.Clone(tail)
	forged[0].Data = events.UsageRecorded{BundleID: "b1", AgentID: "alice", Resource: "tokens", Quantity: 1, Used: 1, Limit: 100}
	for name, tail := range map[string][]events.Event{
		"a changed event":                  forged,
		"an event before the state's last": {all[len(all)-3], tail[0]},
		"an unchained event":               {unchained(tail[0])},
		"an event repeated as another":     append(slices.Clone(all), renumber(all[len(all)-1], 99)),
	} {
		_, err := RestoreFrom(ctx, spendCatalog(t), opts, RestoreOptions{}, st, tail)
		if !errors.Is(err, ErrRestore) || !errors.Is(err, events.ErrTampered) {
			t.Errorf("%s: RestoreFrom = %v, want ErrRestore and events.ErrTampered", name, err)
		}
	}
}

// unchained returns e without its link in the chain.
func unchained(e events.Event) events.Event {
	e.Hash, e.Seal, e.Signature = "", false, ""
	return e
}

// TestStateExcludesUnpublishedUsage checks that under UsageBatch the State
// holds what the stream says: usage and spend not yet published are not
// in it until Flush publishes them, and the spend is then recorded at the
// time of the publish, as Restore records it.
func TestStateExcludesUnpublishedUsage(t *testing.T) {
	ctx := context.Background()
	f := newSpendFixture(t, Options{UsageBatch: 10})
	f.schedule(t, "b1", "alice", bundle.Quantities{"llm_spend": 50}, 0, 60)
	before := f.s.State()
	if err := f.s.Use(ctx, "alice", "llm_spend", 7); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.s.Spend(); st.Spent != 7 {
		t.Fatalf("Spent %d before the publish, want 7", st.Spent)
	}
	if diff := cmp.Diff(before, f.s.State(), cmpDecimal); diff != "" {
		t.Fatalf("unpublished usage changed the State (-before +after):\n%s", diff)
	}
	f.at(3)
	if err := f.s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := f.s.State()
	want := []SpendSample{{At: t0.Add(3 * time.Second), Units: 7}}
	if diff := cmp.Diff(want, st.Spent); diff != "" || st.Bundles[0].Meters[0].Used != 7 {
		t.Fatalf("State after Flush: used %d, spend (-want +got):\n%s", st.Bundles[0].Meters[0].Used, diff)
	}
	r, err := Restore(ctx, spendCatalog(t), Options{Clock: f.clk, Spend: testSpendLimit()}, RestoreOptions{}, f.log.Events(0))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, r.State(), cmpDecimal, cmpEmpty); diff != "" {
		t.Fatalf("restored State (-live +restored):\n%s", diff)
	}
}

// ExampleRestoreFrom restarts a scheduler from its State and the events
// published after it was taken.
func ExampleRestoreFrom() {
	ctx := context.Background()
	catalog, _ := bundle.NewCatalog(bundle.Resource{Name: "tokens", Unit: "token", Capacity: 1000, Enforcement: bundle.ServiceLevel})
	log := events.NewLog(events.LogOptions{})
	clk := clock.NewMock()
	clk.Set(t0)
	s, _ := New(catalog, Options{Clock: clk, Publisher: log})
	b := bundle.Bundle{Quantities: bundle.Quantities{"tokens": 100}, Window: bundle.Window{Start: t0, Duration: time.Hour}}
	_ = s.Schedule(ctx, "b1", "alice", "o1", b)

	_ = s.Flush(ctx) // the State holds only published usage
	st := s.State()  // encode it with encoding/gob and store it
	taken := log.Len()

	_ = s.Use(ctx, "alice", "tokens", 30)

	restored, err := RestoreFrom(ctx, catalog, Options{Clock: clk}, RestoreOptions{}, st, log.Events(taken+1))
	fmt.Println(err, restored.Remaining("alice", "tokens"), restored.StateHash() == s.StateHash())
	// Output: <nil> 70 true
}
