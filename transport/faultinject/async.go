package faultinject

import (
	"context"
	"fmt"
	"sync"

	"github.com/scarcitylabs/scarcity/events"
)

// AsyncPublisher is a Publisher over an events.AsyncPublisher that injects
// its faults into pipelined calls too (PublishAsync), as a stream that
// checks every write against its last sequence behaves: a call cut short —
// failed before, refused as full, failed part-way, or delivered late — makes
// every call after it fail (RefusedBehind, nothing stored), as the later
// calls in flight would have expected a stream that does not exist, until
// the writer has received the outcome of the call cut short and read the
// stream back (ReadAll or ReadFrom; LastSequence reads no event, so it does
// not count): the writer lost its place in the stream, and finds it again
// by reading. Until then nothing it sends is stored, so the
// stream stays a prefix of what it sent.
//
// Duplicate, in a pipelined call, publishes the call and sends a copy of it
// later with the call's original expected sequence (through the LateWriter,
// if the wrapped publisher is one; otherwise it publishes once): a resend
// that the stream must refuse.
type AsyncPublisher struct {
	*Publisher
	anext events.AsyncPublisher

	flying sync.WaitGroup // wrapped calls whose outcome is not known yet
	behind int            // calls cut short whose outcome is not received yet; under p.mu
	lost   bool           // a call was cut short; the writer has not read the stream since; under p.mu
}

var (
	_ events.AsyncPublisher = (*AsyncPublisher)(nil)
	_ events.TailReader     = (*AsyncPublisher)(nil)
)

// NewAsync returns an AsyncPublisher over next, as New does.
func NewAsync(next events.AsyncPublisher, seed uint64, f Faults) (*AsyncPublisher, error) {
	if next == nil {
		return nil, fmt.Errorf("%w: no publisher to wrap", ErrInvalidFaults)
	}
	p, err := New(next, seed, f)
	if err != nil {
		return nil, err
	}
	return &AsyncPublisher{Publisher: p, anext: next}, nil
}

// PublishAsync sends evs through the wrapped publisher, or injects the fault
// this call draws; the channel receives the outcome once. It keeps no
// reference to evs.
func (a *AsyncPublisher) PublishAsync(ctx context.Context, evs ...events.Event) <-chan error {
	p := a.Publisher
	p.mu.Lock()
	defer p.mu.Unlock()
	after := p.lateBefore(ctx)
	defer p.deliver(ctx, after)
	p.stats.Calls++
	call := p.stats.Calls
	if len(evs) == 0 {
		p.stats.Passed++
		return a.forward(a.anext.PublishAsync(ctx, evs...), nil)
	}
	if a.behind > 0 || a.lost {
		p.count(RefusedBehind)
		return ready(&Error{Call: call, Kind: RefusedBehind})
	}
	kind, cut := p.draw(len(evs))
	switch kind {
	case FailedBefore, RefusedFull:
		p.count(kind)
		return a.cutShort(nil, &Error{Call: call, Kind: kind})
	case FailedAfter:
		p.count(kind)
		return a.forward(a.anext.PublishAsync(ctx, evs...), &Error{Call: call, Kind: kind, Stored: len(evs)})
	case FailedPartway:
		p.count(kind)
		return a.cutShort(a.anext.PublishAsync(ctx, evs[:cut]...), &Error{Call: call, Kind: kind, Stored: cut})
	case DeliveredLate:
		a.flying.Wait() // what the stream will hold when the call's events arrive
		if err := p.prepareLate(ctx, evs, true); err != nil {
			return a.cutShort(nil, err) // nothing sent: the calls behind it must not be stored
		}
		p.count(kind)
		return a.cutShort(nil, &Error{Call: call, Kind: kind})
	case Duplicated:
		if p.late == nil {
			p.stats.Passed++
			return a.forward(a.anext.PublishAsync(ctx, evs...), nil)
		}
		a.flying.Wait()
		if err := p.prepareLate(ctx, evs, false); err != nil {
			return a.cutShort(nil, err)
		}
		p.count(kind)
		return a.forward(a.anext.PublishAsync(ctx, evs...), nil)
	}
	p.stats.Passed++
	return a.forward(a.anext.PublishAsync(ctx, evs...), nil)
}

// ready returns a channel holding err.
func ready(err error) <-chan error {
	out := make(chan error, 1)
	out <- err
	return out
}

// forward returns a channel that receives the wrapped call's outcome, or
// injected in its place if the call succeeded and injected is not nil. It
// runs with p.mu held.
func (a *AsyncPublisher) forward(inner <-chan error, injected error) <-chan error {
	out := make(chan error, 1)
	a.flying.Add(1)
	go func() {
		err := <-inner
		a.flying.Done()
		if err != nil {
			a.countNextFailed()
		} else if injected != nil {
			err = injected
		}
		out <- err
	}()
	return out
}

// cutShort returns a channel that receives injected (or the wrapped call's
// own failure, if inner is not nil and failed): the outcome of a call cut
// short. Until its caller has received it, later calls are refused, so the
// caller must receive it. It runs with p.mu held.
func (a *AsyncPublisher) cutShort(inner <-chan error, injected error) <-chan error {
	out := make(chan error) // unbuffered: sent once the caller receives it
	a.behind++
	a.lost = true
	if inner != nil {
		a.flying.Add(1)
	}
	go func() {
		err := injected
		if inner != nil {
			e := <-inner
			a.flying.Done()
			if e != nil {
				a.countNextFailed()
				err = e
			}
		}
		out <- err
		a.mu.Lock()
		a.behind--
		a.mu.Unlock()
	}()
	return out
}

// ReadAll reads the stream back, as Publisher.ReadAll does. Once every call
// cut short has been answered, a read that succeeds lets the writer publish
// again.
func (a *AsyncPublisher) ReadAll(ctx context.Context) ([]events.Event, error) {
	evs, err := a.Publisher.ReadAll(ctx)
	a.found(err)
	return evs, err
}

// ReadFrom reads the stream from stream sequence from, as
// Publisher.ReadFrom does. Like ReadAll, once every call cut short has been
// answered, a read that succeeds lets the writer publish again: a writer
// restored from a snapshot reads the tail after it.
func (a *AsyncPublisher) ReadFrom(ctx context.Context, from uint64) ([]events.Event, uint64, error) {
	evs, last, err := a.Publisher.ReadFrom(ctx, from)
	a.found(err)
	return evs, last, err
}

// found notes the outcome of a read of the stream: one that succeeded,
// with every call cut short answered, gives the writer its place back.
func (a *AsyncPublisher) found(err error) {
	if err != nil {
		return
	}
	a.mu.Lock()
	if a.behind == 0 {
		a.lost = false
	}
	a.mu.Unlock()
}

func (a *AsyncPublisher) countNextFailed() {
	a.mu.Lock()
	a.stats.NextFailed++
	a.mu.Unlock()
}
