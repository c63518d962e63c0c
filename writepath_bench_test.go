package scarcity_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/cockroachdb/apd/v3"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity"
	"github.com/scarcitylabs/scarcity/auction"
	"github.com/scarcitylabs/scarcity/bundle"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natsembed"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// The write-path benchmarks measure the market on the user's path: bids
// placed by concurrent agents and whole clearing rounds, over the in-memory
// log and over an embedded JetStream server on file storage (the default
// transport), each against a baseline doing the same unit of work with the
// transport alone:
//
//	go test -run XXX -bench 'PlaceBids|ClearRound' -benchmem .

// benchResources are sized so that every bid of a round wins.
var benchResources = []bundle.Resource{
	{Name: "cpu", Unit: "percent", Capacity: 1_000_000, Enforcement: bundle.OSLevel},
	{Name: "tokens", Unit: "tokens", Capacity: 100_000_000, Enforcement: bundle.ServiceLevel},
}

// benchTransport is a market's publisher and what a baseline publishes to.
type benchTransport struct {
	pub events.Publisher
	js  jetstream.JetStream // nil in memory
	nc  *nats.Conn
}

// openBenchTransport returns the named transport, closed when b ends.
func openBenchTransport(b *testing.B, name string) benchTransport {
	b.Helper()
	if name == "memory" {
		return benchTransport{pub: events.NewLog(events.LogOptions{MaxEvents: 1 << 26})}
	}
	tr, err := natsembed.Open(context.Background(), natstransport.Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	nc, err := nats.Connect(tr.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	return benchTransport{pub: tr, js: tr.JetStream(), nc: nc}
}

// benchMarket returns a market over pub with agents agents, each with
// plenty of credits, and metrics recorded into meter if it is not nil.
func benchMarket(b *testing.B, pub events.Publisher, agents int, meter ...metric.MeterProvider) (*scarcity.Market, *clock.Mock) {
	b.Helper()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := scarcity.Config{
		Resources: benchResources, Reserve: map[string]string{"cpu": "0.000001", "tokens": "0.000001"},
		Clock: clk, Publisher: pub, MaxBids: 1 << 30, MaxBidsPerAgent: 1 << 30,
	}
	if len(meter) > 0 {
		cfg.Meter = meter[0]
	}
	m, err := scarcity.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	for i := range agents {
		if err := m.Open(context.Background(), benchAgent(i), apd.New(1_000_000_000, 0)); err != nil {
			b.Fatal(err)
		}
	}
	return m, clk
}

func benchAgent(i int) string { return fmt.Sprintf("agent-%d", i) }

// benchBid is bid n of agent: one unit of CPU and tokens for a minute.
func benchBid(agent string, n int) scarcity.Bid {
	return scarcity.Bid{ID: fmt.Sprintf("bid-%d", n), Agent: agent, Limit: apd.New(1, 0),
		Bundle: bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1, "tokens": 10}, Window: bundle.Window{Duration: time.Minute}}}
}

// BenchmarkPlaceBids places one bid per op, from 1 or 16 agents at once;
// with 16 agents also with metrics on (an OpenTelemetry SDK meter provider
// with a reader, as a scraped market has), to weigh what they cost.
func BenchmarkPlaceBids(b *testing.B) {
	for _, tr := range []string{"memory", "jetstream"} {
		for _, agents := range []int{1, 16} {
			b.Run(fmt.Sprintf("transport=%s/agents=%d", tr, agents), func(b *testing.B) {
				placeBids(b, tr, agents)
			})
		}
		b.Run(fmt.Sprintf("transport=%s/agents=16/metrics=on", tr), func(b *testing.B) {
			placeBids(b, tr, 16, sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))
		})
	}
}

// placeBids places b.N bids from agents agents over transport tr.
func placeBids(b *testing.B, tr string, agents int, meter ...metric.MeterProvider) {
	m, _ := benchMarket(b, openBenchTransport(b, tr).pub, agents, meter...)
	b.ResetTimer()
	inParallel(b, agents, func(agent, n int) {
		if err := m.Bid(context.Background(), benchBid(benchAgent(agent), n)); err != nil {
			b.Error(err)
		}
	})
}

// BenchmarkPlaceBidsBaseline publishes, per op, what a bid publishes —
// events of the same number and sizes, encoded beforehand — straight to
// JetStream, pipelined by 16 publishers.
func BenchmarkPlaceBidsBaseline(b *testing.B) {
	b.Run("transport=jetstream/agents=16", func(b *testing.B) {
		tr := openBenchTransport(b, "jetstream")
		log := events.NewLog(events.LogOptions{})
		m, _ := benchMarket(b, log, 1)
		before := log.Len()
		if err := m.Bid(context.Background(), benchBid(benchAgent(0), 0)); err != nil {
			b.Fatal(err)
		}
		perBid := encodeAll(b, log.Events(before))
		b.ResetTimer()
		rawPublish(b, tr, 16, perBid)
	})
}

// BenchmarkClearRound clears one round of 10,000 winning bids per op.
func BenchmarkClearRound(b *testing.B) {
	for _, tr := range []string{"memory", "jetstream"} {
		b.Run(fmt.Sprintf("bids=10000/transport=%s", tr), func(b *testing.B) {
			m, clk := benchMarket(b, openBenchTransport(b, tr).pub, 100)
			n := 0
			for b.Loop() {
				b.StopTimer()
				placeRound(b, m, 10_000, &n)
				clk.Add(time.Minute)
				b.StartTimer()
				if err := m.Tick(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClearRoundBaseline does per op what a round of 10,000 winning
// bids costs at the least: in memory, the mechanism alone (auction.Greedy on
// the same round); over JetStream, publishing the round's events, encoded
// beforehand, pipelined.
func BenchmarkClearRoundBaseline(b *testing.B) {
	b.Run("bids=10000/transport=memory", func(b *testing.B) {
		m, clk := benchMarket(b, events.Discard, 100)
		n := 0
		placeRound(b, m, 10_000, &n)
		clk.Add(time.Minute)
		round := auction.Round{Number: 1, At: clk.Now(), Bids: benchRoundBids(m),
			Calendar: m.Scheduler().Snapshot(), Reserve: m.ReservePrices(), Scale: scarcity.DefaultScale}
		for b.Loop() {
			round.Calendar = m.Scheduler().Snapshot()
			if _, err := (auction.Greedy{}).Clear(round); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bids=10000/transport=jetstream", func(b *testing.B) {
		tr := openBenchTransport(b, "jetstream")
		round := encodeAll(b, clearedRound(b))
		b.ResetTimer()
		for b.Loop() {
			rawPublish(b, tr, 1, round)
		}
	})
	// The chain alone: linking a round's events (canonical encoding and
	// SHA-256 of each), which every transport pays. It is the floor under
	// transport=memory that the mechanism alone does not show.
	b.Run("bids=10000/chain", func(b *testing.B) {
		round := clearedRound(b)
		chain, err := events.NewChain("", nil)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			chain.Extend(round)
		}
	})
}

// clearedRound returns the events of a round of 10,000 winning bids,
// cleared in memory.
func clearedRound(b *testing.B) []events.Event {
	b.Helper()
	log := events.NewLog(events.LogOptions{MaxEvents: 1 << 26})
	m, clk := benchMarket(b, log, 100)
	n := 0
	placeRound(b, m, 10_000, &n)
	clk.Add(time.Minute)
	before := log.Len()
	if err := m.Tick(context.Background()); err != nil {
		b.Fatal(err)
	}
	return log.Events(before)
}

// placeRound places bids winning bids across the market's 100 agents.
func placeRound(b *testing.B, m *scarcity.Market, bids int, n *int) {
	b.Helper()
	for i := range bids {
		*n++
		if err := m.Bid(context.Background(), benchBid(benchAgent(i%100), *n)); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRoundBids returns the book as the mechanism sees it.
func benchRoundBids(m *scarcity.Market) []auction.Bid {
	var out []auction.Bid
	for i, o := range m.Orders() {
		out = append(out, auction.Bid{ID: o.Agent + "/" + o.ID, Agent: o.Agent, Bundle: o.Bundle, Limit: o.Limit, Seq: uint64(i + 1)})
	}
	return out
}

// inParallel calls f b.N times in all, from workers goroutines at once,
// with the worker's index and the call's number.
func inParallel(b *testing.B, workers int, f func(worker, n int)) {
	var wg sync.WaitGroup
	for w := range workers {
		count := b.N / workers
		if w < b.N%workers {
			count++
		}
		wg.Go(func() {
			for i := range count {
				f(w, i)
			}
		})
	}
	wg.Wait()
}

// encodeAll returns the encoded events and their subjects.
func encodeAll(b *testing.B, evs []events.Event) []*nats.Msg {
	b.Helper()
	out := make([]*nats.Msg, len(evs))
	for i, e := range evs {
		data, err := events.Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = &nats.Msg{Subject: natstransport.Subject(natstransport.DefaultPrefix, e), Data: data}
	}
	return out
}

// rawPublish publishes msgs b.N times in all (or once per call when
// publishers is 1 and the caller loops), split across publishers goroutines,
// pipelined: each publisher sends all its messages, then awaits the acks.
func rawPublish(b *testing.B, tr benchTransport, publishers int, msgs []*nats.Msg) {
	b.Helper()
	js, err := jetstream.New(tr.nc, jetstream.WithPublishAsyncMaxPending(rawWindow))
	if err != nil {
		b.Fatal(err)
	}
	ops := b.N
	if publishers == 1 {
		ops = 1
	}
	var wg sync.WaitGroup
	for p := range publishers {
		count := ops / publishers
		if p < ops%publishers {
			count++
		}
		wg.Go(func() {
			window := max(rawWindow/publishers, len(msgs)) // stay within the client's pending limit
			acks := make([]jetstream.PubAckFuture, 0, window+len(msgs))
			for i := range count {
				for _, m := range msgs {
					f, err := js.PublishMsgAsync(&nats.Msg{Subject: m.Subject, Data: m.Data})
					if err != nil {
						b.Error(err)
						return
					}
					acks = append(acks, f)
				}
				if len(acks) >= window || i == count-1 {
					if !awaitAcks(b, acks) {
						return
					}
					acks = acks[:0]
				}
			}
		})
	}
	wg.Wait()
}

// rawWindow is the most messages rawPublish has unacknowledged at once.
const rawWindow = 4096

// awaitAcks waits for every ack and reports whether all were positive.
func awaitAcks(b *testing.B, acks []jetstream.PubAckFuture) bool {
	for _, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			b.Error(err)
			return false
		}
	}
	return true
}
