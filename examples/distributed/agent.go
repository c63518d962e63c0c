package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/sched"
	"github.com/scarcitylabs/scarcity/transport/agentapi"
)

// agentOptions are the flags of the agent command.
type agentOptions struct {
	URL      string
	CA       string // CA file to verify the server with; empty: no TLS
	Creds    string // the agent's seed file
	Prefixes []string
	Agent    string
	Events   bool          // print the events about the agent
	Window   time.Duration // the length of the bundles it buys
	Every    time.Duration // between steps
	For      time.Duration // how long to run; 0 until interrupted
}

// want is what the agent buys on each shard: 10 % of the CPU and 20,000
// tokens.
var want = bundle.Quantities{"cpu": 10, "tokens": 20_000}

// useEach is how many tokens the agent uses in a step.
const useEach = 4_000

// trader is one agent trading on one shard through the agent API: it
// knows nothing of the market but scarcity.AgentAPI.
type trader struct {
	prefix string
	agent  string
	api    scarcity.AgentAPI
	window time.Duration
	bids   int
}

// dialAgent connects with the agent's key and returns a trader per shard,
// all on the one connection.
func dialAgent(o agentOptions) (*nats.Conn, []*trader, error) {
	opts, err := agentapi.NkeyOptions(o.Agent, o.Creds)
	if err != nil {
		return nil, nil, err
	}
	nc, err := nats.Connect(o.URL, append(opts, tlsOptions(o.CA)...)...)
	if err != nil {
		return nil, nil, err
	}
	var ts []*trader
	for _, p := range o.Prefixes {
		c, err := agentapi.Dial(nc, o.Agent, agentapi.Options{Prefix: p})
		if err != nil {
			nc.Close()
			return nil, nil, err
		}
		ts = append(ts, &trader{prefix: p, agent: o.Agent, api: c, window: o.Window})
	}
	return nc, ts, nil
}

// step uses tokens from the agent's bundle; when it has none (or has used
// it up) and no bid or bundle holds its credits, it bids for a new one at
// twice the current price. It returns what it did.
func (t *trader) step(ctx context.Context) (string, error) {
	err := t.api.Use(ctx, t.agent, "tokens", useEach)
	if err == nil {
		return fmt.Sprintf("used %d tokens", useEach), nil
	}
	if !errors.Is(err, sched.ErrServiceDenied) {
		return "", err
	}
	bal, err := t.api.Balance(ctx, t.agent)
	if err != nil {
		return "", err
	}
	if bal.Pending.Sign() > 0 {
		return "waiting: a bid or a bundle holds " + bal.Pending.Text('f') + " credits", nil
	}
	return t.bid(ctx)
}

// bid bids for want over t.window at twice the current prices.
func (t *trader) bid(ctx context.Context) (string, error) {
	prices, err := t.api.QueryPrices(ctx)
	if err != nil {
		return "", err
	}
	b := bundle.Bundle{Quantities: want, Window: bundle.Window{Duration: t.window}}
	exact := apd.BaseContext.WithPrecision(34)
	exact.Traps |= apd.Inexact | apd.Rounded
	cost, err := bundle.Cost(exact, b, prices)
	if err != nil {
		return "", err
	}
	var limit apd.Decimal
	if _, err := exact.Mul(&limit, cost, apd.New(2, 0)); err != nil {
		return "", err
	}
	t.bids++
	id := fmt.Sprintf("%s-%d-%d", t.agent, time.Now().UnixMilli(), t.bids)
	err = t.api.Bid(ctx, scarcity.Bid{ID: id, Agent: t.agent, Bundle: b, Limit: &limit})
	if errors.Is(err, scarcity.ErrBidRejected) {
		return "bid rejected: " + err.Error(), nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("bid %s credits for %d%% cpu and %d tokens over %v", limit.Text('f'), want["cpu"], want["tokens"], t.window), nil
}

// runAgent steps on every shard every o.Every until ctx is done or o.For
// has passed, printing what it does.
func runAgent(ctx context.Context, w io.Writer, o agentOptions) error {
	nc, traders, err := dialAgent(o)
	if err != nil {
		return err
	}
	defer nc.Close()
	w = &lockedWriter{w: w} // the events' printer writes too
	if o.Events {
		stop, err := printEvents(nc, w, traders)
		if err != nil {
			return err
		}
		defer stop()
	}
	if o.For > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.For)
		defer cancel()
	}
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	for {
		for _, t := range traders {
			did, err := t.step(ctx)
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, agentapi.ErrUnavailable) {
				did, err = "no market answers yet; retrying", nil
			}
			if err != nil {
				return fmt.Errorf("%s on %s: %w", o.Agent, t.prefix, err)
			}
			fmt.Fprintf(w, "%s %s: %s\n", o.Agent, t.prefix, did)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// printEvents prints the events about the agent on every shard as the
// markets publish them: those it is the subject of, and those it is the
// counterparty of, such as credits another agent sent it. stop ends the
// subscriptions and returns once nothing more is printed.
func printEvents(nc *nats.Conn, w io.Writer, traders []*trader) (stop func(), err error) {
	msgs := make(chan *nats.Msg, 256) // beyond, NATS drops events (a slow consumer)
	var subs []*nats.Subscription
	done, printed := make(chan struct{}), make(chan struct{})
	stop = func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
		close(done)
		<-printed
	}
	go func() {
		defer close(printed)
		for {
			select {
			case m := <-msgs:
				if e, err := events.Decode(m.Data); err != nil {
					fmt.Fprintf(w, "undecodable event on %s\n", m.Subject)
				} else {
					fmt.Fprintf(w, "event %s %s about %s\n", e.Source, e.Type, e.Subject)
				}
			case <-done:
				return
			}
		}
	}()
	for _, t := range traders {
		for _, subj := range agentapi.EventSubjects(t.prefix, t.agent) {
			sub, err := nc.ChanSubscribe(subj, msgs)
			if err != nil {
				stop()
				return nil, err
			}
			subs = append(subs, sub)
		}
	}
	if err := nc.Flush(); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
