package ledger

import (
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/scarcitylabs/scarcity/events"
)

// HashLen is the length of an event hash or a state hash in hex digits.
const HashLen = 2 * sha256.Size

// chainFrom makes l, unless it is Staged, link the events it publishes into
// a hash chain that goes on from head: the Hash of the last trusted event of
// its stream, or "" for a new chain. Each batch it publishes is a sealed
// group (events.Sequencer.Chain).
func (l *Ledger) chainFrom(head string) error {
	if l.staged {
		return nil
	}
	c, err := events.NewChain(head, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRestore, err)
	}
	l.seq.Chain(c)
	l.lastHash = head
	return nil
}

// LastHash returns the head of the ledger's hash chain: the Hash of the
// last event it published, or of the last trusted event of the stream it
// was replayed from, which its next event links to. It is empty for a
// Staged ledger, whose events its writer chains, before the first event,
// and for a ledger replayed from an unchained stream until it publishes.
func (l *Ledger) LastHash() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.lastHash
}

// stream is what a replay takes from the events it is given.
type stream struct {
	// events are the trusted ledger events of the correlation, in order.
	events []events.Event
	// voids are the sequences of the correlation's void ledger events.
	voids map[uint64]bool
	// last is the highest ledger sequence of the correlation, void events
	// included: the replayed ledger numbers after it.
	last uint64
	// head is the chain head the replayed ledger goes on from.
	head string
	// anyGap, for a Staged ledger, takes every gap in the sequence for
	// void events its caller set aside.
	anyGap bool
}

// readStream returns the stream of the ledger events of evs after
// sequence after that a replay re-enacts: verified from head unless cfg is
// Staged.
func readStream(cfg config, evs []events.Event, head string, after uint64) (stream, error) {
	if cfg.staged {
		return stagedStream(cfg, evs, after), nil
	}
	return verifiedStream(cfg, evs, head, after)
}

// stagedStream returns evs as a Staged ledger replays them: as trusted.
func stagedStream(cfg config, evs []events.Event, after uint64) stream {
	ours := ledgerEvents(evs, cfg.correlation, after)
	return stream{events: ours, last: max(cfg.lastSeq, after, lastSequence(ours)), anyGap: true}
}

// verifiedStream verifies the chain of the events of cfg's correlation in
// evs, every source's (a writer's chain covers all its events), from head
// ("" for a chain that starts in evs, or none), and returns the trusted
// ledger events after sequence after. A broken chain is ErrRestore
// wrapping the *events.ChainError (events.ErrTampered) that names the first
// bad event. An unchained stream is trusted whole, unless it is to go on
// from a head.
func verifiedStream(cfg config, evs []events.Event, head string, after uint64) (stream, error) {
	corr := cfg.correlation
	ours := pick(evs, func(e *events.Event) bool { return e.Correlation == corr })
	v, err := events.Verify(ours, events.VerifyOptions{Heads: map[string]string{corr: head}})
	if err != nil {
		return stream{}, fmt.Errorf("%w: %w", ErrRestore, err)
	}
	unchained := slices.Contains(v.Unchained, corr)
	if unchained && head != "" {
		err := &events.ChainError{EventID: ours[0].ID, Reason: "an unchained event where the chain goes on from " + head}
		return stream{}, fmt.Errorf("%w: %w", ErrRestore, err)
	}
	s := stream{events: ledgerEvents(v.Trusted, corr, after), last: max(after, lastSequence(ours)), head: head}
	if h, ok := v.Heads[corr]; ok {
		s.head = h
	}
	for _, e := range v.Void {
		if e.Source == events.SourceLedger {
			if s.voids == nil {
				s.voids = map[uint64]bool{}
			}
			s.voids[e.Sequence] = true
		}
	}
	return s, nil
}

// skips reports whether the ledger events numbered after last and before
// seq are void, so that a replaying ledger numbers after them.
func (s *stream) skips(last, seq uint64) bool {
	if s.anyGap {
		return true
	}
	if seq-last-1 > uint64(len(s.voids)) {
		return false
	}
	for n := last + 1; n < seq; n++ {
		if !s.voids[n] {
			return false
		}
	}
	return true
}

// ledgerEvents returns the ledger events of correlation in evs whose
// sequence is after after.
func ledgerEvents(evs []events.Event, correlation string, after uint64) []events.Event {
	return pick(evs, func(e *events.Event) bool {
		return e.Source == events.SourceLedger && e.Correlation == correlation && e.Sequence > after
	})
}

// pick returns the events of evs that ours accepts: evs itself if it
// accepts them all, which the caller only reads.
func pick(evs []events.Event, ours func(*events.Event) bool) []events.Event {
	i := 0
	for i < len(evs) && ours(&evs[i]) {
		i++
	}
	if i == len(evs) {
		return evs
	}
	out := make([]events.Event, i, len(evs))
	copy(out, evs[:i])
	for j := range evs[i:] {
		if e := &evs[i+j]; ours(e) {
			out = append(out, *e)
		}
	}
	return out
}

// lastSequence returns the highest sequence of the ledger events of evs.
func lastSequence(evs []events.Event) uint64 {
	var last uint64
	for i := range evs {
		if evs[i].Source == events.SourceLedger {
			last = max(last, evs[i].Sequence)
		}
	}
	return last
}
