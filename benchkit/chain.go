package benchkit

import (
	"errors"

	"github.com/scarcitylabs/scarcity/events"
)

// ChainIntact: the stream's hash chain is unbroken (events.Verify): no
// event was changed, inserted, removed or moved, and every seal is signed
// by its writer's key.
const ChainIntact = "chain_intact"

// CheckChain returns nil or an error joining a *Violation named
// "chain_intact" at the first event where a correlation's hash chain
// breaks, verified with o.PublicKey if set (events.Verify). A correlation
// whose events carry no chain at all, a stream written by another system,
// is not a violation: Unchecked names the check for it.
func CheckChain(evs []events.Event, o Options) error {
	_, found := verified(evs, o)
	return join(inOrder(found))
}

// verified verifies the chains of evs and returns what the other checks
// replay — the trusted events and the sequences of the void ones, set aside
// as never having happened — or, for a broken chain, every event as it is,
// with the finding that names where it breaks.
func verified(evs []events.Event, o Options) (replay, []finding) {
	v, err := events.Verify(evs, events.VerifyOptions{PublicKey: o.PublicKey})
	var ce *events.ChainError
	if errors.As(err, &ce) {
		r := newRecorder(ChainIntact)
		r.at(ce.Index, evs[ce.Index])
		r.flag("%s", ce.Reason)
		return replay{evs: evs}, r.found
	}
	void := make(voidSet, len(v.Void))
	for _, e := range v.Void {
		void[voidKey{streamKey{e.Source, e.Correlation}, e.Sequence}] = true
	}
	return replay{evs: v.Trusted, void: void, unchained: v.Unchained}, nil
}

// replay is the stream the checks replay.
type replay struct {
	evs       []events.Event
	void      voidSet  // the sequences of the events of groups cut short
	unchained []string // correlations without a chain
}

// voidSet holds the sequences of void events, by source and correlation.
type voidSet map[voidKey]bool

type voidKey struct {
	stream streamKey
	seq    uint64
}

// fills reports whether every sequence from first to last of stream is a
// void event's.
func (s voidSet) fills(stream streamKey, first, last uint64) bool {
	if last-first >= uint64(len(s)) {
		return false
	}
	for seq := first; seq <= last; seq++ {
		if !s[voidKey{stream, seq}] {
			return false
		}
	}
	return true
}
