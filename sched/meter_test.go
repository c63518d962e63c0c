package sched

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// usages returns the usage_recorded payloads of evs.
func usages(evs []events.Event) []events.UsageRecorded {
	var out []events.UsageRecorded
	for _, e := range evs {
		if u, ok := e.Data.(events.UsageRecorded); ok {
			out = append(out, u)
		}
	}
	return out
}

func TestUsageBatchCoalescesUsage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{UsageBatch: 3})
	f.schedule(t, "b1", "alice", bundle.Quantities{"tokens": 100}, 0, 60)
	f.fresh()
	for _, n := range []int64{10, 20} {
		if err := f.s.Use(ctx, "alice", "tokens", n); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.fresh(); len(got) != 0 {
		t.Fatalf("two uses of a batch of three published %v", pairs(got))
	}
	if got := f.s.Remaining("alice", "tokens"); got != 70 {
		t.Errorf("Remaining = %d while unpublished, want 70: enforcement is exact", got)
	}
	if err := f.s.Use(ctx, "alice", "tokens", 5); err != nil {
		t.Fatal(err)
	}
	want := []events.UsageRecorded{{BundleID: "b1", AgentID: "alice", Resource: "tokens", Quantity: 35, Used: 35, Limit: 100}}
	if diff := cmp.Diff(want, usages(f.fresh())); diff != "" {
		t.Errorf("the third use (-want +got):\n%s", diff)
	}
}

func TestUsageBatchPublishesBeforeOtherEvents(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{UsageBatch: 100})
	f.schedule(t, "b1", "alice", bundle.Quantities{"tokens": 100}, 0, 60)
	f.fresh()
	if err := f.s.Use(ctx, "alice", "tokens", 60); err != nil {
		t.Fatal(err)
	}
	err := f.s.Use(ctx, "alice", "tokens", 50)
	if !errors.Is(err, ErrServiceDenied) {
		t.Fatalf("Use beyond the bundle = %v, want ErrServiceDenied", err)
	}
	got := pairs(f.fresh())
	want := []pair{{events.TypeUsageRecorded, "alice"}, {events.TypeServiceDenied, "alice"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("a denial after unpublished usage (-want +got):\n%s", diff)
	}
	if err := f.s.Use(ctx, "alice", "tokens", 1); err != nil {
		t.Fatal(err)
	}
	f.at(60)
	if err := f.s.Advance(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pairs(f.fresh()); len(got) < 2 || got[0].Type != events.TypeUsageRecorded || got[1].Type != events.TypeBundleExpired {
		t.Errorf("Advance published %v, want the pending usage first", got)
	}
}

func TestUsageBatchFlushAndFailure(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{UsageBatch: 2})
	f.schedule(t, "b1", "alice", bundle.Quantities{"tokens": 100}, 0, 60)
	f.fresh()
	if err := f.s.Use(ctx, "alice", "tokens", 1); err != nil {
		t.Fatal(err)
	}
	f.pub.fail.Store(true)
	err := f.s.Use(ctx, "alice", "tokens", 2)
	if !errors.Is(err, ErrUsageUnpublished) || !errors.Is(err, errPublish) {
		t.Fatalf("Use filling the batch with the publisher down = %v, want ErrUsageUnpublished", err)
	}
	if got := f.s.Remaining("alice", "tokens"); got != 97 {
		t.Errorf("Remaining = %d, want 97: the use happened", got)
	}
	f.pub.fail.Store(false)
	if err := f.s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := []events.UsageRecorded{{BundleID: "b1", AgentID: "alice", Resource: "tokens", Quantity: 3, Used: 3, Limit: 100}}
	if diff := cmp.Diff(want, usages(f.fresh())); diff != "" {
		t.Errorf("Flush after the failure (-want +got):\n%s", diff)
	}
	if err := f.s.Flush(ctx); err != nil || len(f.fresh()) != 0 {
		t.Errorf("a second Flush = %v and published again", err)
	}
	if _, err := New(testCatalog(t), Options{UsageBatch: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("UsageBatch -1: %v, want ErrInvalidOptions", err)
	}
}
