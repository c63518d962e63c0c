package agentapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
)

// Market is what a Server calls on the market it serves: the agent's
// methods of scarcity.AgentAPI (Emit among them), Reward for the humans of
// Options.Humans, and CheckAgent, which vets the acting agent before every
// command but open and reward. *scarcity.Market satisfies it.
type Market interface {
	scarcity.AgentAPI
	scarcity.Rewarder
	// CheckAgent returns nil if agent has an agent account, else an
	// error wrapping scarcity.ErrUnknownAgent.
	CheckAgent(agent string) error
}

// Server answers agents' commands for one market. It is safe for
// concurrent use; Close stops it.
//
// One subscription receives the requests and queues them per agent (see
// fairQueue); Options.Workers goroutines execute them, the agents taking
// turns, each agent with at most one request in service.
type Server struct {
	nc      *nats.Conn
	m       Market
	opts    Options
	log     *slog.Logger
	ctx     context.Context
	sub     *nats.Subscription
	queue   *fairQueue
	metrics serverMetrics

	workers   sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// Serve subscribes to <prefix>.cmd.v1.*.* in the queue group opts.Queue
// and answers each command on m as the agent named by the subject's
// <agent> token. It returns once the subscription is registered with the
// NATS server. The server stops when ctx is done or Close is called; ctx
// is not passed to the market calls, which each get their own
// opts.HandleTimeout.
//
// A request whose reply subject is not under the agent's inbox
// (InboxPrefix) is dropped unanswered and unexecuted: a reply goes only
// to the agent that asked. A request beyond the agent's rate limit is
// answered rate_limited, one beyond the queues' bounds busy; neither
// reaches the market. An agent's requests are executed one at a time, in
// the order the server received them.
func Serve(ctx context.Context, nc *nats.Conn, m Market, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if sm, ok := m.(*scarcity.Market); ok && sm == nil {
		m = nil
	}
	if nc == nil || m == nil {
		return nil, fmt.Errorf("%w: nil connection or market", ErrInvalidOptions)
	}
	s := &Server{nc: nc, m: m, opts: opts, log: slog.New(slog.DiscardHandler), ctx: ctx,
		queue: newFairQueue(opts), done: make(chan struct{})}
	if opts.Logger != nil {
		s.log = opts.Logger
	}
	if s.metrics, err = newServerMetrics(opts.Meter); err != nil {
		s.log.Warn("agentapi: metrics: an instrument was refused", "err", err)
	}
	s.sub, err = nc.QueueSubscribe(commandWildcard(opts.Prefix), opts.Queue, s.receive)
	if err != nil {
		return nil, fmt.Errorf("agentapi: serve: %w", err)
	}
	if err := s.sub.SetPendingLimits(pendingMessages, pendingBytes); err != nil {
		return nil, s.abort(err)
	}
	if err := nc.Flush(); err != nil {
		return nil, s.abort(err)
	}
	for range opts.Workers {
		s.workers.Go(s.work)
	}
	go s.closeWhenDone()
	return s, nil
}

// pendingMessages and pendingBytes bound the requests (and the bytes of
// their bodies) buffered in the subscription before they are queued per
// agent or refused; beyond them NATS drops requests, whoever sent them (a
// slow consumer), and their clients time out. Queuing or refusing a
// request takes about a microsecond, so the buffer fills only under a
// flood of requests sent without waiting for their replies, faster than
// one goroutine can refuse them.
const (
	pendingMessages = 1 << 16
	pendingBytes    = 64 << 20
)

// abort unsubscribes what Serve subscribed and returns err.
func (s *Server) abort(err error) error {
	_ = s.sub.Unsubscribe()
	return fmt.Errorf("agentapi: serve: %w", err)
}

func (s *Server) closeWhenDone() {
	select {
	case <-s.ctx.Done():
		_ = s.Close()
	case <-s.done:
	}
}

// Close stops taking requests, answers those already received (draining
// the subscription, then the queues) and returns once they are answered
// or opts.HandleTimeout has passed. It does not close the connection.
// Calling Close again returns the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		defer close(s.done)
		if err := s.sub.Drain(); err != nil {
			s.closeErr = fmt.Errorf("agentapi: close: %w", err)
		}
		deadline := time.Now().Add(s.opts.HandleTimeout)
		for s.sub.IsValid() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		s.queue.close()
		idle := make(chan struct{})
		go func() { s.workers.Wait(); close(idle) }()
		select {
		case <-idle:
		case <-time.After(time.Until(deadline)):
		}
	})
	return s.closeErr
}

// receive queues one request for a worker, or answers it at once if it
// may not wait. It runs on the subscription's goroutine and never calls
// the market.
func (s *Server) receive(msg *nats.Msg) {
	agent, verb, err := parseSubject(s.opts.Prefix, msg.Subject)
	if err != nil || !replyAllowed(agent, msg.Reply) {
		s.log.Warn("agentapi: request dropped", "subject", msg.Subject, "reply", msg.Reply)
		return
	}
	if err := s.queue.admit(&request{msg: msg, agent: agent, verb: verb}); err != nil {
		s.answered(agent, verb, time.Time{}, err)
		body, ok := refused[err]
		if !ok {
			s.reply(msg, nil, err)
			return
		}
		if err := msg.Respond(body); err != nil {
			s.log.Warn("agentapi: reply failed", "subject", msg.Subject, "err", err)
		}
	}
}

// work executes queued requests until the queue is closed and empty.
func (s *Server) work() {
	for {
		r, a := s.queue.next()
		if r == nil {
			return
		}
		s.handle(r)
		s.queue.done(a)
	}
}

// handle answers one request, recording it first, so that a client that
// has its reply finds it in the metrics.
func (s *Server) handle(r *request) {
	start := s.opts.Clock.Now()
	result, err := s.serve(r.agent, r.verb, r.msg.Data)
	s.answered(r.agent, r.verb, start, err)
	s.reply(r.msg, result, err)
}

// reply answers msg with result or err.
func (s *Server) reply(msg *nats.Msg, result any, err error) {
	var resp response
	if err != nil {
		resp.Error = encodeError(err)
		if resp.Error.Code == CodeInternal {
			s.log.Error("agentapi: internal error", "subject", msg.Subject, "err", err)
		}
	}
	resp.Result = result
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	if err := msg.Respond(b); err != nil {
		s.log.Warn("agentapi: reply failed", "subject", msg.Subject, "err", err)
	}
}

// serve decodes and executes one request of agent.
func (s *Server) serve(agent string, verb Verb, body []byte) (any, error) {
	cmd, err := decodeRequest(verb, body, s.opts.MaxMessage)
	if err != nil {
		return nil, err
	}
	switch {
	case verb == VerbReward: // a human's: see reward.go
		if err := s.human(agent); err != nil {
			return nil, err
		}
	case verb != VerbOpen:
		if err := s.m.CheckAgent(agent); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.opts.HandleTimeout)
	defer cancel()
	return s.execute(ctx, agent, cmd)
}
