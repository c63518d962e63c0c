package sched

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// reserveFixture holds, for a0, bundle "early" of 30 units of llm_spend
// ending at 20 s and "late" of 50 ending at 40 s.
func reserveFixture(t *testing.T) *fixture {
	t.Helper()
	f := newSpendFixture(t, Options{})
	f.schedule(t, "early", "a0", bundle.Quantities{"llm_spend": 30, "tokens": 500}, 0, 20)
	f.schedule(t, "late", "a0", bundle.Quantities{"llm_spend": 50}, 0, 40)
	f.fresh()
	return f
}

func (f *fixture) used(id, resource string) int64 {
	in, _ := f.s.Bundle(id)
	return in.Used[resource]
}

func TestReserveCommit(t *testing.T) {
	tests := []struct {
		name               string
		actual             int64
		early, late        int64 // used after the commit
		recorded           []events.Payload
		spentAfter, idleAt int64
	}{
		{"part of the first hold", 20, 20, 0, []events.Payload{
			events.UsageRecorded{BundleID: "early", AgentID: "a0", Resource: "llm_spend", Quantity: 20, Used: 20, Limit: 30},
		}, 20, 0},
		{"spans both holds", 40, 30, 10, []events.Payload{
			events.UsageRecorded{BundleID: "early", AgentID: "a0", Resource: "llm_spend", Quantity: 30, Used: 30, Limit: 30},
			events.UsageRecorded{BundleID: "late", AgentID: "a0", Resource: "llm_spend", Quantity: 10, Used: 10, Limit: 50},
		}, 40, 0},
		{"all of it", 45, 30, 15, []events.Payload{
			events.UsageRecorded{BundleID: "early", AgentID: "a0", Resource: "llm_spend", Quantity: 30, Used: 30, Limit: 30},
			events.UsageRecorded{BundleID: "late", AgentID: "a0", Resource: "llm_spend", Quantity: 15, Used: 15, Limit: 50},
		}, 45, 0},
		{"nothing", 0, 0, 0, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := reserveFixture(t)
			f.at(1)
			id, err := f.s.Reserve(t.Context(), "a0", "llm_spend", 45, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			wantReserved := []events.Payload{events.UsageReserved{ReservationID: id, AgentID: "a0", Resource: "llm_spend",
				Quantity: 45, Holds: []events.ReservedHold{{BundleID: "early", Quantity: 30}, {BundleID: "late", Quantity: 15}}, ExpiresAt: t0.Add(sec(6))}}
			if diff := cmp.Diff(wantReserved, payloads(f.fresh())); diff != "" {
				t.Fatalf("Reserve events (-want +got):\n%s", diff)
			}
			if left := f.s.Remaining("a0", "llm_spend"); left != 35 {
				t.Errorf("Remaining after reserving 45 of 80 = %d", left)
			}
			if st, _ := f.s.Spend(); st.Reserved != 45 || st.Spent != 0 {
				t.Errorf("Spend after reserving = %+v", st)
			}
			f.at(3)
			if err := f.s.Commit(t.Context(), id, tt.actual); err != nil {
				t.Fatal(err)
			}
			want := append(tt.recorded, events.ReservationReleased{ReservationID: id, AgentID: "a0", Resource: "llm_spend",
				Reserved: 45, Committed: tt.actual, Returned: 45 - tt.actual, Reason: ReasonCommitted})
			if diff := cmp.Diff(want, payloads(f.fresh())); diff != "" {
				t.Errorf("Commit events (-want +got):\n%s", diff)
			}
			if e, l := f.used("early", "llm_spend"), f.used("late", "llm_spend"); e != tt.early || l != tt.late {
				t.Errorf("used early %d late %d, want %d %d", e, l, tt.early, tt.late)
			}
			if st, _ := f.s.Spend(); st.Reserved != 0 || st.Spent != tt.spentAfter {
				t.Errorf("Spend after commit = %+v", st)
			}
			// The spend counts from the commit, at 3 s, until 13 s.
			f.at(12)
			if st, _ := f.s.Spend(); st.Spent != tt.spentAfter {
				t.Errorf("Spend at 12 s = %+v", st)
			}
			f.at(13)
			if st, _ := f.s.Spend(); st.Spent != 0 {
				t.Errorf("Spend at 13 s = %+v", st)
			}
			if err := f.s.Commit(t.Context(), id, 0); !errors.Is(err, ErrUnknownReservation) {
				t.Errorf("second Commit: %v", err)
			}
		})
	}
}

func TestReserveCancelAndLapse(t *testing.T) {
	f := reserveFixture(t)
	a, err := f.s.Reserve(t.Context(), "a0", "llm_spend", 40, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.s.Reserve(t.Context(), "a0", "tokens", 100, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := f.s.NextLapse(); !ok || !at.Equal(t0.Add(sec(2))) {
		t.Errorf("NextLapse = %v, %v", at, ok)
	}
	f.fresh()
	if err := f.s.Cancel(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if left, st := f.s.Remaining("a0", "llm_spend"), f.spendState(); left != 80 || st.Reserved != 0 || st.Spent != 0 {
		t.Errorf("after Cancel: %d left, %+v", left, st)
	}
	if err := f.s.Cancel(t.Context(), a); !errors.Is(err, ErrUnknownReservation) {
		t.Errorf("second Cancel: %v", err)
	}
	f.at(2)
	if err := f.s.Commit(t.Context(), b, 1); !errors.Is(err, ErrReservationLapsed) {
		t.Errorf("Commit at expiry: %v", err)
	}
	if left := f.s.Remaining("a0", "tokens"); left != 400 {
		t.Errorf("lapsed but not advanced: %d tokens left, want 400 still held", left)
	}
	if err := f.s.Advance(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []events.Payload{
		events.ReservationReleased{ReservationID: a, AgentID: "a0", Resource: "llm_spend", Reserved: 40, Returned: 40, Reason: ReasonCancelled},
		events.ReservationReleased{ReservationID: b, AgentID: "a0", Resource: "tokens", Reserved: 100, Returned: 100, Reason: ReasonLapsed},
	}
	if diff := cmp.Diff(want, payloads(f.fresh())); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if left := f.s.Remaining("a0", "tokens"); left != 500 {
		t.Errorf("after lapse: %d tokens left", left)
	}
	if _, ok := f.s.NextLapse(); ok {
		t.Errorf("NextLapse after every reservation ended")
	}
	if err := f.s.Cancel(t.Context(), b); !errors.Is(err, ErrUnknownReservation) {
		t.Errorf("Cancel after lapse: %v", err)
	}
}

func TestReserveErrors(t *testing.T) {
	f := reserveFixture(t)
	id, err := f.s.Reserve(t.Context(), "a0", "llm_spend", 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	f.fresh()
	before, spend := f.capture([]string{"early", "late"}, []string{"a0"}), f.spendState()
	tests := []struct {
		name string
		run  func() error
		err  error
	}{
		{"over-commit", func() error { return f.s.Commit(t.Context(), id, 11) }, ErrOverCommit},
		{"negative commit", func() error { return f.s.Commit(t.Context(), id, -1) }, ErrInvalidQuantity},
		{"unknown commit", func() error { return f.s.Commit(t.Context(), "nope", 1) }, ErrUnknownReservation},
		{"unknown cancel", func() error { return f.s.Cancel(t.Context(), "nope") }, ErrUnknownReservation},
		{"zero ttl", reserveErr(f, "a0", "llm_spend", 1, 0), ErrInvalidQuantity},
		{"long ttl", reserveErr(f, "a0", "llm_spend", 1, MaxReservationTTL+1), ErrInvalidQuantity},
		{"zero quantity", reserveErr(f, "a0", "llm_spend", 0, time.Second), ErrInvalidQuantity},
		{"empty agent", reserveErr(f, "", "llm_spend", 1, time.Second), ErrInvalidID},
		{"OS-level", reserveErr(f, "a0", "cpu", 1, time.Second), ErrWrongEnforcement},
		{"unknown resource", reserveErr(f, "a0", "gold", 1, time.Second), bundle.ErrUnknownResource},
	}
	for _, tt := range tests {
		if err := tt.run(); !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
	}
	if diff := cmp.Diff(before, f.capture([]string{"early", "late"}, []string{"a0"})); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(spend, f.spendState()); diff != "" || len(f.fresh()) != 0 {
		t.Errorf("spend changed (-before +after):\n%s", diff)
	}
}

func reserveErr(f *fixture, agent, resource string, qty int64, ttl time.Duration) func() error {
	return func() error {
		_, err := f.s.Reserve(context_(), agent, resource, qty, ttl)
		return err
	}
}

func TestReserveDenied(t *testing.T) {
	f := newSpendFixture(t, Options{})
	f.schedule(t, "first", "a0", bundle.Quantities{"llm_spend": 100}, 0, 5)
	f.schedule(t, "second", "a0", bundle.Quantities{"llm_spend": 100}, 5, 10)
	if err := f.s.Use(t.Context(), "a0", "llm_spend", 60); err != nil {
		t.Fatal(err)
	}
	f.at(5)
	if _, err := f.s.Reserve(t.Context(), "a0", "llm_spend", 30, time.Second); err != nil {
		t.Fatal(err)
	}
	f.fresh()
	before, spend := f.capture([]string{"first", "second"}, []string{"a0", "a1"}), f.spendState()
	_, err := f.s.Reserve(t.Context(), "a0", "llm_spend", 11, time.Second)
	var se *SpendLimitError
	if !errors.As(err, &se) || se.Spent != 60 || se.Reserved != 30 || !se.FreesAt.Equal(t0.Add(sec(10))) {
		t.Fatalf("Reserve beyond the window: %v (%+v)", err, se)
	}
	if evs := f.fresh(); len(evs) != 1 || evs[0].Type != events.TypeSpendLimitReached {
		t.Errorf("denial published %v", evs)
	}
	_, err = f.s.Reserve(t.Context(), "a1", "llm_spend", 1, time.Second)
	var de *DeniedError
	if !errors.As(err, &de) || de.Reason != ReasonNoActiveBundle {
		t.Fatalf("Reserve without a bundle: %v", err)
	}
	if evs := f.fresh(); len(evs) != 1 || evs[0].Type != events.TypeServiceDenied {
		t.Errorf("denial published %v", evs)
	}
	if diff := cmp.Diff(before, f.capture([]string{"first", "second"}, []string{"a0", "a1"}), cmpSeqIgnored); diff != "" {
		t.Errorf("denied Reserve changed state (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(spend, f.spendState()); diff != "" {
		t.Errorf("denied Reserve changed spend (-before +after):\n%s", diff)
	}
}

func TestReserveMax(t *testing.T) {
	f := newSpendFixture(t, Options{MaxReservations: 2})
	f.schedule(t, "b", "a0", bundle.Quantities{"tokens": 100}, 0, 10)
	for range 2 {
		if _, err := f.s.Reserve(t.Context(), "a0", "tokens", 1, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.Reserve(t.Context(), "a0", "tokens", 1, time.Second); !errors.Is(err, ErrTooManyReservations) {
		t.Errorf("third Reserve: %v", err)
	}
}

func TestReservePublishFailure(t *testing.T) {
	f := reserveFixture(t)
	keep, err := f.s.Reserve(t.Context(), "a0", "llm_spend", 10, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"reserve": reserveErr(f, "a0", "llm_spend", 5, time.Second),
		"commit":  func() error { return f.s.Commit(t.Context(), keep, 5) },
		"cancel":  func() error { return f.s.Cancel(t.Context(), keep) },
		"lapse": func() error {
			f.at(1)
			defer f.at(0)
			return f.s.Advance(t.Context())
		},
	}
	for name, op := range ops {
		f.fresh()
		before, spend := f.capture([]string{"early", "late"}, []string{"a0"}), f.spendState()
		f.pub.fail.Store(true)
		err := op()
		f.pub.fail.Store(false)
		if !errors.Is(err, errPublish) {
			t.Errorf("%s: err = %v, want the publish error", name, err)
		}
		if diff := cmp.Diff(before, f.capture([]string{"early", "late"}, []string{"a0"})); diff != "" {
			t.Errorf("%s changed state (-before +after):\n%s", name, diff)
		}
		if diff := cmp.Diff(spend, f.spendState()); diff != "" || len(f.fresh()) != 0 {
			t.Errorf("%s changed spend (-before +after):\n%s", name, diff)
		}
	}
}

// TestReservationEndsWithItsBundle checks that a reservation never outlives
// the bundles it draws from: it expires when the first of them ends, and a
// bundle released early ends it in the release's batch.
func TestReservationEndsWithItsBundle(t *testing.T) {
	t.Run("expiry", func(t *testing.T) {
		f := reserveFixture(t)
		f.at(1)
		id, err := f.s.Reserve(t.Context(), "a0", "llm_spend", 45, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.fresh()[0].Data.(events.UsageReserved).ExpiresAt; !got.Equal(t0.Add(sec(20))) {
			t.Fatalf("expires at %v, want the end of bundle early", got)
		}
		f.at(20)
		if err := f.s.Commit(t.Context(), id, 10); !errors.Is(err, ErrReservationLapsed) {
			t.Fatalf("Commit at the bundle's end = %v, want ErrReservationLapsed", err)
		}
		if err := f.s.Advance(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := f.used("late", "llm_spend"); got != 0 {
			t.Fatalf("late still holds %d", got)
		}
	})
	t.Run("release", func(t *testing.T) {
		f := reserveFixture(t)
		f.at(1)
		if err := f.s.Advance(t.Context()); err != nil {
			t.Fatal(err)
		}
		id, err := f.s.Reserve(t.Context(), "a0", "llm_spend", 45, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		f.fresh()
		if _, _, err := f.s.Release(t.Context(), "late"); err != nil {
			t.Fatal(err)
		}
		want := []events.Payload{
			events.BundleReleased{BundleID: "late", AgentID: "a0", Reason: ReasonReleased},
			events.ReservationReleased{ReservationID: id, AgentID: "a0", Resource: "llm_spend", Reserved: 45, Returned: 45, Reason: ReasonBundleEnded},
		}
		if diff := cmp.Diff(want, payloads(f.fresh())); diff != "" {
			t.Fatalf("release (-want +got):\n%s", diff)
		}
		if err := f.s.Commit(t.Context(), id, 10); !errors.Is(err, ErrUnknownReservation) {
			t.Fatalf("Commit after the release = %v, want ErrUnknownReservation", err)
		}
		if got := f.used("early", "llm_spend"); got != 0 {
			t.Fatalf("early still holds %d", got)
		}
		if st, _ := f.s.Spend(); st.Reserved != 0 {
			t.Fatalf("spend window still reserves %d", st.Reserved)
		}
	})
}
