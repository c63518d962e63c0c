package scarcity

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/scarcitylabs/scarcity/events"
)

// The write path (docs/decisions/0001-one-command-one-batch.md): every
// command runs under the market's lock, the single writer, and the events
// of every component it touches are staged into one unit. The committer
// links units into the market's hash chain and publishes them — the units
// queued meanwhile together, as one group — pipelined when the publisher
// can (events.AsyncPublisher). A caller is answered when its unit's group
// is acknowledged. The first group that fails stops the committer: every
// later unit fails, and the market rebuilds itself from its stream before
// its next command.

// Limits of the committer.
const (
	// maxGroup is the most events published by one call. A unit larger
	// than that (a large clearing round) goes out in parts, only the last of
	// which is sealed, so that a reader trusts all of it or none.
	maxGroup = 4096
	// maxInFlight is the most calls sent and not yet acknowledged; the
	// committer waits for room beyond it.
	maxInFlight = 64
)

// stage collects the events of the command being applied. It is the
// Publisher of the market's ledger and scheduler and of its own
// sequencers: staging cannot fail, so every component applies its change at
// once. Only the writer, holding the market's lock, uses it.
type stage struct {
	unit []events.Event
}

// Publish appends evs to the unit.
func (s *stage) Publish(_ context.Context, evs ...events.Event) error {
	s.unit = append(s.unit, evs...)
	return nil
}

// grow makes room for n more events in the unit.
func (s *stage) grow(n int) { s.unit = slices.Grow(s.unit, n) }

// take returns the unit and starts a new one.
func (s *stage) take() []events.Event {
	u := s.unit
	s.unit = nil
	return u
}

// pending is a unit waiting for its group to be acknowledged.
type pending struct {
	evs  []events.Event
	done chan error // receives the outcome, once
	// mark, if set, receives where the unit's last event stands in the
	// chain when its group is linked: a snapshot's place.
	mark *chainMark
}

// chainMark is where an event stands in the market's chain: Head is the
// Hash of the event before it ("" if it is the first), Key the public key
// that signs the seal of its group.
type chainMark struct {
	Head string
	Key  ed25519.PublicKey
}

// flight is a group sent and not yet acknowledged: the outcome of each
// call it took, and its units.
type flight struct {
	outcomes []<-chan error
	units    []pending
	sent     time.Time // by the market's clock
}

// committer publishes the units the writer submits, in order. Its two
// goroutines — one sending, one awaiting acknowledgements — run only while
// there is work, so an idle market holds none.
type committer struct {
	pub   events.Publisher
	async events.AsyncPublisher // pub, if it can pipeline; else nil
	tel   *telemetry
	chain *events.Chain
	key   ed25519.PrivateKey // the market's: signs from its announcement on
	// onFail is called, on a goroutine of its own, once the first failure
	// has been answered: the market rebuilds itself then.
	onFail func()

	mu      sync.Mutex
	room    *sync.Cond // signalled when a flight is acknowledged
	queue   []pending  // submitted, not sent
	flights []flight   // sent, not acknowledged, in order
	sending bool       // the sending goroutine runs
	acking  bool       // the acknowledging goroutine runs
	busy    int        // units submitted and not yet answered
	idle    *sync.Cond // signalled when busy drops to zero
	failed  error      // the first failure acknowledged
	cut     error      // the first failure sent: nothing is sent after it
	// confirmed is set once a group of this committer is acknowledged.
	// Until then a pipelining committer sends one group at a time: a
	// committer starts where its market read the stream, and a group in
	// doubt from before (the market's, before it rebuilt or crashed) may
	// land after that read. The first group, linked after what was read and
	// numbered as that group was, often carries the same ids (the same
	// per-source sequences at the same instant), and is refused; but a
	// group pipelined behind it would expect exactly what the late group
	// left — the stream's last sequence, and the id of its last event
	// (Nats-Expected-Last-Msg-Id) — and be stored after it, though linked
	// after the group refused: the stream's chain would break there. Once a
	// group is acknowledged, the stream has moved past every such delivery.
	confirmed bool
}

func newCommitter(pub events.Publisher, chain *events.Chain, key ed25519.PrivateKey, tel *telemetry, onFail func()) *committer {
	c := &committer{pub: pub, chain: chain, key: key, tel: tel, onFail: onFail}
	c.room, c.idle = sync.NewCond(&c.mu), sync.NewCond(&c.mu)
	c.async, _ = pub.(events.AsyncPublisher)
	return c
}

// submitMarked queues a unit and returns the channel its outcome comes on.
// An empty unit, a command that changed nothing, is answered once every unit
// before it is: what it read is then on the stream. A non-nil mark is set,
// before the outcome comes, to where the last event of evs, which must not
// be empty then, stands in the chain.
func (c *committer) submitMarked(evs []events.Event, mark *chainMark) <-chan error {
	done := make(chan error, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != nil {
		done <- fenced(c.failed)
		return done
	}
	if len(evs) == 0 && c.busy == 0 {
		done <- nil
		return done
	}
	c.queue = append(c.queue, pending{evs: evs, done: done, mark: mark})
	c.busy++
	c.tel.queued(c.busy)
	if !c.sending {
		c.sending = true
		go c.send()
	}
	return done
}

// fenced returns the error of a unit refused because an earlier one failed.
func fenced(cause error) error {
	return fmt.Errorf("%w: an earlier commit failed and the market rebuilds from its stream: %w", events.ErrFenced, cause)
}

// send publishes the queued units until the queue is empty.
func (c *committer) send() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) > 0 && c.stopped() == nil {
		units := c.queue
		c.queue = nil
		for _, group := range groups(units) {
			for (len(c.flights) >= maxInFlight || c.async != nil && !c.confirmed && len(c.flights) > 0) && c.stopped() == nil {
				c.room.Wait()
			}
			if err := c.stopped(); err != nil {
				c.answer(group, fenced(err))
				continue
			}
			c.mu.Unlock()
			f := c.publish(group)
			c.mu.Lock()
			c.flights = append(c.flights, f)
			if !c.acking {
				c.acking = true
				go c.acknowledge()
			}
		}
	}
	if len(c.queue) > 0 {
		c.answer(c.queue, fenced(c.stopped()))
	}
	c.queue = nil
	c.sending = false
}

// stopped returns the failure after which nothing more is sent: the first
// acknowledged, or the first a synchronous publish returned. It runs with
// c.mu held.
func (c *committer) stopped() error {
	if c.failed != nil {
		return c.failed
	}
	return c.cut
}

// groups splits units into groups of at most maxGroup events, in order,
// each unit whole: a unit larger than maxGroup is a group of its own.
func groups(units []pending) [][]pending {
	var out [][]pending
	start, n := 0, 0
	for i, u := range units {
		if i > start && n+len(u.evs) > maxGroup {
			out = append(out, units[start:i])
			start, n = i, 0
		}
		n += len(u.evs)
	}
	return append(out, units[start:])
}

// publish links a group into the chain and sends it, in parts of at most
// maxGroup events, only the last sealed.
func (c *committer) publish(units []pending) flight {
	var evs []events.Event
	if len(units) == 1 {
		evs = units[0].evs
	} else {
		for _, u := range units {
			evs = append(evs, u.evs...)
		}
	}
	f := flight{units: units, sent: c.tel.clock.Now()}
	if len(evs) == 0 { // commands that changed nothing wait their turn
		return f
	}
	before := c.chain.Head()
	signer := c.link(evs)
	markUnits(units, evs, chainMark{Head: before, Key: signer})
	for len(evs) > maxGroup {
		f.outcomes = append(f.outcomes, c.start(evs[:maxGroup]))
		evs = evs[maxGroup:]
	}
	f.outcomes = append(f.outcomes, c.start(evs))
	return f
}

// markUnits tells each unit of the linked group evs that asks for it where
// its last event stands: group is where the group's first event stands.
func markUnits(units []pending, evs []events.Event, group chainMark) {
	n := 0
	for _, u := range units {
		n += len(u.evs)
		if u.mark == nil {
			continue
		}
		*u.mark = group
		if n > 1 {
			u.mark.Head = evs[n-2].Hash
		}
	}
}

// link stamps evs, one group, with the chain, sealing its last event and
// signing it with the key in force, whose public key it returns (nil for an
// unsigned chain). A group that announces the market's key switches the
// chain to it; the first announcement signs itself.
func (c *committer) link(evs []events.Event) ed25519.PublicKey {
	announces := false
	for i := range evs {
		if _, ok := evs[i].Data.(events.SigningKeyAnnounced); ok {
			announces = true
		}
	}
	if announces && c.chain.Key() == nil {
		c.chain.SetKey(c.key)
	}
	var signer ed25519.PublicKey
	if key := c.chain.Key(); key != nil {
		signer = key.Public().(ed25519.PublicKey)
	}
	last := len(evs) - (len(evs)-1)%maxGroup - 1 // the start of the last part
	c.chain.Extend(evs[:last])
	c.chain.Link(evs[last:])
	if announces {
		c.chain.SetKey(c.key)
	}
	return signer
}

// start sends evs and returns the channel of the outcome. A call that
// fails at once — synchronous, or refused before it was sent — cuts the
// committer: the groups behind it, linked after it in the chain, must not
// follow it onto the stream, whose writer no longer knows where it stands.
func (c *committer) start(evs []events.Event) <-chan error {
	c.tel.published(len(evs))
	out := make(chan error, 1)
	if c.async != nil {
		sent := c.async.PublishAsync(context.Background(), evs...)
		select {
		case err := <-sent:
			c.cutBy(err)
			out <- err
			return out
		default:
			return sent
		}
	}
	err := c.pub.Publish(context.Background(), evs...)
	c.cutBy(err)
	out <- err
	return out
}

// cutBy stops the committer sending if err, the outcome of a call it
// just made, is a failure.
func (c *committer) cutBy(err error) {
	if err == nil {
		return
	}
	c.mu.Lock()
	if c.cut == nil {
		c.cut = err
	}
	c.mu.Unlock()
}

// acknowledge answers the flights in order, until none is left. The first
// failure fails its units and every later one.
func (c *committer) acknowledge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.flights) > 0 {
		f := c.flights[0]
		c.mu.Unlock()
		var err error
		for _, o := range f.outcomes {
			if e := <-o; err == nil {
				err = e
			}
		}
		c.mu.Lock()
		c.flights = c.flights[1:]
		first := false
		switch {
		case c.failed != nil:
			err = fenced(c.failed)
		case err != nil:
			c.failed, first = err, true
			if c.onFail != nil {
				defer func() { go c.onFail() }()
			}
		case len(f.outcomes) > 0:
			c.confirmed = true
		}
		c.mu.Unlock()
		c.tell(f, err, first)
		c.mu.Lock()
		c.answer(f.units, err)
		c.room.Broadcast()
	}
	c.acking = false
}

// tell records the outcome of flight f: what its events tell once
// committed, or, if it is the failure that fenced the market, that failure.
// It runs before f's units are answered, so that a caller whose command
// returned finds its events counted.
func (c *committer) tell(f flight, err error, first bool) {
	switch {
	case err == nil:
		c.tel.acknowledged(f.sent)
		for _, u := range f.units {
			c.tel.committed(u.evs)
		}
	case first:
		var evs []events.Event
		for _, u := range f.units {
			evs = append(evs, u.evs...)
		}
		c.tel.fence(evs, err)
	}
}

// answer sends err to each unit and counts them answered. It runs with
// c.mu held.
func (c *committer) answer(units []pending, err error) {
	for _, u := range units {
		u.done <- err
	}
	if c.busy -= len(units); c.busy == 0 {
		c.idle.Broadcast()
	}
	c.tel.queued(c.busy)
}

// drain waits until every unit submitted is answered and returns the
// failure that stopped the committer, if any.
func (c *committer) drain() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.busy > 0 {
		c.idle.Wait()
	}
	return c.failed
}

// failure returns the failure that stopped the committer, if any.
func (c *committer) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}
