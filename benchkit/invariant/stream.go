package invariant

import (
	"errors"
	"hash/maphash"

	"github.com/scarcitylabs/scarcity/events"
)

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

// fills reports whether every sequence from first to last of the stream k
// is a void event's.
func (s voidSet) fills(k streamKey, first, last uint64) bool {
	if last-first >= uint64(len(s)) {
		return false
	}
	for seq := first; seq <= last; seq++ {
		if !s[voidKey{k, seq}] {
			return false
		}
	}
	return true
}

// CheckSequences returns nil or an error joining a *Violation named
// "sequences_gap_free" for every event whose sequence does not follow the
// previous one of its source and correlation: the first must be 1, then
// each the one before plus one. A gap means lost events; a repeat or a step
// back means an event published twice or out of order. The sequences of
// void events (a group cut short: events.Verify) are skipped, not missing.
func CheckSequences(evs []events.Event) error {
	r, _ := verified(evs, Options{})
	return join(inOrder(sequences(r)))
}

type streamKey struct {
	source      events.Source
	correlation string
}

func sequences(rp replay) []finding {
	r := newRecorder(SequencesGapFree)
	last := make(map[streamKey]*uint64)
	var key streamKey // of cur, the last stream looked up
	var cur *uint64
	for i, e := range rp.evs {
		if k := (streamKey{e.Source, e.Correlation}); cur == nil || k != key {
			if cur = last[k]; cur == nil {
				cur = new(uint64)
				last[k] = cur
			}
			key = k
		}
		prev := *cur
		r.at(i, e)
		switch {
		case e.Sequence == prev+1:
		case e.Sequence > prev+1 && rp.void.fills(key, prev+1, e.Sequence-1):
		case e.Sequence > prev+1 && prev == 0:
			r.flag("first %s event has sequence %d, not 1", e.Source, e.Sequence)
		case e.Sequence > prev+1:
			r.flag("%s sequence %d follows %d: %d events missing", e.Source, e.Sequence, prev, e.Sequence-prev-1)
		default:
			r.flag("%s sequence %d does not follow %d: repeated or out of order", e.Source, e.Sequence, prev)
		}
		*cur = max(prev, e.Sequence)
	}
	return r.found
}

// CheckIdentities returns nil or an error joining a *Violation for every
// event whose id is empty or already used by an earlier event
// ("ids_unique"), and for every event whose causation is not empty and
// names no earlier event of the stream ("causation_resolves"): an event can
// only be caused by one published before it.
func CheckIdentities(evs []events.Event) error { return join(inOrder(identities(evs))) }

func identities(evs []events.Event) []finding {
	ids := newRecorder(IDsUnique)
	causes := newRecorder(CausationResolves)
	seen := newIDSet(evs)
	for i, e := range evs {
		if e.Causation != "" && seen.find(e.Causation) < 0 {
			causes.at(i, e)
			causes.flag("causation %q names no earlier event", e.Causation)
		}
		if e.ID == "" {
			ids.at(i, e)
			ids.flag("%v has no id", e)
			continue
		}
		if j := seen.find(e.ID); j >= 0 {
			ids.at(i, e)
			ids.flag("id already used by %v at position %d", evs[j], j)
			continue
		}
		seen.add(i)
	}
	return append(ids.found, causes.found...)
}

// idSet is the set of the ids of a stream's events seen so far. It keys
// positions by a hash of the id, which keeps its table small; ids whose
// hash an earlier id already has are kept by id.
type idSet struct {
	evs      []events.Event
	seed     maphash.Seed
	byHash   map[uint64]int32
	collided map[string]int
}

func newIDSet(evs []events.Event) *idSet {
	return &idSet{evs: evs, seed: maphash.MakeSeed(), byHash: make(map[uint64]int32, len(evs))}
}

// find returns the position of the event with id, or -1.
func (s *idSet) find(id string) int {
	if j, ok := s.byHash[maphash.String(s.seed, id)]; ok && s.evs[j].ID == id {
		return int(j)
	}
	if j, ok := s.collided[id]; ok {
		return j
	}
	return -1
}

// add adds the id of the event at position i, which find does not know.
func (s *idSet) add(i int) {
	id := s.evs[i].ID
	h := maphash.String(s.seed, id)
	if _, taken := s.byHash[h]; !taken && i <= 1<<31-1 {
		s.byHash[h] = int32(i)
		return
	}
	if s.collided == nil {
		s.collided = make(map[string]int)
	}
	s.collided[id] = i
}
