package natstransport_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstest"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

const benchBatch = 10

// benchBatches returns n batches of distinct events, so that none is
// deduplicated.
func benchBatches(b *testing.B, n int) [][]events.Event {
	evs := agentEvents(n*benchBatch, events.SourceAgent, fmt.Sprintf("bench-%d", n), t0)
	out := make([][]events.Event, n)
	for i := range out {
		out[i] = evs[i*benchBatch : (i+1)*benchBatch]
	}
	return out
}

// BenchmarkPublish publishes batches of 10 events, each call waiting for
// the acks of its batch.
func BenchmarkPublish(b *testing.B) {
	srv := natstest.StartServer(b)
	tr := open(b, srv.URL(), natstransport.Options{})
	batches := benchBatches(b, 20000)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if err := tr.Publish(ctx, batches[i%len(batches)]...); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkPublishBaseline publishes the same bytes with core NATS, without
// JetStream: Publish of each message, then Flush once per batch.
func BenchmarkPublishBaseline(b *testing.B) {
	srv := natstest.StartServer(b)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	var subjects []string
	var data [][]byte
	for _, e := range benchBatches(b, 1)[0] {
		d, err := events.Encode(e)
		if err != nil {
			b.Fatal(err)
		}
		subjects = append(subjects, "baseline."+natstransport.Subject("scarcity", e))
		data = append(data, d)
	}
	for b.Loop() {
		for j := range data {
			if err := nc.Publish(subjects[j], data[j]); err != nil {
				b.Fatal(err)
			}
		}
		if err := nc.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
