package events_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

// seqs returns the sequences of evs.
func seqs(evs []events.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Sequence
	}
	return out
}

func TestSequencerGapFreeAcrossBatches(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	s := events.NewSequencer(events.SourceLedger, "run-1", 0)
	for i, n := range []int{2, 1, 3} {
		b := s.Batch(t0.Add(time.Duration(i) * time.Second))
		for range n {
			b.Add("alice", events.AgentAwake{AgentID: "alice"})
		}
		if b.Len() != n {
			t.Fatalf("Len = %d, want %d", b.Len(), n)
		}
		if err := b.Publish(ctx, rec); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	got := rec.events()
	if diff := cmp.Diff([]uint64{1, 2, 3, 4, 5, 6}, seqs(got)); diff != "" {
		t.Errorf("sequences (-want +got):\n%s", diff)
	}
	if s.Last() != 6 {
		t.Errorf("Last = %d, want 6", s.Last())
	}
	for _, e := range got {
		if e.Source != events.SourceLedger || e.Correlation != "run-1" || e.Schema != events.SchemaVersion {
			t.Errorf("event %v: source %q correlation %q schema %d", e, e.Source, e.Correlation, e.Schema)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("stamped event invalid: %v", err)
		}
	}
}

func TestSequencerFailedPublishDoesNotAdvance(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("transport down")
	rec := &recorder{fail: boom}
	s := events.NewSequencer(events.SourceMarket, "", 10)
	b := s.Batch(t0)
	b.Add("a1", events.AgentAwake{AgentID: "a1"})
	b.Add("a1", events.AgentDormant{AgentID: "a1"})
	if err := b.Publish(ctx, rec); !errors.Is(err, boom) {
		t.Fatalf("Publish error = %v, want %v", err, boom)
	}
	if s.Last() != 10 {
		t.Fatalf("Last after failed publish = %d, want 10", s.Last())
	}
	rec.fail = nil
	b2 := s.Batch(t0)
	e := b2.Add("a1", events.AgentAwake{AgentID: "a1"})
	if e.Sequence != 11 {
		t.Errorf("first sequence after failed publish = %d, want 11", e.Sequence)
	}
	if err := b2.Publish(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{11}, seqs(rec.events())); diff != "" {
		t.Errorf("published sequences (-want +got):\n%s", diff)
	}
}

func TestSequencerStaleBatchRefused(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	s := events.NewSequencer(events.SourceMarket, "r", 0)
	first, stale := s.Batch(t0), s.Batch(t0)
	first.Add("a", events.AgentAwake{AgentID: "a"})
	stale.Add("b", events.AgentAwake{AgentID: "b"})
	if err := first.Publish(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := stale.Publish(ctx, rec); err == nil {
		t.Fatal("publishing a batch started before another was published succeeded; its sequence would repeat")
	}
	if err := first.Publish(ctx, rec); err == nil {
		t.Fatal("publishing the same batch twice succeeded")
	}
	if s.Last() != 1 || len(rec.events()) != 1 {
		t.Errorf("Last = %d, published %d events; want 1 and 1", s.Last(), len(rec.events()))
	}
}

func TestSequencerEmptyBatchPublishesNothing(t *testing.T) {
	rec := &recorder{fail: errors.New("must not be called")}
	s := events.NewSequencer(events.SourceMarket, "", 0)
	if err := s.Batch(t0).Publish(context.Background(), rec); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	if s.Last() != 0 {
		t.Errorf("Last = %d, want 0", s.Last())
	}
}

func TestBatchStamps(t *testing.T) {
	s := events.NewSequencer(events.SourceScheduler, "run-9", 4)
	if s.Source() != events.SourceScheduler {
		t.Errorf("Source = %q", s.Source())
	}
	local := t0.In(time.FixedZone("X", 7200))
	b := s.Batch(local)
	cause := b.Add("a1", events.AgentAwake{AgentID: "a1"})
	effect := b.AddCaused(cause.ID, "b1", events.BundleActivated{BundleID: "b1", AgentID: "a1"})
	want := []events.Event{
		{
			ID: cause.ID, Type: events.TypeAgentAwake, Source: events.SourceScheduler, Subject: "a1",
			Time: t0, Sequence: 5, Correlation: "run-9", Schema: events.SchemaVersion,
			Data: events.AgentAwake{AgentID: "a1"},
		},
		{
			ID: effect.ID, Type: events.TypeBundleActivated, Source: events.SourceScheduler, Subject: "b1",
			Time: t0, Sequence: 6, Correlation: "run-9", Causation: cause.ID, Schema: events.SchemaVersion,
			Data: events.BundleActivated{BundleID: "b1", AgentID: "a1"},
		},
	}
	if diff := cmp.Diff(want, b.Events()); diff != "" {
		t.Errorf("batch events (-want +got):\n%s", diff)
	}
	if loc := b.Events()[0].Time.Location(); loc != time.UTC {
		t.Errorf("time location = %v, want UTC", loc)
	}
}

func TestEventIDsUniqueAndSortable(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	var want []string
	// Two sources and two correlations publish at the same instants; a later
	// instant always sorts after an earlier one, and ids never repeat.
	seqrs := []*events.Sequencer{
		events.NewSequencer(events.SourceLedger, "r1", 0),
		events.NewSequencer(events.SourceMarket, "r1", 0),
		events.NewSequencer(events.SourceLedger, "r2", 0),
		events.NewSequencer(events.SourceLedger, "", 0),
	}
	for step := range 12 {
		now := t0.Add(time.Duration(step) * 999 * time.Millisecond)
		var stepIDs []string
		for _, s := range seqrs {
			b := s.Batch(now)
			for range step%3 + 1 {
				stepIDs = append(stepIDs, b.Add("x", events.AgentAwake{AgentID: "x"}).ID)
			}
			if err := b.Publish(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(stepIDs)
		want = append(want, stepIDs...)
	}
	got := ids(rec.events())
	seen := make(map[string]bool)
	for _, id := range got {
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	if diff := cmp.Diff(want, sorted); diff != "" {
		t.Errorf("sorted ids do not follow time (-want +got):\n%s", diff)
	}
	// Within one sequencer, ids sort in sequence order even at one instant.
	s := events.NewSequencer(events.SourceLedger, "r", 0)
	b := s.Batch(t0)
	var one []string
	for range 15 {
		one = append(one, b.Add("x", events.AgentAwake{AgentID: "x"}).ID)
	}
	if !slices.IsSorted(one) {
		t.Errorf("ids of one batch are not in sequence order: %v", one)
	}
}

func TestBatchResetReusesForTheNextChange(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	s := events.NewSequencer(events.SourceLedger, "", 0)
	b := s.Batch(t0)
	b.Add("a", events.AgentAwake{AgentID: "a"})
	first := b.Events()[0]
	if err := b.Publish(ctx, rec); err != nil {
		t.Fatal(err)
	}
	b.Reset(t0.Add(time.Second))
	if b.Len() != 0 {
		t.Fatalf("Len after Reset = %d, want 0", b.Len())
	}
	second := b.Add("b", events.AgentAwake{AgentID: "b"})
	if err := b.Publish(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if second.Sequence != 2 || !second.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("after Reset: sequence %d at %v, want 2 at %v", second.Sequence, second.Time, t0.Add(time.Second))
	}
	if got := rec.events(); len(got) != 2 || got[0] != first || got[1] != second {
		t.Fatalf("published %v, want %v then %v", got, first, second)
	}
}
