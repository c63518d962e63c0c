package benchkit

import (
	"github.com/scarcitylabs/scarcity/events"
)

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
