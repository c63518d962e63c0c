package sched

import (
	"errors"
	"testing"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestNew(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name    string
		catalog *bundle.Catalog
		opts    Options
		wantErr error
		wantMax int
	}{
		{name: "zero options", catalog: cat, wantMax: DefaultMaxBundles},
		{name: "max bundles", catalog: cat, opts: Options{MaxBundles: 7}, wantMax: 7},
		{name: "negative max bundles", catalog: cat, opts: Options{MaxBundles: -1}, wantErr: ErrInvalidOptions},
		{name: "nil catalog", wantErr: ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.catalog, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New: err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if s.max != tt.wantMax {
				t.Errorf("max = %d, want %d", s.max, tt.wantMax)
			}
			if s.pub == nil || s.clock == nil {
				t.Errorf("publisher %v, clock %v: want defaults", s.pub, s.clock)
			}
			if _, real := s.clock.(*clock.Mock); real {
				t.Errorf("default clock is a mock")
			}
		})
	}
}

func TestStateString(t *testing.T) {
	got := []string{Scheduled.String(), Active.String(), Expired.String(), Released.String(), Terminated.String(), State(42).String()}
	want := []string{"scheduled", "active", "expired", "released", "terminated", "State(42)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("State.String (-want +got):\n%s", diff)
	}
}

func TestDeniedError(t *testing.T) {
	var err error = &DeniedError{Agent: "a", Resource: "tokens", Requested: 5, Available: 2, Reason: ReasonExceedsBundle}
	if !errors.Is(err, ErrServiceDenied) {
		t.Errorf("errors.Is(%v, ErrServiceDenied) = false", err)
	}
	if errors.Is(err, ErrTerminated) {
		t.Errorf("errors.Is(%v, ErrTerminated) = true", err)
	}
	want := `sched: service denied: agent "a" requested 5 tokens, 2 available (exceeds_bundle)`
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestLifecycle follows two bundles of one agent through activation and
// expiry on a mock clock.
func TestLifecycle(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	f.schedule(t, "b1", "alice", bundle.Quantities{"cpu": 10}, 10, 20) // [10, 30)
	f.schedule(t, "b2", "alice", bundle.Quantities{"tokens": 100}, 15, 30)
	steps := []struct {
		name string
		at   int
		want []pair
		next int // seconds after t0 of Next; -1 for none
	}{
		{name: "before start", at: 5, want: nil, next: 10},
		{name: "first start", at: 10, want: []pair{{events.TypeBundleActivated, "alice"}, {events.TypeAgentAwake, "alice"}}, next: 15},
		{name: "idempotent", at: 10, want: nil, next: 15},
		{name: "second start", at: 15, want: []pair{{events.TypeBundleActivated, "alice"}}, next: 30},
		{name: "first expiry", at: 30, want: []pair{{events.TypeBundleExpired, "alice"}}, next: 45},
		{name: "last expiry", at: 45, want: []pair{{events.TypeBundleExpired, "alice"}, {events.TypeAgentDormant, "alice"}}, next: -1},
		{name: "after all", at: 100, want: nil, next: -1},
	}
	want := []pair{{events.TypeBundleScheduled, "alice"}, {events.TypeBundleScheduled, "alice"}}
	if diff := cmp.Diff(want, pairs(f.fresh())); diff != "" {
		t.Fatalf("scheduling events (-want +got):\n%s", diff)
	}
	for _, st := range steps {
		f.at(st.at)
		if err := f.s.Advance(ctx); err != nil {
			t.Fatalf("%s: Advance: %v", st.name, err)
		}
		if diff := cmp.Diff(st.want, pairs(f.fresh()), cmpEmpty); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", st.name, diff)
		}
		next, ok := f.s.Next()
		switch {
		case st.next < 0 && ok:
			t.Errorf("%s: Next = %v, want none", st.name, next)
		case st.next >= 0 && (!ok || !next.Equal(t0.Add(sec(st.next)))):
			t.Errorf("%s: Next = %v, %v, want t0+%ds", st.name, next, ok, st.next)
		}
	}
	for _, id := range []string{"b1", "b2"} {
		if in, _ := f.s.Bundle(id); in.State != Expired {
			t.Errorf("%s: state %v, want expired", id, in.State)
		}
	}
	if n := f.s.Snapshot().Len(); n != 0 {
		t.Errorf("calendar holds %d bookings after expiry, want 0", n)
	}
}
