package natstransport_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// benchBatch is the number of events per Publish call in BenchmarkPublish,
// and per wait for every pending ack in BenchmarkPublishBaseline: a group
// commit of 256 events.
const benchBatch = 256

// benchReplay is the number of events in the stream that every op of
// BenchmarkReplay and BenchmarkReplayBaseline reads.
const benchReplay = 20000

// BenchmarkPublish measures durable publishing of one event through
// Transport.Publish to an embedded server: validation, encoding, the
// pipelined asynchronous publish with its Nats-Msg-Id and the wait for its
// ack. The events are published in calls of benchBatch events (group
// commit), each call returning once all of its acks are in, so ns/op is per
// event. The b.N distinct events are made before the timer starts: they are
// the caller's.
func BenchmarkPublish(b *testing.B) {
	srv := natstest.StartServer(b)
	tr := open(b, srv.URL(), natstransport.Options{})
	evs := agentEvents(b.N, events.SourceAgent, "bench", t0)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < len(evs); i += benchBatch {
		if err := tr.Publish(ctx, evs[i:min(i+benchBatch, len(evs))]...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishBaseline is the same unit of work with the JetStream client
// alone: the same events, encoded before the timer starts, published with
// PublishMsgAsync on the same subjects with the same Nats-Msg-Id headers to
// the same stream, waiting for every ack (PublishAsyncComplete) after each
// benchBatch messages. It does no validation or encoding and keeps no
// per-message futures.
func BenchmarkPublishBaseline(b *testing.B) {
	srv := natstest.StartServer(b)
	tr := open(b, srv.URL(), natstransport.Options{})
	js := tr.JetStream()
	evs := agentEvents(b.N, events.SourceAgent, "bench", t0)
	subjects := make([]string, len(evs))
	data := make([][]byte, len(evs))
	for i, e := range evs {
		d, err := events.Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		subjects[i], data[i] = natstransport.Subject(tr.Prefix(), e), d
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < len(evs); i += benchBatch {
		for j := i; j < min(i+benchBatch, len(evs)); j++ {
			m := &nats.Msg{Subject: subjects[j], Data: data[j]}
			if _, err := js.PublishMsgAsync(m, jetstream.WithMsgID(evs[j].ID)); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		}
	}
	b.StopTimer()
	if got := streamMsgs(b, tr); got != uint64(len(evs)) {
		b.Fatalf("stream holds %d messages, want %d", got, len(evs))
	}
}

// benchStream starts a server and fills its stream with benchReplay events
// through a Transport, which it returns.
func benchStream(b *testing.B) *natstransport.Transport {
	b.Helper()
	srv := natstest.StartServer(b)
	tr := open(b, srv.URL(), natstransport.Options{})
	evs := agentEvents(benchReplay, events.SourceAgent, "bench", t0)
	for i := 0; i < len(evs); i += benchBatch {
		publish(b, tr, evs[i:min(i+benchBatch, len(evs))]...)
	}
	return tr
}

// reportPerEvent reports the time per replayed event.
func reportPerEvent(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchReplay), "ns/event")
}

// BenchmarkReplay measures one replay of a stream of benchReplay events
// through Transport.Subscribe: the ordered consumer, decoding and filtering
// every event and delivering it on the subscription's channel. ns/op is the
// whole replay; ns/event is per event.
func BenchmarkReplay(b *testing.B) {
	tr := benchStream(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sub, err := tr.Subscribe(ctx, events.SubscribeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; n < benchReplay; n++ {
			if _, ok := <-sub.C(); !ok {
				b.Fatalf("subscription ended after %d of %d events: %v", n, benchReplay, sub.Err())
			}
		}
		sub.Close()
	}
	reportPerEvent(b)
}

// BenchmarkReplayBaseline is the same unit of work with the JetStream client
// alone: an ordered consumer of the same stream from its start, read with
// Messages pulling as many messages ahead as a subscription does, counting
// the messages without decoding them.
func BenchmarkReplayBaseline(b *testing.B) {
	tr := benchStream(b)
	js := tr.JetStream()
	ctx := context.Background()
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	b.ReportAllocs()
	for b.Loop() {
		cons, err := js.OrderedConsumer(ctx, tr.Stream(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(natstransport.DefaultSubscriptionBuffer))
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; n < benchReplay; n++ {
			if _, err := it.Next(); err != nil {
				b.Fatalf("after %d of %d messages: %v", n, benchReplay, err)
			}
		}
		it.Stop()
	}
	reportPerEvent(b)
}
