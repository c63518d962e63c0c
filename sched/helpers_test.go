package sched

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
)

// t0 is the mock clock's time when a fixture starts.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// testCatalog returns cpu (OS, 100 %), mem (OS, 1024 MiB) and tokens
// (service, 10 000).
func testCatalog(tb testing.TB) *bundle.Catalog {
	tb.Helper()
	cat, err := bundle.NewCatalog(
		bundle.Resource{Name: "cpu", Unit: "percent", Capacity: 100, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "mem", Unit: "MiB", Capacity: 1024, Enforcement: bundle.OSLevel},
		bundle.Resource{Name: "tokens", Unit: "token", Capacity: 10_000, Enforcement: bundle.ServiceLevel},
	)
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// fixture is a scheduler on a mock clock publishing to a log through a
// publisher that can be made to fail.
type fixture struct {
	s    *Scheduler
	clk  *clock.Mock
	log  *events.Log
	pub  *flakyPublisher
	exec *recordingExecutor
	seen uint64 // log events already returned by fresh
}

func newFixture(tb testing.TB, opts Options) *fixture {
	tb.Helper()
	return newCatalogFixture(tb, testCatalog(tb), opts)
}

// newCatalogFixture is newFixture over cat.
func newCatalogFixture(tb testing.TB, cat *bundle.Catalog, opts Options) *fixture {
	tb.Helper()
	f := &fixture{clk: clock.NewMock(), log: events.NewLog(events.LogOptions{}), exec: &recordingExecutor{}}
	f.clk.Set(t0)
	f.pub = &flakyPublisher{next: f.log}
	opts.Clock, opts.Publisher = f.clk, f.pub
	if opts.Executor == nil {
		opts.Executor = f.exec
	}
	s, err := New(cat, opts)
	if err != nil {
		tb.Fatal(err)
	}
	f.s = s
	return f
}

// fresh returns the events published since the last call.
func (f *fixture) fresh() []events.Event {
	evs := f.log.Events(f.seen + 1)
	f.seen += uint64(len(evs))
	return evs
}

// schedule books q for agent over [t0+startSec, +durSec) and fails tb on
// error.
func (f *fixture) schedule(tb testing.TB, id, agent string, q bundle.Quantities, startSec, durSec int) {
	tb.Helper()
	if err := f.s.Schedule(context.Background(), id, agent, "order-"+id, mkBundle(q, startSec, durSec)); err != nil {
		tb.Fatalf("Schedule(%q): %v", id, err)
	}
}

func mkBundle(q bundle.Quantities, startSec, durSec int) bundle.Bundle {
	return bundle.Bundle{Quantities: q, Window: bundle.Window{
		Start:    t0.Add(time.Duration(startSec) * time.Second),
		Duration: time.Duration(durSec) * time.Second,
	}}
}

// at sets the mock clock to t0+sec.
func (f *fixture) at(sec int) { f.clk.Set(t0.Add(time.Duration(sec) * time.Second)) }

// pair is the part of an event the lifecycle tests compare.
type pair struct {
	Type    events.Type
	Subject string
}

func pairs(evs []events.Event) []pair {
	out := make([]pair, 0, len(evs))
	for _, e := range evs {
		out = append(out, pair{e.Type, e.Subject})
	}
	return out
}

func payloads(evs []events.Event) []events.Payload {
	out := make([]events.Payload, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Data)
	}
	return out
}

// errPublish is what a failing flakyPublisher returns.
var errPublish = errors.New("test: publish failed")

// flakyPublisher passes events to next unless fail is set.
type flakyPublisher struct {
	fail atomic.Bool
	next events.Publisher
}

func (p *flakyPublisher) Publish(ctx context.Context, evs ...events.Event) error {
	if p.fail.Load() {
		return errPublish
	}
	return p.next.Publish(ctx, evs...)
}

// terminateCall is one call of Executor.Terminate.
type terminateCall struct{ Agent, Reason string }

// recordingExecutor records its Terminate calls.
type recordingExecutor struct {
	mu    sync.Mutex
	calls []terminateCall
}

func (x *recordingExecutor) Terminate(_ context.Context, agent, reason string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.calls = append(x.calls, terminateCall{agent, reason})
	return nil
}

func (x *recordingExecutor) Calls() []terminateCall {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]terminateCall(nil), x.calls...)
}

// errExecutor is what a failingExecutor returns.
var errExecutor = errors.New("test: terminate failed")

// failingExecutor fails every Terminate call, counting them.
type failingExecutor struct{ calls atomic.Int64 }

func (x *failingExecutor) Terminate(context.Context, string, string) error {
	x.calls.Add(1)
	return errExecutor
}

// state is what a failed operation must leave unchanged.
type state struct {
	UsedNow       bundle.Quantities
	Free          bundle.Quantities
	Infos         map[string]infoState
	Next          time.Time
	HasNext       bool
	Awake         map[string]int
	Sequence      uint64
	CalendarN     int
	ActiveByAgent map[string][]string
}

// infoState is a bundle's Info with its lease, if any, as text.
type infoState struct {
	Info
	Lease string
}

// capture returns the observable state of f's scheduler for ids and agents.
func (f *fixture) capture(ids, agents []string) state {
	snap := f.s.Snapshot()
	now := f.clk.Now()
	st := state{
		UsedNow:       snap.UsedAt(now),
		Free:          snap.Free(bundle.Window{Start: now, Duration: time.Hour}),
		Infos:         map[string]infoState{},
		CalendarN:     snap.Len(),
		ActiveByAgent: map[string][]string{},
	}
	for _, id := range ids {
		if in, ok := f.s.Bundle(id); ok {
			var lease string
			if in.Lease != nil {
				lease = fmt.Sprintf("%s of %s to %s", in.Lease.Amount, in.Lease.HoldID, in.Lease.Payee)
			}
			in.Lease = nil
			st.Infos[id] = infoState{in, lease}
		}
	}
	for _, a := range agents {
		st.ActiveByAgent[a] = f.s.Active(a)
	}
	st.Next, st.HasNext = f.s.Next()
	f.s.mu.Lock()
	st.Awake = map[string]int{}
	for a, n := range f.s.awake {
		st.Awake[a] = n
	}
	st.Sequence = f.s.seq.Last()
	f.s.mu.Unlock()
	return st
}

// cmpEmpty makes nil and empty slices and maps equal.
var cmpEmpty = cmpopts.EquateEmpty()

// sec returns n seconds.
func sec(n int) time.Duration { return time.Duration(n) * time.Second }
