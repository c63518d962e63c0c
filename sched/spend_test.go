package sched

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestNewSpendLimitInvalid(t *testing.T) {
	tests := []struct {
		name  string
		limit *SpendLimit
	}{
		{"zero window", &SpendLimit{Max: dec("0.1"), Unit: dec("0.001")}},
		{"negative window", &SpendLimit{Max: dec("0.1"), Unit: dec("0.001"), Window: -time.Second}},
		{"no max", &SpendLimit{Unit: dec("0.001"), Window: time.Second}},
		{"zero max", &SpendLimit{Max: dec("0"), Unit: dec("0.001"), Window: time.Second}},
		{"no unit", &SpendLimit{Max: dec("0.1"), Window: time.Second}},
		{"unit does not divide max", &SpendLimit{Max: dec("0.1"), Unit: dec("0.003"), Window: time.Second}},
		{"capacity differs", &SpendLimit{Max: dec("0.2"), Unit: dec("0.001"), Window: time.Second}},
		{"unknown resource", &SpendLimit{Resource: "dollars", Max: dec("0.1"), Unit: dec("0.001"), Window: time.Second}},
		{"OS-level resource", &SpendLimit{Resource: "cpu", Max: dec("0.1"), Unit: dec("0.001"), Window: time.Second}},
	}
	for _, tt := range tests {
		if _, err := New(spendCatalog(t), Options{Spend: tt.limit}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: New err = %v, want ErrInvalidOptions", tt.name, err)
		}
	}
	if _, err := New(spendCatalog(t), Options{MaxReservations: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("MaxReservations -1: err = %v", err)
	}
	if _, err := New(spendCatalog(t), Options{Spend: &SpendLimit{Resource: "attention", Max: dec("5"), Unit: dec("5"), Window: time.Second}}); err != nil {
		t.Errorf("a limit of 1 unit on attention: %v", err)
	}
}

// meterStep is one step of a meter table test: at offset at, qty units are
// asked for, and spent if they fit.
type meterStep struct {
	at      time.Duration
	qty     int64
	denied  bool
	freesAt time.Duration // offset of FreesAt when denied, -1 if none
}

// TestSpendWindowMeter checks the window (now-10s, now] of 100 units: a
// spend at t counts until t+10s, excluded.
func TestSpendWindowMeter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		reserved int64
		steps    []meterStep
	}{
		{"exactly at the limit", 0, []meterStep{{0, 60, false, 0}, {sec(1), 40, false, 0}}},
		{"one unit over", 0, []meterStep{{0, 60, false, 0}, {sec(1), 41, true, sec(10)}}},
		{"more than the limit alone", 0, []meterStep{{0, 101, true, -1}}},
		{"frees exactly when the oldest spend leaves", 0, []meterStep{
			{0, 60, false, 0}, {sec(1), 40, false, 0},
			{sec(10) - 1, 1, true, sec(10)},
			{sec(10), 60, false, 0},
			{sec(10), 1, true, sec(11)},
			{sec(11), 40, false, 0},
		}},
		{"the excess decides which spend must leave", 0, []meterStep{
			{0, 10, false, 0}, {sec(2), 20, false, 0}, {sec(4), 70, false, 0},
			{sec(5), 25, true, sec(12)},
			{sec(5), 10, true, sec(10)},
			{sec(11) + 999*ms, 25, true, sec(12)},
			{sec(12), 25, false, 0},
		}},
		{"same instant spends merge", 0, []meterStep{
			{0, 30, false, 0}, {0, 30, false, 0}, {0, 40, false, 0}, {sec(9), 1, true, sec(10)}, {sec(10), 100, false, 0},
		}},
		{"reservations hold room", 30, []meterStep{
			{0, 70, false, 0}, {sec(1), 1, true, sec(10)}, {sec(10), 70, false, 0}, {sec(10), 71, true, -1},
		}},
		{"reservations alone block", 100, []meterStep{{0, 1, true, -1}}},
		{"a long idle gap empties the window", 0, []meterStep{
			{0, 100, false, 0}, {time.Hour, 100, false, 0}, {time.Hour + sec(9), 1, true, time.Hour + sec(10)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &spendMeter{window: spendWindow, max: spendUnits, reserved: tt.reserved}
			for i, st := range tt.steps {
				now := t0.Add(st.at)
				fits := st.qty <= m.room(now)
				if fits == st.denied {
					t.Fatalf("step %d: %d units at %v fit: %v, spent %d", i, st.qty, st.at, fits, m.spent())
				}
				if fits {
					m.record(now, st.qty)
					continue
				}
				at, ok := m.freesAt(st.qty)
				if want := t0.Add(st.freesAt); ok != (st.freesAt >= 0) || ok && !at.Equal(want) {
					t.Errorf("step %d: freesAt(%d) = %v, %v; want %v", i, st.qty, at, ok, want)
				}
			}
		})
	}
}

// TestSpendMeterCompacts records many spends one after the other: the
// evicted prefix is reused and the window stays exact.
func TestSpendMeterCompacts(t *testing.T) {
	m := &spendMeter{window: time.Second, max: 1000}
	now := t0
	for i := range 20_000 {
		now = now.Add(time.Millisecond)
		if m.room(now) < 1 {
			t.Fatalf("spend %d: no room, spent %d", i, m.spent())
		}
		m.record(now, 1)
		if m.spent() != min(int64(i+1), 1000) {
			t.Fatalf("spend %d: spent %d", i, m.spent())
		}
	}
	if len(m.recs)-m.head != 1000 || cap(m.recs) > 8*compactAt {
		t.Errorf("%d live records in %d (cap %d)", len(m.recs)-m.head, len(m.recs), cap(m.recs))
	}
}

// TestUseThroughSpendMeter denies a Use beyond the window and publishes
// spend_limit_reached.
func TestUseThroughSpendMeter(t *testing.T) {
	f := newSpendFixture(t, Options{})
	f.schedule(t, "first", "a0", bundle.Quantities{"llm_spend": 100}, 0, 5)
	f.schedule(t, "second", "a0", bundle.Quantities{"llm_spend": 100}, 5, 10)
	f.at(1)
	if err := f.s.Use(t.Context(), "a0", "llm_spend", 70); err != nil {
		t.Fatal(err)
	}
	f.at(6)
	f.fresh()
	err := f.s.Use(t.Context(), "a0", "llm_spend", 31)
	var se *SpendLimitError
	if !errors.As(err, &se) || !errors.Is(err, ErrSpendLimit) || !errors.Is(err, ErrServiceDenied) {
		t.Fatalf("Use = %v, want a spend limit error", err)
	}
	want := []events.Payload{events.SpendLimitReached{AgentID: "a0", Resource: "llm_spend", Requested: 31, Spent: 70,
		Limit: spendUnits, Unit: "0.001", WindowSeconds: "10", FreesAt: t0.Add(sec(11))}}
	if diff := cmp.Diff(want, payloads(f.fresh())); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	wantErr := &SpendLimitError{Agent: "a0", Resource: "llm_spend", Requested: 31, Spent: 70, Limit: spendUnits,
		Window: spendWindow, FreesAt: t0.Add(sec(11))}
	if diff := cmp.Diff(wantErr, se); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if left := f.s.Remaining("a0", "llm_spend"); left != 100 {
		t.Errorf("denied Use consumed: %d left", left)
	}
	if err := f.s.Use(t.Context(), "a0", "llm_spend", 30); err != nil {
		t.Fatal(err)
	}
	f.at(11)
	if err := f.s.Use(t.Context(), "a0", "llm_spend", 70); err != nil {
		t.Fatalf("after the window freed: %v", err)
	}
}

func TestSpendLimitOnlyMetersItsResource(t *testing.T) {
	f := newSpendFixture(t, Options{})
	f.schedule(t, "b", "a0", bundle.Quantities{"tokens": 5000, "llm_spend": 100}, 0, 60)
	if err := f.s.Use(t.Context(), "a0", "tokens", 5000); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.s.Spend(); st.Spent != 0 {
		t.Errorf("tokens counted as spend: %+v", st)
	}
	g := newFixture(t, Options{})
	if _, ok := g.s.Spend(); ok {
		t.Errorf("Spend reports a limit without one configured")
	}
}

// TestSpendLimitAcrossBundles shows the window binding where the calendar
// does not: two bundles one after the other each hold the whole limit.
func TestSpendLimitAcrossBundles(t *testing.T) {
	f := newSpendFixture(t, Options{})
	f.schedule(t, "first", "a0", bundle.Quantities{"llm_spend": 100}, 0, 5)
	f.schedule(t, "second", "a1", bundle.Quantities{"llm_spend": 100}, 5, 10)
	f.at(4)
	if err := f.s.Use(t.Context(), "a0", "llm_spend", 100); err != nil {
		t.Fatal(err)
	}
	f.at(5)
	err := f.s.Use(t.Context(), "a1", "llm_spend", 1)
	var se *SpendLimitError
	if !errors.As(err, &se) || !se.FreesAt.Equal(t0.Add(sec(14))) {
		t.Fatalf("Use in the second bundle = %v, want denied until t0+14s", err)
	}
	if left := f.s.Remaining("a1", "llm_spend"); left != 100 {
		t.Errorf("denied Use consumed: %d left", left)
	}
	f.at(14)
	if err := f.s.Use(t.Context(), "a1", "llm_spend", 100); err != nil {
		t.Fatal(err)
	}
}

func TestSpendDenialPublishFailure(t *testing.T) {
	f := newSpendFixture(t, Options{})
	f.schedule(t, "a", "a0", bundle.Quantities{"llm_spend": 100}, 0, 5)
	f.schedule(t, "b", "a0", bundle.Quantities{"llm_spend": 100}, 5, 10)
	if err := f.s.Use(t.Context(), "a0", "llm_spend", 90); err != nil {
		t.Fatal(err)
	}
	f.at(6)
	f.fresh()
	before, spend := f.capture([]string{"a", "b"}, []string{"a0"}), f.spendState()
	f.pub.fail.Store(true)
	err := f.s.Use(t.Context(), "a0", "llm_spend", 11)
	f.pub.fail.Store(false)
	if !errors.Is(err, ErrSpendLimit) || !errors.Is(err, errPublish) {
		t.Fatalf("err = %v, want spend limit and publish errors", err)
	}
	if diff := cmp.Diff(before, f.capture([]string{"a", "b"}, []string{"a0"})); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(spend, f.spendState()); diff != "" {
		t.Errorf("spend changed (-before +after):\n%s", diff)
	}
	// A failed publish of an allowed spend records nothing either.
	f.pub.fail.Store(true)
	err = f.s.Use(t.Context(), "a0", "llm_spend", 10)
	f.pub.fail.Store(false)
	if !errors.Is(err, errPublish) || f.spendState().Spent != 90 {
		t.Errorf("Use with a failing publisher = %v, spent %d", err, f.spendState().Spent)
	}
	if len(f.fresh()) != 0 {
		t.Errorf("failed publishes left events")
	}
}

func TestDurationSeconds(t *testing.T) {
	for d, want := range map[time.Duration]events.Decimal{
		time.Hour: "3600", 1500 * time.Millisecond: "1.5", time.Nanosecond: "0.000000001", 10 * time.Second: "10",
	} {
		if got := durationSeconds(d); got != want {
			t.Errorf("durationSeconds(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestAttentionIsExclusive books the one human of attention: two agents
// cannot hold it over overlapping windows, and can over disjoint ones.
func TestAttentionIsExclusive(t *testing.T) {
	tests := []struct {
		name                 string
		start2, dur2         int
		err                  error
		firstStart, firstDur int
	}{
		{"overlapping", 5, 10, bundle.ErrExceedsCapacity, 0, 10},
		{"inside", 2, 2, bundle.ErrExceedsCapacity, 0, 10},
		{"back to back", 10, 10, nil, 0, 10},
		{"disjoint", 20, 5, nil, 0, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSpendFixture(t, Options{})
			f.schedule(t, "alice-h", "alice", bundle.Quantities{"attention": 1}, tt.firstStart, tt.firstDur)
			err := f.s.Schedule(t.Context(), "bob-h", "bob", "", mkBundle(bundle.Quantities{"attention": 1}, tt.start2, tt.dur2))
			if !errors.Is(err, tt.err) {
				t.Fatalf("second booking: err = %v, want %v", err, tt.err)
			}
		})
	}
	f := newSpendFixture(t, Options{})
	f.schedule(t, "h", "alice", bundle.Quantities{"attention": 1}, 0, 10)
	if err := f.s.Use(t.Context(), "alice", "attention", 1); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Use(t.Context(), "alice", "attention", 1); !errors.Is(err, ErrServiceDenied) {
		t.Errorf("second use of one human: %v", err)
	}
}
