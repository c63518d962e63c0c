package benchkit

import (
	"hash/maphash"

	"github.com/scarcitylabs/scarcity/events"
)

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
