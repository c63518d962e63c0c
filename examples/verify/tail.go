package main

import (
	"context"
	"fmt"

	"github.com/scarcitylabs/scarcity/events"
	"github.com/scarcitylabs/scarcity/transport/natstransport"
)

// maxBatch bounds the events of one batch. Overflow policy: a tail that
// has that many waits until the batch is taken before it reads more (a
// NATS stream keeps the rest on the server; a file on disk).
const maxBatch = 1 << 16

// batch is events read from a followed stream, in order, and the stream
// position after them ("seq N" over NATS, "line N" in a file), or the error
// that ended the reading.
type batch struct {
	evs []events.Event
	pos string
	err error
}

// tail is a stream followed by a goroutine: its batches arrive on c, the
// first holding every event the stream held when the goroutine started,
// possibly none. c is closed when the goroutine ends; a batch with an error
// is its last.
type tail struct {
	c      chan batch
	cancel context.CancelFunc
	done   chan struct{}
}

// startTail runs read in a goroutine until ctx ends or read returns; read
// sends its batches with send, which reports false once the tail stops.
func startTail(ctx context.Context, read func(ctx context.Context, send func(batch) bool)) *tail {
	ctx, cancel := context.WithCancel(ctx)
	t := &tail{c: make(chan batch), cancel: cancel, done: make(chan struct{})}
	send := func(b batch) bool {
		select {
		case t.c <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(t.done)
		defer close(t.c)
		read(ctx, send)
	}()
	return t
}

// stop ends the tail's goroutine and waits for it.
func (t *tail) stop() {
	t.cancel()
	<-t.done
}

// tailNATS follows the stream of tr: it reads every event the stream holds
// (ReadFrom, the first batch), then subscribes from the next sequence and
// sends what arrives, drained into batches of at most maxBatch.
//
// It writes nothing: tr is read-only (openNATS), and both reads go through
// natstransport's ordered consumers, ephemeral, in memory and
// unacknowledged, which leave no durable state on the server.
func tailNATS(ctx context.Context, tr *natstransport.Transport, send func(batch) bool) {
	evs, last, err := tr.ReadFrom(ctx, 0)
	if err != nil {
		send(batch{err: err})
		return
	}
	if !send(batch{evs: evs, pos: seqPos(last)}) {
		return
	}
	sub, err := tr.Subscribe(ctx, events.SubscribeOptions{From: last + 1})
	if err != nil {
		send(batch{err: err})
		return
	}
	defer sub.Close()
	for {
		var b batch
		select {
		case d, ok := <-sub.C():
			if !ok {
				send(batch{err: fmt.Errorf("following the stream: %w", sub.Err())})
				return
			}
			b = batch{evs: []events.Event{d.Event}, pos: seqPos(d.Seq)}
		case <-ctx.Done():
			return
		}
		ended := drain(sub.C(), &b)
		if !send(b) {
			return
		}
		if ended {
			send(batch{err: fmt.Errorf("following the stream: %w", sub.Err())})
			return
		}
	}
}

// drain adds to b the deliveries c holds now, up to maxBatch events, and
// reports whether c was closed.
func drain(c <-chan events.Delivery, b *batch) (closed bool) {
	for len(b.evs) < maxBatch {
		select {
		case d, ok := <-c:
			if !ok {
				return true
			}
			b.evs = append(b.evs, d.Event)
			b.pos = seqPos(d.Seq)
		default:
			return false
		}
	}
	return false
}

// seqPos returns the position of stream sequence seq.
func seqPos(seq uint64) string { return fmt.Sprintf("seq %d", seq) }
