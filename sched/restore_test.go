package sched

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// restore replaces the machine's scheduler with one restored from the
// events it published, as after a crash, and checks that nothing
// observable changed; the machine goes on with the restored one.
func (m *machine) restore(t *rapid.T) {
	before := m.f.capture(m.ids, m.agents)
	opts := Options{Clock: m.f.clk, Publisher: m.f.pub, Executor: m.f.exec, Settler: m.money.l}
	s, err := Restore(t.Context(), m.f.s.catalog, opts, RestoreOptions{HoldOpen: m.holdOpen}, m.f.log.Events(0))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	m.f.s, m.money.s = s, s
	after := m.f.capture(m.ids, m.agents)
	before.CalendarN, after.CalendarN = 0, 0 // bookings ended early are pruned at once
	if diff := cmp.Diff(before, after, cmpEmpty); diff != "" {
		t.Fatalf("restored scheduler differs (-before +after):\n%s", diff)
	}
	if evs := m.take(t); len(evs) != 0 {
		t.Fatalf("Restore published %v", evs)
	}
}

// holdOpen reports whether the machine's ledger has hold id open.
func (m *machine) holdOpen(id string) bool { return m.money.holdOpen(id) }

func TestRestoreRefusesBrokenStreams(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	f.schedule(t, "b1", "alice", bundle.Quantities{"tokens": 100}, 0, 60)
	if err := f.s.Use(ctx, "alice", "tokens", 10); err != nil {
		t.Fatal(err)
	}
	evs := f.log.Events(0)
	for name, broken := range map[string][]events.Event{
		"a gap":                               single(evs[0], evs[2]),
		"a batch missing an event, then more": {evs[0], evs[2], evs[3]},
		"usage of no bundle":                  {evs[len(evs)-1]},
		"activation twice":                    single(evs[0], evs[1], renumber(evs[1], 3)),
		"a bundle booked twice":               single(evs[0], renumber(evs[0], 2)),
	} {
		if _, err := Restore(ctx, f.s.catalog, Options{}, RestoreOptions{}, broken); !errors.Is(err, ErrRestore) {
			t.Errorf("%s: Restore = %v, want ErrRestore", name, err)
		}
	}
	s, err := Restore(ctx, f.s.catalog, Options{Clock: f.clk}, RestoreOptions{}, evs)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Remaining("alice", "tokens"); got != 90 {
		t.Errorf("restored Remaining = %d, want 90", got)
	}
	if err := s.Use(ctx, "alice", "tokens", 5); err != nil {
		t.Fatalf("Use after Restore: %v", err)
	}
}

// single returns evs as a stream.
func single(evs ...events.Event) []events.Event { return evs }

// renumber returns e with sequence seq.
func renumber(e events.Event, seq uint64) events.Event {
	e.Sequence = seq
	return e
}

// restore replaces the spend machine's scheduler with one restored from
// its events, and checks that its bundles, spend window and reservations
// are as they were.
func (m *spendMachine) restore(t *rapid.T) {
	before, spendBefore := m.f.capture(m.ids, m.agents), m.f.spendState()
	limit := testSpendLimit()
	limit.Window = machineWindow
	opts := Options{Clock: m.f.clk, Publisher: m.f.pub, Executor: m.f.exec, Spend: limit}
	s, err := Restore(t.Context(), m.f.s.catalog, opts, RestoreOptions{}, m.f.log.Events(0))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	m.f.s = s
	after, spendAfter := m.f.capture(m.ids, m.agents), m.f.spendState()
	before.CalendarN, after.CalendarN = 0, 0
	if diff := cmp.Diff(before, after, cmpEmpty); diff != "" {
		t.Fatalf("restored scheduler differs (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(spendBefore, spendAfter, cmpEmpty); diff != "" {
		t.Fatalf("restored spend state differs (-before +after):\n%s", diff)
	}
}
