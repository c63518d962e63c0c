package transporttest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scarcitylabs/scarcity/events"
)

// testRead (only for a transport that is an events.Reader): ReadAll returns
// every event of the stream in order, none of an empty stream. For an
// events.TailReader also: LastSequence is 0 on an empty stream, then the
// number of events held; ReadFrom(from) returns the events from from (0
// meaning 1) and the last sequence, no events for a from beyond the last,
// and the same events as ReadAll from 1; and neither retains what it
// returned (a caller may change it).
func testRead(t *testing.T, s suite) {
	tr := s.open(t)
	r, ok := tr.(events.Reader)
	if !ok {
		t.Skip("the transport is not an events.Reader")
	}
	ctx, cancel := context.WithTimeout(t.Context(), s.timeout)
	defer cancel()
	tail, _ := tr.(events.TailReader)

	readAll := func(what string, want []events.Event) {
		t.Helper()
		got, err := r.ReadAll(ctx)
		if err != nil {
			t.Fatalf("%s: ReadAll: %v", what, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: ReadAll (-want +got):\n%s", what, diff)
		}
	}
	lastSequence := func(what string, want uint64) {
		t.Helper()
		if got, err := tail.LastSequence(ctx); err != nil || got != want {
			t.Errorf("%s: LastSequence = %d, %v; want %d", what, got, err, want)
		}
	}
	readFrom := func(what string, from uint64, want []events.Event, wantLast uint64) []events.Event {
		t.Helper()
		got, last, err := tail.ReadFrom(ctx, from)
		if err != nil {
			t.Fatalf("%s: ReadFrom(%d): %v", what, from, err)
		}
		if last != wantLast {
			t.Errorf("%s: ReadFrom(%d) last = %d, want %d", what, from, last, wantLast)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: ReadFrom(%d) (-want +got):\n%s", what, from, diff)
		}
		return got
	}

	readAll("an empty stream", nil)
	if tail != nil {
		lastSequence("an empty stream", 0)
		readFrom("an empty stream", 0, nil, 0)
		readFrom("an empty stream", 1, nil, 0)
		readFrom("an empty stream", 5, nil, 0)
	}

	evs := NewGenerator(events.SourceMarket, "read").Next(10)
	s.publish(t, tr, evs[:4]...)
	s.publish(t, tr, evs[4:]...)
	readAll("ten events", evs)
	if tail == nil {
		return
	}
	lastSequence("ten events", 10)
	for _, c := range []struct {
		from  uint64
		first int // index in evs of the first event returned
	}{{0, 0}, {1, 0}, {2, 1}, {4, 3}, {10, 9}, {11, 10}, {12, 10}, {1 << 40, 10}} {
		readFrom("ten events", c.from, evs[c.first:], 10)
	}
	got := readFrom("ten events, then changed by the caller", 7, evs[6:], 10)
	for i := range got {
		got[i] = events.Event{ID: "changed-by-the-caller"}
	}
	readFrom("ten events, after the caller changed a read", 7, evs[6:], 10)

	more := NewGenerator(events.SourceLedger, "read").Next(3)
	s.publish(t, tr, more...)
	lastSequence("thirteen events", 13)
	readFrom("the events published since a read", 11, more, 13)
	readAll("thirteen events", append(evs, more...))
}
