package natstransport_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

func TestReadAll(t *testing.T) {
	_, tr := startOpen(t)
	ctx := context.Background()
	if got, err := tr.ReadAll(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ReadAll of an empty stream = %v, %v", got, err)
	}
	want := agentEvents(25, events.SourceAgent, "readall", t0)
	publish(t, tr, want...)
	got, err := tr.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
		t.Errorf("ReadAll (-want +got):\n%s", diff)
	}
}

// ids returns the ids of evs.
func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestReadFrom(t *testing.T) {
	_, tr := startOpen(t)
	ctx := context.Background()
	if last, err := tr.LastSequence(ctx); err != nil || last != 0 {
		t.Fatalf("LastSequence of an empty stream = %d, %v", last, err)
	}
	if got, last, err := tr.ReadFrom(ctx, 3); err != nil || len(got) != 0 || last != 0 {
		t.Fatalf("ReadFrom(3) of an empty stream = %v, %d, %v", got, last, err)
	}
	want := agentEvents(12, events.SourceAgent, "readfrom", t0)
	publish(t, tr, want[:5]...)
	publish(t, tr, want[5:]...)
	if last, err := tr.LastSequence(ctx); err != nil || last != 12 {
		t.Fatalf("LastSequence = %d, %v; want 12", last, err)
	}
	for _, from := range []uint64{0, 1, 2, 7, 12, 13, 100} {
		got, last, err := tr.ReadFrom(ctx, from)
		if err != nil {
			t.Fatalf("ReadFrom(%d): %v", from, err)
		}
		first := min(max(from, 1)-1, 12)
		if diff := cmp.Diff(ids(want[first:]), ids(got)); diff != "" || last != 12 {
			t.Errorf("ReadFrom(%d): last %d, events (-want +got):\n%s", from, last, diff)
		}
	}
}

// TestReadFromGivesTheWriterItsPlace checks that a ReadFrom through a
// writer whose publish failed tells it where its stream stands, as ReadAll
// does: a pipelined writer refused after another writer wrote publishes
// again after reading the tail, exactly after it.
func TestReadFromGivesTheWriterItsPlace(t *testing.T) {
	srv, tr := startOpen(t)
	ctx := context.Background()
	evs := agentEvents(8, events.SourceMarket, "place", t0)
	publish(t, tr, evs[:3]...)
	other := open(t, srv.URL(), natstransport.Options{})
	publish(t, other, evs[3:5]...) // the stream moves on behind tr's back

	if err := <-tr.PublishAsync(ctx, evs[5]); !errors.Is(err, natstransport.ErrConflict) {
		t.Fatalf("PublishAsync behind another writer = %v, want ErrConflict", err)
	}
	if err := <-tr.PublishAsync(ctx, evs[5]); !errors.Is(err, natstransport.ErrConflict) {
		t.Fatalf("PublishAsync before a read = %v, want ErrConflict", err)
	}
	if _, known := tr.Position(); known {
		t.Fatal("the writer knows its position after a conflict")
	}
	// LastSequence reads no event: the writer still has to read.
	if last, err := tr.LastSequence(ctx); err != nil || last != 5 {
		t.Fatalf("LastSequence = %d, %v", last, err)
	}
	if err := <-tr.PublishAsync(ctx, evs[5]); !errors.Is(err, natstransport.ErrConflict) {
		t.Fatalf("PublishAsync after LastSequence = %v, want ErrConflict", err)
	}

	tail, last, err := tr.ReadFrom(ctx, 4) // the tail after a snapshot at 3
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(evs[3:5]), ids(tail)); diff != "" || last != 5 {
		t.Fatalf("ReadFrom(4): last %d, events (-want +got):\n%s", last, diff)
	}
	if pos, known := tr.Position(); !known || pos != 5 {
		t.Fatalf("Position after ReadFrom = %d, %t; want 5, true", pos, known)
	}
	for _, e := range evs[5:] {
		if err := <-tr.PublishAsync(ctx, e); err != nil {
			t.Fatalf("PublishAsync after ReadFrom: %v", err)
		}
	}
	got, err := tr.ReadAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(evs), ids(got)); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}

	// A from beyond the last also gives the writer its place.
	publish(t, other, agentEvents(1, events.SourceJudge, "place", t0)...)
	if err := <-tr.PublishAsync(ctx, agentEvents(1, events.SourceLedger, "place", t0)...); !errors.Is(err, natstransport.ErrConflict) {
		t.Fatalf("PublishAsync behind another writer = %v, want ErrConflict", err)
	}
	if tail, last, err := tr.ReadFrom(ctx, 100); err != nil || len(tail) != 0 || last != 9 {
		t.Fatalf("ReadFrom(100) = %d events, %d, %v; want none, 9", len(tail), last, err)
	}
	if pos, known := tr.Position(); !known || pos != 9 {
		t.Fatalf("Position after ReadFrom beyond the last = %d, %t; want 9, true", pos, known)
	}
}

// TestReadFromNotHeld reads a stream whose first events were purged (a
// stream configured by an operator without DenyPurge): a tail that starts
// before its first event fails with ErrNotHeld; a read from the start
// reads what it holds.
func TestReadFromNotHeld(t *testing.T) {
	srv := natstest.StartServer(t)
	ctx := context.Background()
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PURGED", Subjects: natstransport.StreamSubjects("p")})
	if err != nil {
		t.Fatal(err)
	}
	evs := agentEvents(6, events.SourceLedger, "purged", t0)
	for _, e := range evs {
		data, err := events.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(ctx, natstransport.Subject("p", e), data); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Purge(ctx, jetstream.WithPurgeSequence(4)); err != nil { // 1 to 3
		t.Fatal(err)
	}
	tr := open(t, srv.URL(), natstransport.Options{Stream: "PURGED", ReadOnly: true})
	for _, from := range []uint64{2, 3} {
		if _, _, err := tr.ReadFrom(ctx, from); !errors.Is(err, natstransport.ErrNotHeld) {
			t.Errorf("ReadFrom(%d) = %v, want ErrNotHeld", from, err)
		}
	}
	for _, from := range []uint64{0, 1, 4} {
		got, last, err := tr.ReadFrom(ctx, from)
		if err != nil || last != 6 {
			t.Fatalf("ReadFrom(%d) = %d, %v", from, last, err)
		}
		if diff := cmp.Diff(ids(evs[3:]), ids(got)); diff != "" {
			t.Errorf("ReadFrom(%d) (-want +got):\n%s", from, diff)
		}
	}
}

func TestReadClosed(t *testing.T) {
	_, tr := startOpen(t)
	publish(t, tr, agentEvents(2, events.SourceAgent, "closed", t0)...)
	tr.Close()
	ctx := context.Background()
	if _, err := tr.ReadAll(ctx); !errors.Is(err, events.ErrClosed) {
		t.Errorf("ReadAll after Close = %v", err)
	}
	if _, _, err := tr.ReadFrom(ctx, 1); !errors.Is(err, events.ErrClosed) {
		t.Errorf("ReadFrom after Close = %v", err)
	}
	if _, err := tr.LastSequence(ctx); !errors.Is(err, events.ErrClosed) {
		t.Errorf("LastSequence after Close = %v", err)
	}
}
