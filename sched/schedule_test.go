package sched

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestSchedule(t *testing.T) {
	q := bundle.Quantities{"cpu": 60, "tokens": 500}
	ew := func(startSec, durSec int64) events.Window {
		return events.Window{Start: t0.Add(time.Duration(startSec) * time.Second), DurationSeconds: durSec}
	}
	scheduled := func(id string, startSec, durSec int64) events.Payload {
		return events.BundleScheduled{BundleID: id, AgentID: "alice", OrderID: "order-" + id,
			Quantities: events.Quantities{"cpu": 60, "tokens": 500}, Window: ew(startSec, durSec)}
	}
	tests := []struct {
		name      string
		setup     func(testing.TB, *fixture)
		maxB      int
		id, agent string
		b         bundle.Bundle
		failPub   bool
		wantErr   error
		want      []events.Payload
		wantState State
	}{
		{
			name: "future", id: "b", agent: "alice", b: mkBundle(q, 10, 60),
			want: []events.Payload{scheduled("b", 10, 60)}, wantState: Scheduled,
		},
		{
			name: "starts now", id: "b", agent: "alice", b: mkBundle(q, 0, 60),
			want: []events.Payload{scheduled("b", 0, 60),
				events.BundleActivated{BundleID: "b", AgentID: "alice"}, events.AgentAwake{AgentID: "alice"}},
			wantState: Active,
		},
		{
			name: "started in the past", id: "b", agent: "alice", b: mkBundle(q, -5, 60),
			want: []events.Payload{scheduled("b", -5, 60),
				events.BundleActivated{BundleID: "b", AgentID: "alice"}, events.AgentAwake{AgentID: "alice"}},
			wantState: Active,
		},
		{
			name:  "second active bundle of an awake agent",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "a", "alice", bundle.Quantities{"mem": 1}, 0, 60) },
			id:    "b", agent: "alice", b: mkBundle(q, 0, 60),
			want:      []events.Payload{scheduled("b", 0, 60), events.BundleActivated{BundleID: "b", AgentID: "alice"}},
			wantState: Active,
		},
		{
			name:  "fits beside a booking that does not overlap",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "a", "bob", bundle.Quantities{"cpu": 100}, 0, 10) },
			id:    "b", agent: "alice", b: mkBundle(q, 10, 60),
			want: []events.Payload{scheduled("b", 10, 60)}, wantState: Scheduled,
		},
		{name: "empty id", agent: "alice", b: mkBundle(q, 0, 60), wantErr: ErrInvalidID},
		{name: "empty agent", id: "b", b: mkBundle(q, 0, 60), wantErr: ErrInvalidID},
		{name: "no start", id: "b", agent: "alice", b: bundle.Bundle{Quantities: q, Window: bundle.Window{Duration: time.Minute}}, wantErr: bundle.ErrInvalidWindow},
		{name: "fractional duration", id: "b", agent: "alice", b: bundle.Bundle{Quantities: q, Window: bundle.Window{Start: t0, Duration: 1500 * time.Millisecond}}, wantErr: bundle.ErrInvalidWindow},
		{name: "zero duration", id: "b", agent: "alice", b: mkBundle(q, 0, 0), wantErr: bundle.ErrInvalidWindow},
		{name: "no quantities", id: "b", agent: "alice", b: mkBundle(bundle.Quantities{}, 0, 60), wantErr: bundle.ErrEmptyBundle},
		{name: "unknown resource", id: "b", agent: "alice", b: mkBundle(bundle.Quantities{"gpu": 1}, 0, 60), wantErr: bundle.ErrUnknownResource},
		{name: "zero quantity", id: "b", agent: "alice", b: mkBundle(bundle.Quantities{"cpu": 0}, 0, 60), wantErr: bundle.ErrInvalidQuantity},
		{name: "negative quantity", id: "b", agent: "alice", b: mkBundle(bundle.Quantities{"cpu": -3}, 0, 60), wantErr: bundle.ErrInvalidQuantity},
		{name: "beyond capacity", id: "b", agent: "alice", b: mkBundle(bundle.Quantities{"cpu": 101}, 0, 60), wantErr: bundle.ErrExceedsCapacity},
		{
			name:  "beyond capacity left",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "a", "bob", bundle.Quantities{"cpu": 50}, 30, 60) },
			id:    "b", agent: "alice", b: mkBundle(q, 0, 60), wantErr: bundle.ErrExceedsCapacity,
		},
		{
			name:  "duplicate id",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "bob", bundle.Quantities{"mem": 1}, 100, 60) },
			id:    "b", agent: "alice", b: mkBundle(q, 0, 60), wantErr: ErrDuplicateBundle,
		},
		{
			name: "duplicate id of a finished bundle",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "bob", bundle.Quantities{"mem": 1}, 0, 60)
				if _, _, err := f.s.Release(tb.Context(), "b"); err != nil {
					tb.Fatal(err)
				}
			},
			id: "b", agent: "alice", b: mkBundle(q, 0, 60), wantErr: ErrDuplicateBundle,
		},
		{name: "window ends now", id: "b", agent: "alice", b: mkBundle(q, -60, 60), wantErr: ErrWindowEnded},
		{name: "window ended", id: "b", agent: "alice", b: mkBundle(q, -60, 30), wantErr: ErrWindowEnded},
		{
			name:  "too many bundles",
			maxB:  1,
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "a", "bob", bundle.Quantities{"mem": 1}, 0, 60) },
			id:    "b", agent: "alice", b: mkBundle(q, 0, 60), wantErr: ErrTooManyBundles,
		},
		{name: "publish fails", id: "b", agent: "alice", b: mkBundle(q, 0, 60), failPub: true, wantErr: errPublish},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{MaxBundles: tt.maxB})
			if tt.setup != nil {
				tt.setup(t, f)
			}
			f.fresh()
			ids, agents := []string{"a", "b", tt.id}, []string{"alice", "bob"}
			before := f.capture(ids, agents)
			f.pub.fail.Store(tt.failPub)
			err := f.s.Schedule(t.Context(), tt.id, tt.agent, "order-"+tt.id, tt.b)
			f.pub.fail.Store(false)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Schedule: err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, payloads(f.fresh()), cmpEmpty); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if tt.wantErr != nil {
				if diff := cmp.Diff(before, f.capture(ids, agents)); diff != "" {
					t.Errorf("failed Schedule changed state (-before +after):\n%s", diff)
				}
				return
			}
			in, ok := f.s.Bundle(tt.id)
			want := Info{ID: tt.id, Agent: tt.agent, OrderID: "order-" + tt.id, Bundle: tt.b, State: tt.wantState, Used: bundle.Quantities{}}
			if diff := cmp.Diff(want, in); !ok || diff != "" {
				t.Errorf("Bundle(%q) = _, %v; (-want +got):\n%s", tt.id, ok, diff)
			}
			if used := f.s.Snapshot().UsedAt(tt.b.Window.Start); used["cpu"] < 60 {
				t.Errorf("calendar at start books %d cpu, want >= 60", used["cpu"])
			}
		})
	}
}

// TestScheduleCopiesQuantities checks that changing the caller's map after
// Schedule changes nothing.
func TestScheduleCopiesQuantities(t *testing.T) {
	f := newFixture(t, Options{})
	q := bundle.Quantities{"tokens": 10}
	f.schedule(t, "b", "alice", q, 0, 60)
	q["tokens"] = 10_000
	if got := f.s.Remaining("alice", "tokens"); got != 10 {
		t.Errorf("Remaining = %d, want 10", got)
	}
	in, _ := f.s.Bundle("b")
	in.Bundle.Quantities["tokens"] = 1
	in.Used["tokens"] = 99
	if got := f.s.Remaining("alice", "tokens"); got != 10 {
		t.Errorf("Remaining after changing Info = %d, want 10", got)
	}
}
