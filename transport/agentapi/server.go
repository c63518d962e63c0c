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

// Server answers agents' commands for one market. It is safe for
// concurrent use; Close stops it.
type Server struct {
	nc   *nats.Conn
	m    *scarcity.Market
	opts Options
	log  *slog.Logger
	ctx  context.Context
	subs []*nats.Subscription

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// Serve subscribes to <prefix>.cmd.v1.*.* in the queue group opts.Queue, with
// opts.Workers subscriptions, and answers each command on m as the agent
// named by the subject's <agent> token. It returns once the subscriptions
// are registered with the NATS server. The server stops when ctx is done or
// Close is called; ctx is not passed to the market calls, which each get
// their own opts.HandleTimeout.
//
// A request whose reply subject is not under the agent's inbox
// (InboxPrefix) is dropped unanswered and unexecuted: a reply goes only
// to the agent that asked.
func Serve(ctx context.Context, nc *nats.Conn, m *scarcity.Market, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if nc == nil || m == nil {
		return nil, fmt.Errorf("%w: nil connection or market", ErrInvalidOptions)
	}
	s := &Server{nc: nc, m: m, opts: opts, log: slog.New(slog.DiscardHandler), ctx: ctx,
		done: make(chan struct{})}
	if opts.Logger != nil {
		s.log = opts.Logger
	}
	for range opts.Workers {
		sub, err := nc.QueueSubscribe(commandWildcard(opts.Prefix), opts.Queue, s.handle)
		if err != nil {
			return nil, s.abort(err)
		}
		if err := sub.SetPendingLimits(pendingMessages, pendingMessages*opts.MaxMessage); err != nil {
			return nil, s.abort(err)
		}
		s.subs = append(s.subs, sub)
	}
	if err := nc.Flush(); err != nil {
		return nil, s.abort(err)
	}
	go s.closeWhenDone()
	return s, nil
}

// pendingMessages bounds the requests buffered per subscription; beyond
// it NATS drops requests (a slow consumer) and their clients time out.
const pendingMessages = 4096

// abort unsubscribes what Serve subscribed and returns err.
func (s *Server) abort(err error) error {
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
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
// the subscriptions) and returns once they are answered or
// opts.HandleTimeout has passed. It does not close the connection. Calling
// Close again returns the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		defer close(s.done)
		for _, sub := range s.subs {
			if err := sub.Drain(); err != nil && s.closeErr == nil {
				s.closeErr = fmt.Errorf("agentapi: close: %w", err)
			}
		}
		deadline := time.Now().Add(s.opts.HandleTimeout)
		for _, sub := range s.subs {
			for sub.IsValid() && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
		}
	})
	return s.closeErr
}

// handle answers one request.
func (s *Server) handle(msg *nats.Msg) {
	agent, verb, err := parseSubject(s.opts.Prefix, msg.Subject)
	if err != nil || !replyAllowed(agent, msg.Reply) {
		s.log.Warn("agentapi: request dropped", "subject", msg.Subject, "reply", msg.Reply)
		return
	}
	var resp response
	result, err := s.serve(agent, verb, msg.Data)
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
	if verb != VerbOpen {
		if err := s.m.CheckAgent(agent); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.opts.HandleTimeout)
	defer cancel()
	return s.execute(ctx, agent, cmd)
}
