package sched

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestReport(t *testing.T) {
	cpu := func(n int64) bundle.Quantities { return bundle.Quantities{"cpu": n} }
	advance := func(tb testing.TB, f *fixture) {
		tb.Helper()
		if err := f.s.Advance(tb.Context()); err != nil {
			tb.Fatal(err)
		}
	}
	released := func(id string) events.Payload {
		return events.BundleReleased{BundleID: id, AgentID: "alice", Reason: ReasonTerminated}
	}
	terminated := func(id string, used, limit int64) events.Payload {
		return events.AgentTerminated{AgentID: "alice", BundleID: id, Reason: ReasonExceedsBundle, Resource: "cpu", Used: used, Limit: limit}
	}
	dormant := events.AgentDormant{AgentID: "alice"}
	tests := []struct {
		name       string
		agent      string // "" means alice, "-" the empty id
		setup      func(testing.TB, *fixture)
		exec       Executor
		noExec     bool
		othersCPU  int64 // cpu other agents book from now on
		resource   string
		level      int64
		failPub    bool
		wantErr    error
		want       []events.Payload
		wantCalls  []terminateCall
		wantStates map[string]State
	}{
		{
			name:  "within one bundle",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu(10), 0, 60) },
			level: 7,
			want:  []events.Payload{events.UsageRecorded{BundleID: "b", AgentID: "alice", Resource: "cpu", Quantity: 7, Used: 7, Limit: 10}},
		},
		{
			name: "within the sum of bundles, against the earliest-ending",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "late", "alice", cpu(10), 0, 60)
				f.schedule(tb, "early", "alice", cpu(15), 0, 30)
			},
			level: 25,
			want:  []events.Payload{events.UsageRecorded{BundleID: "early", AgentID: "alice", Resource: "cpu", Quantity: 25, Used: 25, Limit: 25}},
		},
		{
			name: "zero sample with bundles not holding the resource",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", bundle.Quantities{"mem": 10}, 0, 60)
			},
			level: 0,
			want:  []events.Payload{events.UsageRecorded{BundleID: "b", AgentID: "alice", Resource: "cpu", Quantity: 0, Used: 0, Limit: 0}},
		},
		{
			name: "beyond: current and future bundles released",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "now", "alice", cpu(10), 0, 60)
				f.schedule(tb, "mem", "alice", bundle.Quantities{"mem": 100}, 0, 30)
				f.schedule(tb, "later", "alice", cpu(20), 100, 60)
				f.schedule(tb, "other", "bob", cpu(5), 0, 60)
			},
			level:   11,
			wantErr: ErrTerminated,
			want: []events.Payload{terminated("now", 11, 10), released("mem"), released("now"), released("later"),
				dormant},
			wantCalls:  []terminateCall{{"alice", ReasonExceedsBundle}},
			wantStates: map[string]State{"now": Terminated, "mem": Terminated, "later": Terminated, "other": Active},
			othersCPU:  5,
		},
		{
			name:       "no active bundle",
			setup:      func(tb testing.TB, f *fixture) { f.schedule(tb, "later", "alice", cpu(20), 100, 60) },
			level:      0,
			wantErr:    ErrTerminated,
			want:       []events.Payload{terminated("", 0, 0), released("later")},
			wantCalls:  []terminateCall{{"alice", ReasonExceedsBundle}},
			wantStates: map[string]State{"later": Terminated},
		},
		{
			name:      "no bundle at all",
			level:     3,
			wantErr:   ErrTerminated,
			want:      []events.Payload{terminated("", 3, 0)},
			wantCalls: []terminateCall{{"alice", ReasonExceedsBundle}},
		},
		{
			name:       "active before Advance: not awake, no dormant",
			setup:      func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu(10), 5, 60); f.at(6) },
			level:      50,
			wantErr:    ErrTerminated,
			want:       []events.Payload{terminated("b", 50, 10), released("b")},
			wantCalls:  []terminateCall{{"alice", ReasonExceedsBundle}},
			wantStates: map[string]State{"b": Terminated},
		},
		{
			name: "after Advance: dormant",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", cpu(10), 5, 60)
				f.at(6)
				advance(tb, f)
			},
			level:      50,
			wantErr:    ErrTerminated,
			want:       []events.Payload{terminated("b", 50, 10), released("b"), dormant},
			wantCalls:  []terminateCall{{"alice", ReasonExceedsBundle}},
			wantStates: map[string]State{"b": Terminated},
		},
		{
			name:       "no executor",
			noExec:     true,
			setup:      func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu(10), 0, 60) },
			level:      11,
			wantErr:    ErrTerminated,
			want:       []events.Payload{terminated("b", 11, 10), released("b"), dormant},
			wantStates: map[string]State{"b": Terminated},
		},
		{
			name:       "executor fails",
			exec:       &failingExecutor{},
			setup:      func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu(10), 0, 60) },
			level:      11,
			wantErr:    errExecutor,
			wantStates: map[string]State{"b": Active},
		},
		{
			name:       "publish of the termination fails",
			setup:      func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu(10), 0, 60) },
			level:      11,
			failPub:    true,
			wantErr:    errPublish,
			wantCalls:  []terminateCall{{"alice", ReasonExceedsBundle}},
			wantStates: map[string]State{"b": Active},
		},
		{
			name:    "publish of the usage fails",
			setup:   func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", cpu(10), 0, 60) },
			level:   5,
			failPub: true,
			wantErr: errPublish,
		},
		{name: "negative level", level: -1, wantErr: ErrInvalidQuantity},
		{name: "empty agent", agent: "-", level: 1, wantErr: ErrInvalidID},
		{name: "service-level resource", resource: "tokens", level: 1, wantErr: ErrWrongEnforcement},
		{name: "unknown resource", resource: "gpu", level: 1, wantErr: bundle.ErrUnknownResource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{Executor: tt.exec})
			if tt.noExec {
				f.s.exec = nil
			}
			if tt.setup != nil {
				tt.setup(t, f)
			}
			resource := tt.resource
			if resource == "" {
				resource = "cpu"
			}
			f.fresh()
			ids := []string{"b", "now", "mem", "later", "other", "early", "late"}
			before := f.capture(ids, []string{"alice", "bob"})
			f.pub.fail.Store(tt.failPub)
			agent := "alice"
			if tt.agent == "-" {
				agent = ""
			}
			err := f.s.Report(t.Context(), agent, resource, tt.level)
			f.pub.fail.Store(false)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Report: err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, payloads(f.fresh()), cmpEmpty); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, f.exec.Calls(), cmpEmpty); diff != "" {
				t.Errorf("Terminate calls (-want +got):\n%s", diff)
			}
			if fe, ok := tt.exec.(*failingExecutor); ok && fe.calls.Load() != 1 {
				t.Errorf("failing executor called %d times, want 1", fe.calls.Load())
			}
			for id, want := range tt.wantStates {
				if in, _ := f.s.Bundle(id); in.State != want {
					t.Errorf("%s: state %v, want %v", id, in.State, want)
				}
			}
			if tt.wantErr != nil && tt.wantErr != ErrTerminated {
				if diff := cmp.Diff(before, f.capture(ids, []string{"alice", "bob"})); diff != "" {
					t.Errorf("failed Report changed state (-before +after):\n%s", diff)
				}
			}
			if tt.wantErr == ErrTerminated {
				checkTerminated(t, f, "alice", tt.othersCPU)
			}
		})
	}
}

// checkTerminated checks that agent holds no bundle, and that from now on
// the calendar books only othersCPU of cpu.
func checkTerminated(tb testing.TB, f *fixture, agent string, othersCPU int64) {
	tb.Helper()
	if got := f.s.Active(agent); len(got) != 0 {
		tb.Errorf("terminated %s still active in %v", agent, got)
	}
	f.s.mu.Lock()
	held, awake := len(f.s.byAgent[agent]), f.s.awake[agent]
	f.s.mu.Unlock()
	if held != 0 || awake != 0 {
		tb.Errorf("terminated %s holds %d bundles, %d awake", agent, held, awake)
	}
	peak := f.s.Snapshot().Peak(bundle.Window{Start: f.clk.Now(), Duration: 24 * time.Hour})
	if peak["cpu"] != othersCPU || peak["mem"] != 0 {
		tb.Errorf("calendar after termination books %v from now on, want cpu %d", peak, othersCPU)
	}
}
