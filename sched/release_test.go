package sched

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestRelease(t *testing.T) {
	cpu := bundle.Quantities{"cpu": 100}
	released := func(id string) events.Payload {
		return events.BundleReleased{BundleID: id, AgentID: "alice", Reason: ReasonReleased}
	}
	dormant := events.AgentDormant{AgentID: "alice"}
	tests := []struct {
		name        string
		setup       func(testing.TB, *fixture)
		now         time.Duration // after t0
		id          string
		failPub     bool
		wantErr     error
		want        []events.Payload
		wantUnused  int64
		wantTotal   int64
		wantFreeCPU int64 // from now on
	}{
		{
			name:  "last active bundle",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu, 0, 60) },
			now:   20 * time.Second, id: "b",
			want:       []events.Payload{released("b"), dormant},
			wantUnused: 40, wantTotal: 60, wantFreeCPU: 100,
		},
		{
			name: "another bundle still active",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", bundle.Quantities{"cpu": 50}, 0, 60)
				f.schedule(tb, "c", "alice", bundle.Quantities{"cpu": 50}, 0, 60)
			},
			now: 20 * time.Second, id: "b",
			want:       []events.Payload{released("b")},
			wantUnused: 40, wantTotal: 60, wantFreeCPU: 50,
		},
		{
			name:  "unused time rounds down",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu, 0, 60) },
			now:   20*time.Second + 300*time.Millisecond, id: "b",
			want:       []events.Payload{released("b"), dormant},
			wantUnused: 39, wantTotal: 60, wantFreeCPU: 100,
		},
		{
			name:  "future bundle",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu, 30, 60) },
			now:   10 * time.Second, id: "b",
			want:       []events.Payload{released("b")},
			wantUnused: 60, wantTotal: 60, wantFreeCPU: 100,
		},
		{
			name:  "window contains now, Advance not run: not awake",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu, 5, 60) },
			now:   10 * time.Second, id: "b",
			want:       []events.Payload{released("b")},
			wantUnused: 55, wantTotal: 60, wantFreeCPU: 100,
		},
		{name: "unknown", id: "nope", wantErr: ErrUnknownBundle, wantFreeCPU: 100},
		{name: "empty id", id: "", wantErr: ErrUnknownBundle, wantFreeCPU: 100},
		{
			name: "already released",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", cpu, 0, 60)
				if _, _, err := f.s.Release(tb.Context(), "b"); err != nil {
					tb.Fatal(err)
				}
			},
			id: "b", wantErr: ErrWindowEnded, wantFreeCPU: 100,
		},
		{
			name:  "ended, Advance not run",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu, 0, 60) },
			now:   60 * time.Second, id: "b", wantErr: ErrWindowEnded, wantFreeCPU: 100,
		},
		{
			name: "expired",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", cpu, 0, 60)
				f.at(60)
				if err := f.s.Advance(tb.Context()); err != nil {
					tb.Fatal(err)
				}
			},
			now: 60 * time.Second, id: "b", wantErr: ErrWindowEnded, wantFreeCPU: 100,
		},
		{
			name:  "publish fails",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu, 0, 60) },
			now:   20 * time.Second, id: "b", failPub: true, wantErr: errPublish, wantFreeCPU: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			if tt.setup != nil {
				tt.setup(t, f)
			}
			f.clk.Set(t0.Add(tt.now))
			f.fresh()
			ids := []string{"b", "c"}
			before := f.capture(ids, []string{"alice"})
			f.pub.fail.Store(tt.failPub)
			unused, total, err := f.s.Release(t.Context(), tt.id)
			f.pub.fail.Store(false)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Release: err = %v, want %v", err, tt.wantErr)
			}
			if unused != tt.wantUnused || total != tt.wantTotal {
				t.Errorf("Release = %d, %d, want %d, %d", unused, total, tt.wantUnused, tt.wantTotal)
			}
			if diff := cmp.Diff(tt.want, payloads(f.fresh()), cmpEmpty); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			free := f.s.Snapshot().Free(bundle.Window{Start: f.clk.Now(), Duration: time.Hour})
			if free["cpu"] != tt.wantFreeCPU {
				t.Errorf("cpu free from now on = %d, want %d", free["cpu"], tt.wantFreeCPU)
			}
			if tt.wantErr != nil {
				if diff := cmp.Diff(before, f.capture(ids, []string{"alice"})); diff != "" {
					t.Errorf("failed Release changed state (-before +after):\n%s", diff)
				}
				return
			}
			if in, _ := f.s.Bundle(tt.id); in.State != Released {
				t.Errorf("state %v, want released", in.State)
			}
			if got := f.s.Active("alice"); len(got) > 0 && got[0] == tt.id {
				t.Errorf("released bundle still active: %v", got)
			}
		})
	}
}

// TestRetention checks that finished bundles are remembered until
// MaxBundles more have finished.
func TestRetention(t *testing.T) {
	f := newFixture(t, Options{MaxBundles: 2})
	f.at(1)
	for _, id := range []string{"a", "b", "c"} {
		f.schedule(t, id, "alice", bundle.Quantities{"cpu": 1}, 0, 60)
		if _, _, err := f.s.Release(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, id := range []string{"a", "b", "c"} {
		if _, ok := f.s.Bundle(id); ok {
			got = append(got, id)
		}
	}
	if diff := cmp.Diff([]string{"b", "c"}, got); diff != "" {
		t.Errorf("remembered (-want +got):\n%s", diff)
	}
	// The tails of the released bookings were pruned when they outnumbered
	// MaxBundles, so the forgotten id can be booked again.
	if n := f.s.Snapshot().Len(); n != 0 {
		t.Errorf("calendar holds %d bookings, want 0", n)
	}
	if err := f.s.Schedule(t.Context(), "a", "bob", "", mkBundle(bundle.Quantities{"cpu": 1}, 0, 60)); err != nil {
		t.Errorf("Schedule(a) after it was forgotten: %v", err)
	}
	if err := f.s.Schedule(t.Context(), "b", "bob", "", mkBundle(bundle.Quantities{"cpu": 1}, 0, 60)); !errors.Is(err, ErrDuplicateBundle) {
		t.Errorf("Schedule(b), remembered: err = %v, want %v", err, ErrDuplicateBundle)
	}
}
