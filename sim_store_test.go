package scarcity_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/faultinject"
)

// The stores of TestSimulation, and what sits between them and a market:
//
//	market → simGate (one per market incarnation: a crash kills it)
//	       → faultinject (seeded faults, shared by incarnations)
//	       → the stream: an events.Log (synchronous), a simJet (an in-memory
//	         stream that checks expected last sequences, pipelined), or
//	         JetStream (-sim.nats).

// errCrashed is the error of a call through the gate of a market that
// crashed: nothing of it reaches the stream.
var errCrashed = errors.New("sim: the market's process crashed")

// simPub is what a market of the simulation publishes through: a reader,
// synchronous or pipelined.
type simPub interface {
	events.Publisher
	events.Reader
}

// simGate is the publisher of one incarnation of the market. kill models
// its process dying: calls in progress finish (and their outcomes are
// known), later ones fail with errCrashed and store nothing.
type simGate struct {
	next   simPub
	async  events.AsyncPublisher // next, if pipelined
	mu     sync.RWMutex          // calls hold it shared; kill exclusively
	dead   bool
	flying sync.WaitGroup // pipelined calls whose outcome is not received yet
}

// simAsyncGate is a simGate over a pipelined publisher.
type simAsyncGate struct{ *simGate }

func newGate(next simPub) simPub {
	g := &simGate{next: next}
	if a, ok := next.(events.AsyncPublisher); ok {
		g.async = a
		return simAsyncGate{g}
	}
	return g
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
	return g.next.ReadAll(ctx)
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
// event stores nothing from there on, and after a failure the writer learns
// the stream's last sequence again only when it reads the stream back
// (ReadAll), the point it rebuilds from. With natsJet it behaves as
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
	synced atomic.Bool
	jobs   chan simJob
	flying sync.WaitGroup
	smu    sync.Mutex // makes each event's check and store one step
}

type simJob struct {
	evs    []events.Event
	expect uint64
	out    chan error
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
		job.out <- j.store(job.evs, job.expect, true)
		j.flying.Done()
	}
}

// store stores evs, each expecting the stream's last sequence to be the one
// before it; it stops at the first that does not.
func (j *simJet) store(evs []events.Event, expect uint64, writer bool) error {
	j.smu.Lock()
	defer j.smu.Unlock()
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
		j.last = j.log.Len()
		j.synced.Store(true)
	}
	if len(evs) == 0 {
		out <- nil
		return out
	}
	j.flying.Add(1)
	j.jobs <- simJob{evs: append([]events.Event(nil), evs...), expect: j.last, out: out}
	j.last += uint64(len(evs))
	return out
}

// Publish is PublishAsync and the wait for its outcome.
func (j *simJet) Publish(ctx context.Context, evs ...events.Event) error {
	return <-j.PublishAsync(ctx, evs...)
}

// ReadAll reads the stream back; with no call in flight, the writer learns
// the stream's last sequence from it.
func (j *simJet) ReadAll(ctx context.Context) ([]events.Event, error) {
	j.mu.Lock() // no call starts meanwhile
	defer j.mu.Unlock()
	j.flying.Wait()
	evs, err := j.log.ReadAll(ctx)
	if err == nil && !j.resyncOnSend {
		j.last = uint64(len(evs))
		j.synced.Store(true)
	}
	return evs, err
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
		j.last = j.log.Len()
		j.synced.Store(true)
	}
	expect := j.last
	if failed {
		j.synced.Store(false)
	}
	cp := append([]events.Event(nil), evs...)
	return func(context.Context) error {
		j.flying.Wait()
		return j.store(cp, expect, false)
	}, nil
}

var (
	_ events.AsyncPublisher  = (*simJet)(nil)
	_ events.Reader          = (*simJet)(nil)
	_ faultinject.LateWriter = (*simJet)(nil)
)

// simSwallow breaks a rule for the meta test: it reports success for the
// calls its publisher refused before storing anything (failed before, full),
// as a transport that loses track of its failures would.
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
// stored.
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
