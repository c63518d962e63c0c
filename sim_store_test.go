package scarcity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/faultinject"
)

// The stores of TestSimulation, and what sits between them and a market:
//
//	market → simGate (one per market incarnation: a crash kills it)
//	       → simView (what the live market reads; a rule broken may lie)
//	       → faultinject (seeded faults, shared by incarnations)
//	       → the stream: an events.Log (synchronous), a simJet (an in-memory
//	         stream that checks expected last sequences, pipelined), or
//	         JetStream (-sim.nats).
//
// Every layer is an events.TailReader, as the market's snapshots need
// (Config.Snapshots, Reopen): ReadFrom and LastSequence go the same way
// ReadAll does, and a layer that changes what ReadAll returns changes a
// ReadFrom alike. A market that keeps snapshots keeps them in one store per
// run, reached through a simSnapshots per incarnation, which dies with it.

// errCrashed is the error of a call through the gate of a market that
// crashed: nothing of it reaches the stream.
var errCrashed = errors.New("sim: the market's process crashed")

// simPub is what a market of the simulation publishes through: a reader
// of the stream from any position, synchronous or pipelined.
type simPub interface {
	events.Publisher
	events.TailReader
}

// simGate is the publisher of one incarnation of the market. kill models
// its process dying: calls in progress finish (and their outcomes are
// known), later ones fail with errCrashed and store nothing.
//
// While restoring is set (Reopen after a crash), it reads through restart,
// what a restarted process reads, rather than next, what the live market
// reads (a rule broken may lie to the latter), and records where the last
// read ended. A read that fails is wrapped in errReadFailed.
type simGate struct {
	next      simPub
	restart   events.TailReader     // what a restarted process reads
	async     events.AsyncPublisher // next, if pipelined
	mu        sync.RWMutex          // calls hold it shared; kill exclusively
	dead      bool
	flying    sync.WaitGroup // pipelined calls whose outcome is not received yet
	restoring atomic.Bool
	lastRead  atomic.Uint64 // while restoring: the stream sequence the last read ended at
	tailReads *atomic.Int64 // ReadFrom calls, while not restoring: a rebuild from a snapshot
}

// simAsyncGate is a simGate over a pipelined publisher.
type simAsyncGate struct{ *simGate }

// newGate returns the gate of an incarnation that publishes through next;
// restart is what it reads while restoring; tailReads counts its ReadFrom
// calls otherwise.
func newGate(next simPub, restart events.TailReader, tailReads *atomic.Int64) simPub {
	g := &simGate{next: next, restart: restart, tailReads: tailReads}
	if a, ok := next.(events.AsyncPublisher); ok {
		g.async = a
		return simAsyncGate{g}
	}
	return g
}

// errReadFailed wraps the error of a read through a simGate: the stream
// could not be read (a fault, the server down), which a restore retries.
var errReadFailed = errors.New("sim: reading the stream")

// reader returns what g reads through now.
func (g *simGate) reader() events.TailReader {
	if g.restoring.Load() {
		return g.restart
	}
	return g.next
}

func (g *simGate) Publish(ctx context.Context, evs ...events.Event) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.dead {
		return errCrashed
	}
	return g.next.Publish(ctx, evs...)
}

func (g *simGate) ReadAll(ctx context.Context) ([]events.Event, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.dead {
		return nil, errCrashed
	}
	evs, err := g.reader().ReadAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errReadFailed, err)
	}
	g.lastRead.Store(uint64(len(evs))) // every view keeps the stream's sequences (restart's does)
	return evs, nil
}

func (g *simGate) ReadFrom(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.dead {
		return nil, 0, errCrashed
	}
	if !g.restoring.Load() {
		g.tailReads.Add(1)
	}
	evs, last, err := g.reader().ReadFrom(ctx, from)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", errReadFailed, err)
	}
	g.lastRead.Store(last)
	return evs, last, nil
}

func (g *simGate) LastSequence(ctx context.Context) (uint64, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.dead {
		return 0, errCrashed
	}
	last, err := g.reader().LastSequence(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errReadFailed, err)
	}
	return last, nil
}

func (g simAsyncGate) PublishAsync(ctx context.Context, evs ...events.Event) <-chan error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make(chan error, 1)
	if g.dead {
		out <- errCrashed
		return out
	}
	in := g.async.PublishAsync(ctx, evs...)
	g.flying.Add(1)
	go func() {
		err := <-in
		g.flying.Done()
		out <- err
	}()
	return out
}

// kill stops the gate: it returns once no call is in progress or in
// flight, and every later call fails.
func (g *simGate) kill() {
	g.mu.Lock()
	g.dead = true
	g.mu.Unlock()
	g.flying.Wait()
}

var (
	_ events.TailReader     = (*simGate)(nil)
	_ events.AsyncPublisher = simAsyncGate{}
	_ events.TailReader     = simAsyncGate{}
)

func gateOf(p events.Publisher) *simGate {
	switch g := p.(type) {
	case *simGate:
		return g
	case simAsyncGate:
		return g.simGate
	}
	return nil
}

// simJet is an in-memory stream that behaves as JetStream does under the
// market's transport: every event of a call expects the stream's last
// sequence (as the writer predicts it) to be the one before it, and calls
// are pipelined and stored in order by one goroutine. By default it keeps
// the contract the market needs: a call whose expectation fails at one
// event stores nothing from there on, its first event also expects the
// stream's last event to be the last the writer sent, if it knows it (as
// natstransport's Nats-Expected-Last-Msg-Id: a call sent behind one that
// was refused is refused too, even where a late delivery of the refused
// call's length filled its place), and after a failure the writer learns
// the stream's last sequence again only when it reads the stream back
// (ReadAll, ReadFrom), the point it rebuilds from. With natsJet it behaves as
// natstransport over JetStream does today: the server checks each event
// alone (one refused event does not stop the next, which may expect the
// sequence the stream happens to have), and the writer learns the last
// sequence again at its next call.
//
// It is a faultinject.LateWriter: a late delivery sends a call's events
// with the expectation the writer had when it made the call.
type simJet struct {
	log          *events.Log
	resyncOnSend bool // natsJet: learn the last sequence at the next call
	perEvent     bool // natsJet: check each event alone
	// noExpect stores late deliveries whatever the stream holds: a stream
	// without the expected-last-sequence rule (a rule the meta test breaks).
	noExpect bool

	mu     sync.Mutex // orders the writer's calls
	last   uint64     // the writer's prediction of the stream's last sequence
	lastID string     // the id of the last event the writer sent since it read the stream; not with perEvent
	synced atomic.Bool
	jobs   chan simJob
	flying sync.WaitGroup
	smu    sync.Mutex // makes each event's check and store one step
}

type simJob struct {
	evs      []events.Event
	expect   uint64
	expectID string // the id of the stream's last event, if the writer knows it
	out      chan error
}

// errConflict is simJet's refusal of a call that expected another last
// sequence: nothing of it from the first refused event on is stored.
var errConflict = errors.New("simjet: wrong last sequence")

func newSimJet(log *events.Log, natsJet bool) *simJet {
	j := &simJet{log: log, resyncOnSend: natsJet, perEvent: natsJet, last: log.Len(), jobs: make(chan simJob, 1024)}
	j.synced.Store(true)
	go j.run()
	return j
}

// close stops the stream's goroutine once every call is processed.
func (j *simJet) close() { close(j.jobs) }

func (j *simJet) run() {
	for job := range j.jobs {
		job.out <- j.store(job.evs, job.expect, job.expectID, true)
		j.flying.Done()
	}
}

// store stores evs, each expecting the stream's last sequence to be the one
// before it, the first also the stream's last event to be expectID if it
// is not empty; it stops at the first that does not.
func (j *simJet) store(evs []events.Event, expect uint64, expectID string, writer bool) error {
	j.smu.Lock()
	defer j.smu.Unlock()
	if n := j.log.Len(); expectID != "" && n == expect && len(evs) > 0 {
		if last := j.log.Events(n); len(last) == 0 || last[0].ID != expectID {
			if writer {
				j.synced.Store(false)
			}
			return fmt.Errorf("%w: event 1 of %d expected the stream's last event to be %s", errConflict, len(evs), expectID)
		}
	}
	var refused error
	stored := 0
	for i, e := range evs {
		if n := j.log.Len(); n != expect+uint64(i) && !(j.noExpect && !writer) {
			if writer {
				j.synced.Store(false)
			}
			if refused == nil {
				refused = fmt.Errorf("%w: event %d of %d expected %d, the stream holds %d", errConflict, i+1, len(evs), expect+uint64(i), n)
			}
			if j.perEvent {
				continue // the next event is checked alone
			}
			break
		}
		if refused != nil && !writer {
			break // a late delivery is one raw publish after another: it stops at a refusal
		}
		before := j.log.Len()
		if err := j.log.Publish(context.Background(), e); err != nil {
			return err
		}
		if j.log.Len() == before && writer {
			// A duplicate id: JetStream acknowledges it as a duplicate,
			// stores nothing, and the writer's prediction is off.
			j.synced.Store(false)
		}
		stored++
	}
	if refused != nil && stored > 0 {
		return fmt.Errorf("%w: %d of %d stored", events.ErrInDoubt, stored, len(evs))
	}
	return refused
}

// PublishAsync sends evs after the calls before it.
func (j *simJet) PublishAsync(_ context.Context, evs ...events.Event) <-chan error {
	out := make(chan error, 1)
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.synced.Load() {
		if !j.resyncOnSend {
			out <- fmt.Errorf("%w: the writer's last sequence is unknown until it reads the stream", errConflict)
			return out
		}
		j.mu.Unlock()
		j.flying.Wait()
		j.mu.Lock()
		j.last, j.lastID = j.log.Len(), ""
		j.synced.Store(true)
	}
	if len(evs) == 0 {
		out <- nil
		return out
	}
	j.flying.Add(1)
	j.jobs <- simJob{evs: append([]events.Event(nil), evs...), expect: j.last, expectID: j.lastID, out: out}
	j.last += uint64(len(evs))
	if !j.perEvent {
		j.lastID = evs[len(evs)-1].ID
	}
	return out
}

// Publish is PublishAsync and the wait for its outcome.
func (j *simJet) Publish(ctx context.Context, evs ...events.Event) error {
	return <-j.PublishAsync(ctx, evs...)
}

// ReadAll reads the stream back; with no call in flight, the writer learns
// the stream's last sequence from it.
func (j *simJet) ReadAll(ctx context.Context) ([]events.Event, error) {
	evs, _, err := j.ReadFrom(ctx, 1)
	return evs, err
}

// ReadFrom reads the stream back from stream sequence from; like ReadAll,
// with no call in flight, and the writer learns the stream's last sequence
// from it: a writer restored from a snapshot and this tail goes on after
// it, as one restored from ReadAll does.
func (j *simJet) ReadFrom(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	j.mu.Lock() // no call starts meanwhile
	defer j.mu.Unlock()
	j.flying.Wait()
	evs, last, err := j.log.ReadFrom(ctx, from)
	if err == nil && !j.resyncOnSend {
		j.last, j.lastID = last, ""
		j.synced.Store(true)
	}
	return evs, last, err
}

// LastSequence returns the stream sequence of the last event stored. Like
// JetStream's stream info, it tells the writer nothing.
func (j *simJet) LastSequence(ctx context.Context) (uint64, error) {
	return j.log.LastSequence(ctx)
}

// PrepareLate returns the delivery of evs as a call made now would store
// them: expecting the writer's prediction of now. A writer that does not
// know where the stream is sends nothing (or, with resyncOnSend, learns it
// first); one whose call fails (failed) no longer knows afterwards.
func (j *simJet) PrepareLate(_ context.Context, evs []events.Event, failed bool) (func(context.Context) error, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.synced.Load() {
		if !j.resyncOnSend {
			return func(context.Context) error { return errConflict }, nil
		}
		j.flying.Wait()
		j.last, j.lastID = j.log.Len(), ""
		j.synced.Store(true)
	}
	expect := j.last
	if failed {
		j.synced.Store(false)
	}
	cp := append([]events.Event(nil), evs...)
	return func(context.Context) error {
		j.flying.Wait()
		return j.store(cp, expect, "", false)
	}, nil
}

var (
	_ events.AsyncPublisher  = (*simJet)(nil)
	_ events.TailReader      = (*simJet)(nil)
	_ faultinject.LateWriter = (*simJet)(nil)
)

// simSwallow breaks a rule for the meta test: it reports success for the
// calls its publisher refused before storing anything (failed before, full),
// as a transport that loses track of its failures would. It reads (ReadAll,
// ReadFrom, LastSequence) through its publisher.
type simSwallow struct{ simPub }

func (s simSwallow) Publish(ctx context.Context, evs ...events.Event) error {
	return swallowed(s.simPub.Publish(ctx, evs...))
}

type simSwallowAsync struct {
	simSwallow
	async events.AsyncPublisher
}

func (s simSwallowAsync) PublishAsync(ctx context.Context, evs ...events.Event) <-chan error {
	in := s.async.PublishAsync(ctx, evs...)
	out := make(chan error, 1)
	go func() { out <- swallowed(<-in) }()
	return out
}

func swallowed(err error) error {
	var fe *faultinject.Error
	if errors.As(err, &fe) && (fe.Kind == faultinject.FailedBefore || fe.Kind == faultinject.RefusedFull) {
		return nil
	}
	return err
}

// simCertain breaks a rule for the meta test: it reports a lost
// acknowledgement as a definite failure (the error no longer wraps
// events.ErrInDoubt), so that the simulation's model believes nothing was
// stored. It reads through its publisher.
type simCertain struct{ simPub }

func (s simCertain) Publish(ctx context.Context, evs ...events.Event) error {
	return certain(s.simPub.Publish(ctx, evs...))
}

type simCertainAsync struct {
	simCertain
	async events.AsyncPublisher
}

func (s simCertainAsync) PublishAsync(ctx context.Context, evs ...events.Event) <-chan error {
	in := s.async.PublishAsync(ctx, evs...)
	out := make(chan error, 1)
	go func() { out <- certain(<-in) }()
	return out
}

// errStoreFailed is the error simCertain reports in place of one in doubt.
var errStoreFailed = errors.New("sim: publish failed")

func certain(err error) error {
	if errors.Is(err, events.ErrInDoubt) {
		return fmt.Errorf("%w: %s", errStoreFailed, err)
	}
	return err
}

var (
	_ events.TailReader     = simSwallow{}
	_ events.AsyncPublisher = simSwallowAsync{}
	_ events.TailReader     = simSwallowAsync{}
	_ events.TailReader     = simCertain{}
	_ events.AsyncPublisher = simCertainAsync{}
	_ events.TailReader     = simCertainAsync{}
)

// wrapBreak wraps p in w's rule-breaking publisher, pipelined if p is.
func wrapBreak(p simPub, brk simBreak) simPub {
	a, async := p.(events.AsyncPublisher)
	switch brk {
	case breakSwallowFailures:
		if async {
			return simSwallowAsync{simSwallow{p}, a}
		}
		return simSwallow{p}
	case breakCertainFailures:
		if async {
			return simCertainAsync{simCertain{p}, a}
		}
		return simCertain{p}
	}
	return p
}

// simSnapshots is the snapshot store of one incarnation of the market: the
// run's store, reached through the incarnation's gate, so that it dies
// with its process. An upload in progress when it dies finishes; a later
// one stores nothing (errSnapshotLost), as a process that crashed before
// storing its snapshot. Errors of the store are wrapped in errSnapshotStore.
// A read may fail, or return the snapshot corrupt, as the run's
// simSnapFaults draw.
type simSnapshots struct {
	g      *simGate
	next   events.SnapshotStore
	stored *atomic.Int64 // snapshots stored, counted for the run
	faults *simSnapFaults
}

// simSnapFaults are the faults of a run's snapshot reads, drawn from a
// random source of their own: of every thousand reads, rate fail or return
// the snapshot with one byte changed.
type simSnapFaults struct {
	mu        sync.Mutex
	rng       *rand.Rand
	rate      int
	failed    int             // reads failed
	corrupt   int             // reads that returned a snapshot corrupt
	corrupted map[string]bool // the snapshots returned corrupt, by name
}

// errSnapshotRead is the error of a snapshot read that simSnapFaults failed.
var errSnapshotRead = errors.New("sim: snapshot read failed")

// read returns data, the snapshot name, as the fault it draws leaves it.
func (f *simSnapFaults) read(name string, data []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r := f.rng.IntN(1000); {
	case r < f.rate/2:
		f.failed++
		return nil, errSnapshotRead
	case r < f.rate && len(data) > 0:
		data = bytes.Clone(data)
		data[f.rng.IntN(len(data))] ^= byte(1 + f.rng.IntN(255))
		f.corrupt++
		f.corrupted[name] = true
	}
	return data, nil
}

// wasCorrupted reports whether a read of the snapshot name returned it
// corrupt.
func (f *simSnapFaults) wasCorrupted(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.corrupted[name]
}

var _ events.SnapshotStore = simSnapshots{}

var (
	// errSnapshotLost is the error of an upload through a dead gate: the
	// snapshot's snapshot_taken is in the stream, the snapshot is not.
	errSnapshotLost = errors.New("sim: the market's process crashed before storing its snapshot")
	// errSnapshotStore wraps the errors of the run's snapshot store (the
	// server down, with -sim.nats).
	errSnapshotStore = errors.New("sim: snapshot store")
)

// call runs f unless the gate is dead (then err), holding the gate shared.
func (st simSnapshots) call(dead error, f func() error) error {
	st.g.mu.RLock()
	defer st.g.mu.RUnlock()
	if st.g.dead {
		return dead
	}
	if err := f(); err != nil {
		if errors.Is(err, events.ErrNoSnapshot) {
			return err
		}
		return fmt.Errorf("%w: %w", errSnapshotStore, err)
	}
	return nil
}

func (st simSnapshots) PutSnapshot(ctx context.Context, name string, data []byte) error {
	return st.call(errSnapshotLost, func() error {
		if err := st.next.PutSnapshot(ctx, name, data); err != nil {
			return err
		}
		st.stored.Add(1)
		return nil
	})
}

func (st simSnapshots) GetSnapshot(ctx context.Context, name string) (data []byte, err error) {
	err = st.call(errCrashed, func() (err error) {
		if data, err = st.next.GetSnapshot(ctx, name); err != nil {
			return err
		}
		data, err = st.faults.read(name, data)
		return err
	})
	return data, err
}

func (st simSnapshots) ListSnapshots(ctx context.Context, prefix string) (names []string, err error) {
	err = st.call(errCrashed, func() (err error) {
		names, err = st.next.ListSnapshots(ctx, prefix)
		return err
	})
	return names, err
}

func (st simSnapshots) DeleteSnapshot(ctx context.Context, name string) error {
	return st.call(errCrashed, func() error { return st.next.DeleteSnapshot(ctx, name) })
}
