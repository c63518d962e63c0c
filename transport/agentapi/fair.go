package agentapi

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/benbjohnson/clock"
	"github.com/nats-io/nats.go"
)

// A Server's requests wait in a fairQueue between the subscription that
// receives them and the workers that execute them. Each agent has its own
// FIFO of waiting requests and at most one request in service; the agents
// with requests waiting and none in service take turns (round robin), so
// one agent's flood waits behind its own requests, not in front of
// another's, and each agent's requests run in the order they arrived.
//
// Bounds, each answered ErrBusy without reaching the market:
// Options.AgentQueue requests waiting per agent, Options.QueuedAgents
// agents with requests waiting, Options.QueueBytes bytes of bodies
// waiting, and maxTrackedAgents agents whose rate state is kept. Beyond an
// agent's token buckets (Options.Rate, Burst, ByteRate, ByteBurst), a
// request is answered ErrRateLimited and costs no tokens.

// maxTrackedAgents bounds the agents whose queue and rate state a Server
// keeps. When the table is full, agents with nothing waiting or in
// service and full buckets (whose state is the initial one) are
// forgotten; if that frees nothing, a request of a new agent is busy.
const maxTrackedAgents = 1 << 16

// minSweep is the table size below which idle agents are never swept.
const minSweep = 1024

// The refusals of admit. They carry no detail, so that refusing costs
// the subscription's goroutine no formatting: a flood is refused at the
// rate NATS delivers it.
var (
	errRateLimited = fmt.Errorf("%w: over the agent's requests per second", ErrRateLimited)
	errByteLimited = fmt.Errorf("%w: over the agent's request bytes per second", ErrRateLimited)
	errAgentQueue  = fmt.Errorf("%w: too many requests of the agent waiting", ErrBusy)
	errAgentsQueue = fmt.Errorf("%w: too many agents waiting", ErrBusy)
	errBytesQueue  = fmt.Errorf("%w: too many request bytes waiting", ErrBusy)
	errAgentsTable = fmt.Errorf("%w: too many agents active", ErrBusy)
	errClosing     = fmt.Errorf("%w: closing", ErrBusy)
	// refused holds the reply to each refusal, encoded once.
	refused = func() map[error][]byte {
		m := map[error][]byte{}
		for _, err := range []error{errRateLimited, errByteLimited, errAgentQueue, errAgentsQueue, errBytesQueue, errAgentsTable, errClosing} {
			m[err], _ = json.Marshal(response{Error: encodeError(err)})
		}
		return m
	}()
)

// request is one request between the subscription and a worker.
type request struct {
	msg   *nats.Msg
	agent string
	verb  Verb
}

// agentState is one agent's queue and rate state.
type agentState struct {
	waiting   fifo[*request]
	inService bool
	// ready reports whether the agent is in fairQueue.ready: it has
	// requests waiting and none in service.
	ready       bool
	reqs, bytes bucket
}

// fairQueue holds the waiting requests of all agents; see above.
type fairQueue struct {
	clk        clock.Clock
	reqLimit   rateLimit
	byteLimit  rateLimit
	agentQueue int
	maxAgents  int
	maxBytes   int64

	mu           sync.Mutex
	cond         sync.Cond // signalled when ready gains an agent, broadcast on close
	agents       map[string]*agentState
	ready        fifo[*agentState]
	queuedAgents int   // agents with requests waiting
	queuedBytes  int64 // bytes of the bodies waiting
	sweepAt      int
	closed       bool
}

// newFairQueue returns the queue configured by o, which has its defaults.
func newFairQueue(o Options) *fairQueue {
	q := &fairQueue{
		clk:        o.Clock,
		reqLimit:   rateLimit{rate: o.Rate, burst: float64(o.Burst)},
		byteLimit:  rateLimit{rate: float64(o.ByteRate), burst: float64(o.ByteBurst)},
		agentQueue: o.AgentQueue,
		maxAgents:  o.QueuedAgents,
		maxBytes:   o.QueueBytes,
		agents:     map[string]*agentState{},
		sweepAt:    minSweep,
	}
	q.cond.L = &q.mu
	return q
}

// admit queues r, or returns one of refusals if it may not wait.
func (q *fairQueue) admit(r *request) error {
	size := int64(len(r.msg.Data))
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosing
	}
	now := q.clk.Now()
	a := q.agents[r.agent]
	if a == nil {
		if len(q.agents) >= q.sweepAt {
			q.sweep()
		}
		if len(q.agents) >= maxTrackedAgents {
			return errAgentsTable
		}
		a = &agentState{}
		a.reqs.fill(q.reqLimit, now)
		a.bytes.fill(q.byteLimit, now)
		q.agents[r.agent] = a
	}
	a.reqs.refill(q.reqLimit, now)
	a.bytes.refill(q.byteLimit, now)
	switch {
	case !a.reqs.has(q.reqLimit, 1):
		return errRateLimited
	case !a.bytes.has(q.byteLimit, float64(size)):
		return errByteLimited
	case a.waiting.len() >= q.agentQueue:
		return errAgentQueue
	case a.waiting.len() == 0 && q.queuedAgents >= q.maxAgents:
		return errAgentsQueue
	case q.queuedBytes+size > q.maxBytes:
		return errBytesQueue
	}
	a.reqs.take(q.reqLimit, 1)
	a.bytes.take(q.byteLimit, float64(size))
	if a.waiting.len() == 0 {
		q.queuedAgents++
	}
	a.waiting.push(r)
	q.queuedBytes += size
	if !a.inService && !a.ready {
		a.ready = true
		q.ready.push(a)
		q.cond.Signal()
	}
	return nil
}

// sweep forgets the agents whose state is the initial one, and sets the
// size of the next sweep.
func (q *fairQueue) sweep() {
	now := q.clk.Now()
	for name, a := range q.agents {
		if a.waiting.len() > 0 || a.inService {
			continue
		}
		a.reqs.refill(q.reqLimit, now)
		a.bytes.refill(q.byteLimit, now)
		if a.reqs.full(q.reqLimit) && a.bytes.full(q.byteLimit) {
			delete(q.agents, name)
		}
	}
	q.sweepAt = min(maxTrackedAgents, max(minSweep, 2*len(q.agents)))
}

// next waits for the next agent's turn and returns its oldest request,
// now in service, and the agent's state to pass to done. It returns nil
// once q is closed and empty.
func (q *fairQueue) next() (*request, *agentState) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.ready.len() == 0 {
		if q.closed {
			return nil, nil
		}
		q.cond.Wait()
	}
	a := q.ready.pop()
	a.ready = false
	r := a.waiting.pop()
	a.inService = true
	if a.waiting.len() == 0 {
		q.queuedAgents--
	}
	q.queuedBytes -= int64(len(r.msg.Data))
	return r, a
}

// done ends the service of a's request; a's next request, if any, waits
// for its turn behind the other agents'.
func (q *fairQueue) done(a *agentState) {
	q.mu.Lock()
	defer q.mu.Unlock()
	a.inService = false
	if a.waiting.len() > 0 {
		a.ready = true
		q.ready.push(a)
		q.cond.Signal()
	}
}

// close refuses further requests; next returns the waiting ones, then nil.
func (q *fairQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// fifo is a first-in first-out queue.
type fifo[T any] struct {
	items []T
	head  int
}

func (f *fifo[T]) len() int { return len(f.items) - f.head }

func (f *fifo[T]) push(v T) { f.items = append(f.items, v) }

// pop removes and returns the oldest item; f must not be empty.
func (f *fifo[T]) pop() T {
	v := f.items[f.head]
	var zero T
	f.items[f.head] = zero
	f.head++
	switch {
	case f.head == len(f.items):
		f.items, f.head = f.items[:0], 0
	case f.head >= 32 && 2*f.head >= len(f.items):
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items, f.head = f.items[:n], 0
	}
	return v
}
