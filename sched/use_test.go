package sched

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

func TestUse(t *testing.T) {
	tok := func(n int64) bundle.Quantities { return bundle.Quantities{"tokens": n} }
	usage := func(id string, qty, used, limit int64) events.Payload {
		return events.UsageRecorded{BundleID: id, AgentID: "alice", Resource: "tokens", Quantity: qty, Used: used, Limit: limit}
	}
	denied := func(req, avail int64, reason string) events.Payload {
		return events.ServiceDenied{AgentID: "alice", Resource: "tokens", Requested: req, Available: avail, Reason: reason}
	}
	tests := []struct {
		name      string
		setup     func(testing.TB, *fixture)
		agent     string
		resource  string
		qty       int64
		failPub   bool
		wantErr   error
		want      []events.Payload
		wantLeft  int64
		wantDenAv int64 // DeniedError.Available when wantErr is ErrServiceDenied
	}{
		{
			name:  "one bundle",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", tok(100), 0, 60) },
			qty:   30, want: []events.Payload{usage("b", 30, 30, 100)}, wantLeft: 70,
		},
		{
			name:  "whole budget",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", tok(100), 0, 60) },
			qty:   100, want: []events.Payload{usage("b", 100, 100, 100)}, wantLeft: 0,
		},
		{
			name: "earliest-ending first, spanning bundles",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "late", "alice", tok(100), 0, 60)
				f.schedule(tb, "early", "alice", tok(50), 0, 30)
			},
			qty:      80,
			want:     []events.Payload{usage("early", 50, 50, 50), usage("late", 30, 30, 100)},
			wantLeft: 70,
		},
		{
			name: "ties by bundle id",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "y", "alice", tok(10), 0, 60)
				f.schedule(tb, "x", "alice", tok(10), 0, 60)
			},
			qty:      15,
			want:     []events.Payload{usage("x", 10, 10, 10), usage("y", 5, 5, 10)},
			wantLeft: 5,
		},
		{
			name: "exhausted bundle is skipped",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "a", "alice", tok(10), 0, 30)
				f.schedule(tb, "b", "alice", tok(10), 0, 60)
				if err := f.s.Use(tb.Context(), "alice", "tokens", 10); err != nil {
					tb.Fatal(err)
				}
			},
			qty: 4, want: []events.Payload{usage("b", 4, 4, 10)}, wantLeft: 6,
		},
		{
			name: "bundle without the resource is ignored",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "a", "alice", bundle.Quantities{"cpu": 5}, 0, 10)
				f.schedule(tb, "b", "alice", tok(10), 0, 60)
			},
			qty: 4, want: []events.Payload{usage("b", 4, 4, 10)}, wantLeft: 6,
		},
		{
			name:  "active before Advance ran",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", tok(10), 5, 60); f.at(6) },
			qty:   4, want: []events.Payload{usage("b", 4, 4, 10)}, wantLeft: 6,
		},
		{
			name:  "expired before Advance ran",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", tok(10), 0, 60); f.at(60) },
			qty:   4, wantErr: ErrServiceDenied, want: []events.Payload{denied(4, 0, ReasonNoActiveBundle)},
		},
		{
			name:  "beyond the bundle",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", tok(100), 0, 60) },
			qty:   101, wantErr: ErrServiceDenied, want: []events.Payload{denied(101, 100, ReasonExceedsBundle)},
			wantLeft: 100, wantDenAv: 100,
		},
		{
			name: "beyond the sum of bundles",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "a", "alice", tok(10), 0, 60)
				f.schedule(tb, "b", "alice", tok(20), 0, 60)
			},
			qty: 31, wantErr: ErrServiceDenied, want: []events.Payload{denied(31, 30, ReasonExceedsBundle)},
			wantLeft: 30, wantDenAv: 30,
		},
		{
			name: "exhausted",
			setup: func(tb testing.TB, f *fixture) {
				f.schedule(tb, "b", "alice", tok(10), 0, 60)
				if err := f.s.Use(tb.Context(), "alice", "tokens", 10); err != nil {
					tb.Fatal(err)
				}
			},
			qty: 1, wantErr: ErrServiceDenied, want: []events.Payload{denied(1, 0, ReasonExceedsBundle)},
		},
		{
			name: "no bundle", qty: 1, wantErr: ErrServiceDenied,
			want: []events.Payload{denied(1, 0, ReasonNoActiveBundle)},
		},
		{
			name:  "future bundle only",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", tok(10), 10, 60) },
			qty:   1, wantErr: ErrServiceDenied, want: []events.Payload{denied(1, 0, ReasonNoActiveBundle)},
		},
		{
			name:  "another agent's bundle",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "bob", tok(10), 0, 60) },
			qty:   1, wantErr: ErrServiceDenied, want: []events.Payload{denied(1, 0, ReasonNoActiveBundle)},
		},
		{
			name:  "publish fails",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", tok(10), 0, 60) },
			qty:   5, failPub: true, wantErr: errPublish, wantLeft: 10,
		},
		{
			name:  "publish of the denial fails",
			setup: func(tb testing.TB, f *fixture) { f.schedule(tb, "b", "alice", tok(10), 0, 60) },
			qty:   50, failPub: true, wantErr: errPublish, wantLeft: 10, wantDenAv: 10,
		},
		{name: "zero quantity", qty: 0, wantErr: ErrInvalidQuantity},
		{name: "negative quantity", qty: -1, wantErr: ErrInvalidQuantity},
		{name: "os-level resource", resource: "cpu", qty: 1, wantErr: ErrWrongEnforcement},
		{name: "unknown resource", resource: "gpu", qty: 1, wantErr: bundle.ErrUnknownResource},
		{name: "empty agent", agent: "-", qty: 1, wantErr: ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			if tt.setup != nil {
				tt.setup(t, f)
			}
			agent, resource := tt.agent, tt.resource
			switch agent {
			case "":
				agent = "alice"
			case "-":
				agent = ""
			}
			if resource == "" {
				resource = "tokens"
			}
			f.fresh()
			ids := []string{"a", "b", "x", "y", "early", "late"}
			before := f.capture(ids, []string{"alice"})
			f.pub.fail.Store(tt.failPub)
			err := f.s.Use(t.Context(), agent, resource, tt.qty)
			f.pub.fail.Store(false)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Use: err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, payloads(f.fresh()), cmpEmpty); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if got := f.s.Remaining("alice", "tokens"); got != tt.wantLeft {
				t.Errorf("Remaining = %d, want %d", got, tt.wantLeft)
			}
			if tt.wantErr != nil {
				// A denial publishes its event; nothing else changes.
				ignoreSeq := cmpopts.IgnoreFields(state{}, "Sequence")
				if diff := cmp.Diff(before, f.capture(ids, []string{"alice"}), ignoreSeq); diff != "" {
					t.Errorf("failed Use changed state (-before +after):\n%s", diff)
				}
			}
			var de *DeniedError
			if errors.As(err, &de) {
				want := &DeniedError{Agent: "alice", Resource: "tokens", Requested: tt.qty, Available: tt.wantDenAv, Reason: de.Reason}
				if diff := cmp.Diff(want, de); diff != "" {
					t.Errorf("DeniedError (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestUseDeniedAndPublishFails checks that a denial whose event is not
// accepted still reports the denial.
func TestUseDeniedAndPublishFails(t *testing.T) {
	f := newFixture(t, Options{})
	f.pub.fail.Store(true)
	err := f.s.Use(t.Context(), "alice", "tokens", 1)
	if !errors.Is(err, ErrServiceDenied) || !errors.Is(err, errPublish) {
		t.Errorf("Use: err = %v, want both %v and %v", err, ErrServiceDenied, errPublish)
	}
}

func TestRemainingAndActive(t *testing.T) {
	f := newFixture(t, Options{})
	f.schedule(t, "c", "alice", bundle.Quantities{"tokens": 10}, 0, 60)
	f.schedule(t, "a", "alice", bundle.Quantities{"tokens": 5, "cpu": 1}, 0, 30)
	f.schedule(t, "b", "alice", bundle.Quantities{"tokens": 7}, 30, 60)
	f.schedule(t, "d", "bob", bundle.Quantities{"tokens": 100}, 0, 60)
	tests := []struct {
		at         int
		wantActive []string
		wantTokens int64
	}{
		{at: 0, wantActive: []string{"a", "c"}, wantTokens: 15},
		{at: 29, wantActive: []string{"a", "c"}, wantTokens: 15},
		{at: 30, wantActive: []string{"b", "c"}, wantTokens: 17},
		{at: 60, wantActive: []string{"b"}, wantTokens: 7},
		{at: 90, wantActive: nil, wantTokens: 0},
	}
	for _, tt := range tests {
		f.at(tt.at)
		if diff := cmp.Diff(tt.wantActive, f.s.Active("alice")); diff != "" {
			t.Errorf("t0+%ds: Active (-want +got):\n%s", tt.at, diff)
		}
		if got := f.s.Remaining("alice", "tokens"); got != tt.wantTokens {
			t.Errorf("t0+%ds: Remaining tokens = %d, want %d", tt.at, got, tt.wantTokens)
		}
	}
	f.at(0)
	for _, r := range []string{"cpu", "gpu"} {
		if got := f.s.Remaining("alice", r); got != 0 {
			t.Errorf("Remaining(%q) = %d, want 0", r, got)
		}
	}
	if got := f.s.Active("nobody"); len(got) != 0 {
		t.Errorf("Active(nobody) = %v", got)
	}
}
