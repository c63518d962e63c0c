package invariant_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scarcitylabs/scarcity/benchkit/internal/streamtest"
	"github.com/scarcitylabs/scarcity/benchkit/invariant"
	"github.com/scarcitylabs/scarcity/events"
)

// smallWorld is a valid two-agent market of two rounds.
func smallWorld(tb testing.TB) *streamtest.World {
	w := streamtest.NewWorld(tb, 2)
	w.Cycle()
	w.Cycle()
	return w
}

func TestWorldStreamPasses(t *testing.T) {
	evs := smallWorld(t).Events()
	if err := invariant.CheckWith(evs, streamtest.WorldOptions); err != nil {
		t.Fatalf("CheckWith: %v", err)
	}
	if err := invariant.Check(evs); err != nil {
		t.Fatalf("Check: %v", err)
	}
	// The world's stream is a stream from elsewhere: unchained, its chain
	// is not evaluated, not broken.
	if got := invariant.Unchecked(evs, streamtest.WorldOptions); strings.Join(got, ",") != invariant.ChainIntact {
		t.Errorf("Unchecked = %q, want only %s", got, invariant.ChainIntact)
	}
	got := invariant.Unchecked(evs, invariant.Options{})
	if want := []string{invariant.CapacityRespected, invariant.SpendWithinLimit, invariant.ChainIntact}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Unchecked without options = %q, want %q", got, want)
	}
}

// violationOf runs CheckWith and returns the single violation it finds,
// failing unless there is exactly one, of check.
func violationOf(t *testing.T, evs []events.Event, o invariant.Options, check string) *invariant.Violation {
	t.Helper()
	vs := found(t, invariant.CheckWith(evs, o))
	if len(vs) != 1 || vs[0].Check != check {
		t.Fatalf("violations %v, want one of %s", vs, check)
	}
	return vs[0]
}

func contains(t *testing.T, v *invariant.Violation, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(v.Detail, p) {
			t.Errorf("detail %q does not say %q", v.Detail, p)
		}
	}
}

func TestCapacity(t *testing.T) {
	w := smallWorld(t)
	first := w.Schedule("a0", "big-1", events.Quantities{"cpu": 60}, 100)
	w.Tick(10 * time.Second)
	second := w.Schedule("a1", "big-2", events.Quantities{"cpu": 50}, 100)
	v := violationOf(t, w.Events(), streamtest.WorldOptions, invariant.CapacityRespected)
	if v.EventID != second.ID {
		t.Errorf("violation at %s, want the second bundle_scheduled %s", v.EventID, second.ID)
	}
	contains(t, v, `bundle "big-2" books 50 cpu where 60 are already booked, 10 above the capacity 100`, first.ID)

	// Released before the second is booked: it fits.
	w = smallWorld(t)
	w.Schedule("a0", "big-1", events.Quantities{"cpu": 60}, 100)
	w.Tick(10 * time.Second)
	w.End("a0", "big-1", "released")
	w.Schedule("a1", "big-2", events.Quantities{"cpu": 50}, 100)
	if err := invariant.CheckWith(w.Events(), streamtest.WorldOptions); err != nil {
		t.Errorf("bundles one after the other: %v", err)
	}
	// Not checked without capacities; a resource without one is flagged.
	if err := invariant.CheckCapacity(w.Events(), invariant.Options{}); err != nil {
		t.Errorf("CheckCapacity without capacities: %v", err)
	}
	w.Schedule("a1", "gpu", events.Quantities{"gpu": 1}, 100)
	contains(t, violationOf(t, w.Events(), streamtest.WorldOptions, invariant.CapacityRespected), `resource with no capacity`)
}

func TestUsageWithinBundles(t *testing.T) {
	over := smallWorld(t)
	over.Schedule("a0", "b", events.Quantities{"tokens": 100}, 100)
	over.Use("a0", "b", "tokens", 60, 60, 100)
	bad := over.Use("a0", "b", "tokens", 50, 100, 100) // claims 100 but 110 recorded
	v := violationOf(t, over.Events(), streamtest.WorldOptions, invariant.UsageWithinBundles)
	if v.EventID != bad.ID {
		t.Errorf("violation at %s, want %s", v.EventID, bad.ID)
	}
	contains(t, v, `"a0" used 110 tokens of bundle "b", which allows 100: 60 recorded before, 50 more`)
	// With the enforcement inferred, a usage whose used counts what was
	// recorded is consumed, and caught.
	evs := edit(over.Events(), len(over.Evs)-1, func(p *events.UsageRecorded) { p.Used = 110 })
	if err := invariant.CheckUsage(evs, invariant.Options{}); !errors.Is(err, invariant.ErrViolation) {
		t.Errorf("inferred enforcement: %v", err)
	}

	limit := smallWorld(t)
	limit.Schedule("a0", "b", events.Quantities{"tokens": 100}, 100)
	limit.Use("a0", "b", "tokens", 10, 10, 200)
	contains(t, violationOf(t, limit.Events(), streamtest.WorldOptions, invariant.UsageWithinBundles), "(-want +got)", "Limit:", "100", "200")

	ended := smallWorld(t)
	ended.Schedule("a0", "b", events.Quantities{"tokens": 100}, 100)
	end := ended.End("a0", "b", "released")
	ended.Use("a0", "b", "tokens", 10, 10, 100)
	contains(t, violationOf(t, ended.Events(), streamtest.WorldOptions, invariant.UsageWithinBundles), "after it ended at event "+end.ID)

	unknown := smallWorld(t)
	unknown.Use("a0", "ghost", "tokens", 1, 1, 1)
	contains(t, violationOf(t, unknown.Events(), streamtest.WorldOptions, invariant.UsageWithinBundles), `bundle "ghost", which was never scheduled`)
}

func TestSampleAboveEnvelopeNeedsTermination(t *testing.T) {
	w := smallWorld(t)
	w.Schedule("a0", "b", events.Quantities{"cpu": 10}, 100)
	w.Use("a0", "b", "cpu", 5, 5, 10)
	sample := w.Use("a0", "b", "cpu", 15, 15, 10)
	v := violationOf(t, w.Events(), streamtest.WorldOptions, invariant.UsageWithinBundles)
	if v.EventID != sample.ID {
		t.Errorf("violation at %s, want %s", v.EventID, sample.ID)
	}
	contains(t, v, `"a0" sampled 15 cpu, above its envelope 10, and was never terminated`)
	w.Emit(w.Sched, "", "a0", events.AgentTerminated{AgentID: "a0", BundleID: "b", Reason: "exceeds_bundle", Resource: "cpu", Used: 15, Limit: 10})
	if err := invariant.CheckWith(w.Events(), streamtest.WorldOptions); err != nil {
		t.Errorf("terminated: %v", err)
	}
}

func TestServiceDeniedMustExceedAvailable(t *testing.T) {
	w := smallWorld(t)
	w.Emit(w.Sched, "", "a0", events.ServiceDenied{AgentID: "a0", Resource: "tokens", Requested: 5, Available: 10})
	contains(t, violationOf(t, w.Events(), streamtest.WorldOptions, invariant.UsageWithinBundles), `"a0" denied 5 tokens with 10 available`)
}

func TestSpendWithinLimit(t *testing.T) {
	worldOptions := streamtest.WorldOptions
	worldOptions.Capacities = nil
	w := smallWorld(t)
	w.Tick(time.Hour)
	w.Schedule("a0", "b", events.Quantities{"spend": 100}, 1000)
	first := w.Use("a0", "b", "spend", 30, 30, 100)
	w.Tick(30 * time.Second)
	bad := w.Use("a0", "b", "spend", 30, 60, 100)
	v := violationOf(t, w.Events(), worldOptions, invariant.SpendWithinLimit)
	if v.EventID != bad.ID {
		t.Errorf("violation at %s, want %s", v.EventID, bad.ID)
	}
	contains(t, v, "60 units of spend recorded in the 1m0s ending here, above the limit 50", first.ID)

	// A minute later the first has left the window.
	ok := smallWorld(t)
	ok.Tick(time.Hour)
	ok.Schedule("a0", "b", events.Quantities{"spend": 100}, 1000)
	ok.Use("a0", "b", "spend", 30, 30, 100)
	ok.Tick(time.Minute)
	ok.Use("a0", "b", "spend", 30, 60, 100)
	refused := ok.Emit(ok.Sched, "", "a0", events.SpendLimitReached{AgentID: "a0", Resource: "spend",
		Requested: 25, Spent: 30, Limit: 50, Unit: "0.01", WindowSeconds: "60"})
	if err := invariant.CheckWith(ok.Events(), worldOptions); err != nil {
		t.Errorf("spend in separate windows: %v", err)
	}
	// The limit comes from the stream when the options do not give it.
	if err := invariant.CheckSpend(ok.Events(), invariant.Options{}); err != nil {
		t.Errorf("limit from the stream: %v", err)
	}
	evs := edit(ok.Events(), len(ok.Evs)-1, func(p *events.SpendLimitReached) { p.Spent = 27 })
	v = violationOf(t, evs, worldOptions, invariant.SpendWithinLimit)
	if v.EventID != refused.ID {
		t.Errorf("violation at %s, want %s", v.EventID, refused.ID)
	}
	contains(t, v, "(-want +got)", "Spent:", "30", "27")
}

func TestIdentities(t *testing.T) {
	evs := smallWorld(t).Events()
	dup := append([]events.Event(nil), evs...)
	dup[20].ID = dup[10].ID
	vs := found(t, invariant.CheckIdentities(dup))
	if len(vs) != 1 || vs[0].Check != invariant.IDsUnique || vs[0].EventID != dup[10].ID {
		t.Fatalf("violations %v, want ids_unique at event 20", vs)
	}
	if !strings.Contains(vs[0].Detail, "at position 10") {
		t.Errorf("detail %q does not name the first event", vs[0].Detail)
	}
	var caused int
	for i, e := range evs {
		if e.Causation != "" {
			caused = i
			break
		}
	}
	dangling := append([]events.Event(nil), evs...)
	dangling[caused].Causation = "nowhere"
	v := violationOf(t, dangling, streamtest.WorldOptions, invariant.CausationResolves)
	if v.EventID != evs[caused].ID || !strings.Contains(v.Detail, `"nowhere"`) {
		t.Errorf("violation %v, want causation_resolves at %s", v, evs[caused].ID)
	}
	// A cause later on the stream does not resolve either.
	later := append([]events.Event(nil), evs...)
	later[caused].Causation = evs[caused+1].ID
	violationOf(t, later, streamtest.WorldOptions, invariant.CausationResolves)
}

func TestInvalidOptions(t *testing.T) {
	for _, o := range []invariant.Options{
		{Spend: &invariant.SpendLimit{Resource: "spend", Limit: 1}},
		{Capacities: map[string]int64{"cpu": -1}},
	} {
		if err := invariant.CheckWith(nil, o); !errors.Is(err, invariant.ErrInvalidOptions) {
			t.Errorf("CheckWith(%+v) = %v, want ErrInvalidOptions", o, err)
		}
	}
}
