package sched

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestAdvance(t *testing.T) {
	cpu := bundle.Quantities{"cpu": 10}
	act := func(id, agent string) events.Payload { return events.BundleActivated{BundleID: id, AgentID: agent} }
	exp := func(id, agent string) events.Payload { return events.BundleExpired{BundleID: id, AgentID: agent} }
	awake := func(agent string) events.Payload { return events.AgentAwake{AgentID: agent} }
	dormant := func(agent string) events.Payload { return events.AgentDormant{AgentID: agent} }
	tests := []struct {
		name  string
		setup func(testing.TB, *fixture)
		at    int
		want  []events.Payload
	}{
		{name: "nothing scheduled", at: 10},
		{
			name:  "not due yet",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu, 10, 10) },
			at:    9,
		},
		{
			name: "same instant: bundle id order",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "z", "bob", cpu, 5, 10)
				f.schedule(tb, "a", "alice", cpu, 5, 10)
				f.schedule(tb, "m", "alice", cpu, 5, 10)
			},
			at:   5,
			want: []events.Payload{act("a", "alice"), awake("alice"), act("m", "alice"), act("z", "bob"), awake("bob")},
		},
		{
			name: "time order before id order",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "a", "alice", cpu, 7, 10)
				f.schedule(tb, "b", "bob", cpu, 6, 10)
			},
			at:   8,
			want: []events.Payload{act("b", "bob"), awake("bob"), act("a", "alice"), awake("alice")},
		},
		{
			name:  "activation and expiry in one call",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu, 5, 10) },
			at:    100,
			want:  []events.Payload{act("b", "alice"), awake("alice"), exp("b", "alice"), dormant("alice")},
		},
		{
			name: "handover at one instant, later id activates",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "a", "alice", cpu, 0, 10)
				f.schedule(tb, "b", "alice", cpu, 10, 10)
			},
			at:   10,
			want: []events.Payload{exp("a", "alice"), dormant("alice"), act("b", "alice"), awake("alice")},
		},
		{
			name: "handover at one instant, earlier id activates",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", cpu, 0, 10)
				f.schedule(tb, "a", "alice", cpu, 10, 10)
			},
			at:   10,
			want: []events.Payload{act("a", "alice"), exp("b", "alice")},
		},
		{
			name: "released bundle is not activated",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", cpu, 5, 10)
				if _, _, err := f.s.Release(tb.Context(), "b"); err != nil {
					tb.Fatal(err)
				}
			},
			at: 100,
		},
		{
			name: "released active bundle does not expire",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", cpu, 0, 10)
				if _, _, err := f.s.Release(tb.Context(), "b"); err != nil {
					tb.Fatal(err)
				}
			},
			at: 100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			if tt.setup != nil {
				tt.setup(t, f)
			}
			f.fresh()
			f.at(tt.at)
			if err := f.s.Advance(t.Context()); err != nil {
				t.Fatalf("Advance: %v", err)
			}
			if diff := cmp.Diff(tt.want, payloads(f.fresh()), cmpEmpty); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if err := f.s.Advance(t.Context()); err != nil {
				t.Fatalf("second Advance: %v", err)
			}
			if evs := f.fresh(); len(evs) != 0 {
				t.Errorf("second Advance published %v, want nothing", evs)
			}
		})
	}
}

// TestAdvancePublishFails checks that a failed Advance changes nothing and
// a retry publishes what the failed one would have.
func TestAdvancePublishFails(t *testing.T) {
	f := newFixture(t, Options{})
	f.schedule(t, "a", "alice", bundle.Quantities{"cpu": 40}, 5, 10)
	f.schedule(t, "b", "alice", bundle.Quantities{"cpu": 40}, 0, 10)
	f.fresh()
	f.at(12)
	ids, agents := []string{"a", "b"}, []string{"alice"}
	before := f.capture(ids, agents)
	f.pub.fail.Store(true)
	if err := f.s.Advance(t.Context()); !errors.Is(err, errPublish) {
		t.Fatalf("Advance: err = %v, want %v", err, errPublish)
	}
	f.pub.fail.Store(false)
	if diff := cmp.Diff(before, f.capture(ids, agents)); diff != "" {
		t.Errorf("failed Advance changed state (-before +after):\n%s", diff)
	}
	if err := f.s.Advance(t.Context()); err != nil {
		t.Fatalf("retry: %v", err)
	}
	want := []events.Payload{
		events.BundleActivated{BundleID: "a", AgentID: "alice"},
		events.BundleExpired{BundleID: "b", AgentID: "alice"},
	}
	if diff := cmp.Diff(want, payloads(f.fresh())); diff != "" {
		t.Errorf("retry events (-want +got):\n%s", diff)
	}
}

// TestAdvanceReturnsCapacity checks that expired bundles and the bookings of
// released ones leave the calendar.
func TestAdvanceReturnsCapacity(t *testing.T) {
	f := newFixture(t, Options{})
	f.schedule(t, "a", "alice", bundle.Quantities{"cpu": 100}, 0, 10)
	f.schedule(t, "b", "bob", bundle.Quantities{"mem": 1024}, 0, 30)
	f.at(5)
	if _, _, err := f.s.Release(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	snap := f.s.Snapshot()
	if got := snap.UsedAt(t0.Add(sec(2)))["mem"]; got != 1024 {
		t.Errorf("released booking's past: mem used %d, want 1024", got)
	}
	if got := snap.Free(bundle.Window{Start: t0.Add(sec(5)), Duration: time.Minute})["mem"]; got != 1024 {
		t.Errorf("released booking's future: mem free %d, want 1024", got)
	}
	f.at(10)
	if err := f.s.Advance(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := f.s.Snapshot().Len(); n != 0 {
		t.Errorf("calendar holds %d bookings, want 0", n)
	}
}

func TestNext(t *testing.T) {
	f := newFixture(t, Options{})
	if at, ok := f.s.Next(); ok {
		t.Fatalf("empty scheduler: Next = %v, true", at)
	}
	f.schedule(t, "a", "alice", bundle.Quantities{"cpu": 1}, 20, 10)
	f.schedule(t, "b", "alice", bundle.Quantities{"cpu": 1}, 0, 50)
	f.schedule(t, "c", "alice", bundle.Quantities{"cpu": 1}, 5, 10)
	check := func(wantSec int) {
		t.Helper()
		at, ok := f.s.Next()
		if !ok || !at.Equal(t0.Add(sec(wantSec))) {
			t.Errorf("Next = %v, %v, want t0+%ds", at, ok, wantSec)
		}
	}
	check(5)
	if _, _, err := f.s.Release(t.Context(), "c"); err != nil {
		t.Fatal(err)
	}
	check(20) // c's activation and expiry no longer pending
	f.at(25)
	check(20) // due, Advance not run
	if err := f.s.Advance(t.Context()); err != nil {
		t.Fatal(err)
	}
	check(30)
}

// TestTimersCompact checks that timers of bundles released long before
// their window stay bounded.
func TestTimersCompact(t *testing.T) {
	f := newFixture(t, Options{})
	for i := range 1000 {
		id := fmt.Sprintf("b%d", i)
		f.schedule(t, id, "alice", bundle.Quantities{"cpu": 1}, 3600, 60)
		if _, _, err := f.s.Release(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	f.s.mu.Lock()
	n := len(f.s.timers)
	f.s.mu.Unlock()
	if n > 4*0+64+2 {
		t.Errorf("%d timers pending for no held bundle", n)
	}
	if at, ok := f.s.Next(); ok {
		t.Errorf("Next = %v, want none", at)
	}
}
