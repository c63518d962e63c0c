package agentapi

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity"
)

// BenchmarkServeRequests measures balance requests answered by Serve, its
// rate limits off: one op is one request of each of the agents, sent
// concurrently; ns/req is the time per request.
func BenchmarkServeRequests(b *testing.B) {
	benchmarkServe(b, func(tb testing.TB, nc *nats.Conn, m *scarcity.Market) {
		srv, err := Serve(context.Background(), nc, m, Options{Rate: -1, ByteRate: -1})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = srv.Close() })
	})
}

// BenchmarkServeRequestsBaseline is BenchmarkServeRequests through the
// server as it was before its per-agent queues (serveInArrivalOrder).
func BenchmarkServeRequestsBaseline(b *testing.B) {
	benchmarkServe(b, func(tb testing.TB, nc *nats.Conn, m *scarcity.Market) {
		serveInArrivalOrder(tb, nc, m)
	})
}

// serveInArrivalOrder serves m as Serve did before it queued requests per
// agent: DefaultWorkers queue subscriptions, each executing one request at
// a time in arrival order, with no rate limit.
func serveInArrivalOrder(tb testing.TB, nc *nats.Conn, m *scarcity.Market) {
	tb.Helper()
	opts, err := Options{}.withDefaults()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{nc: nc, m: m, opts: opts, log: slog.New(slog.DiscardHandler), ctx: context.Background()}
	for range opts.Workers {
		sub, err := nc.QueueSubscribe(commandWildcard(opts.Prefix), opts.Queue, func(msg *nats.Msg) {
			agent, verb, err := parseSubject(opts.Prefix, msg.Subject)
			if err != nil || !replyAllowed(agent, msg.Reply) {
				return
			}
			result, err := s.serve(agent, verb, msg.Data)
			s.reply(msg, result, err)
		})
		if err != nil {
			tb.Fatal(err)
		}
		if err := sub.SetPendingLimits(pendingMessages, pendingMessages*opts.MaxMessage); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := nc.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// benchmarkServe runs balance requests of 1 and 8 agents through the
// server serve starts.
func benchmarkServe(b *testing.B, serve func(testing.TB, *nats.Conn, *scarcity.Market)) {
	for _, agents := range []int{1, 8} {
		b.Run(fmt.Sprintf("agents=%d", agents), func(b *testing.B) {
			names := make([]string, agents)
			for i := range names {
				names[i] = fmt.Sprintf("agent-%d", i)
			}
			ns := startNATS(b, names...)
			m, _, _ := newMarket(b)
			serve(b, connect(b, ns, nats.UserInfo(marketUser.Name, marketUser.Password)), m)
			ctx := context.Background()
			clients := make([]*Client, agents)
			for i, a := range names {
				clients[i] = dialAgent(b, ns, a)
				if err := clients[i].OpenAccount(ctx, a); err != nil {
					b.Fatal(err)
				}
			}
			ops := 0
			for b.Loop() {
				var wg sync.WaitGroup
				for _, c := range clients {
					wg.Go(func() {
						if _, err := c.Balance(ctx, c.Agent()); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				ops++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops*agents), "ns/req")
		})
	}
}
