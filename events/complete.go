package events

import (
	"cmp"
	"slices"
)

// Complete returns the events of evs that belong to batches stored whole,
// in their order, and the void batches: those a writer failed to publish in
// full (its publish was in doubt, see [ErrInDoubt]) and that never happened.
// A reader rebuilding state skips their events, and a gap-free check skips
// their sequences ([Voids.Skip]).
//
// A batch stored in part is void only where its writer is known to have
// given it up: it is the last batch of its source and correlation in evs,
// or a later batch takes over its range. (A Sequencer moved past a void
// batch by SkipVoid starts its next batch's range at the void one's first
// sequence.) Any other batch with events missing is kept as it is, so that
// the gap shows: events lost in transport are never mistaken for a void.
//
// A batch is identified by its events' source, correlation and range
// (BatchFirst..BatchLast); events of one-event batches carry no range.
// evs is returned itself when nothing is void.
func Complete(evs []Event) ([]Event, Voids) {
	groups := make(map[voidKey][]batchPart)
	lastSeq := make(map[streamKey]*uint64)
	var sk streamKey // of the last event, whose stream's last is *cur
	var cur *uint64
	for _, e := range evs {
		if k := (streamKey{e.Source, e.Correlation}); cur == nil || k != sk {
			if cur = lastSeq[k]; cur == nil {
				cur = new(uint64)
				lastSeq[k] = cur
			}
			sk = k
		}
		*cur = max(*cur, e.Sequence)
		if e.BatchFirst == 0 {
			continue
		}
		k := voidKey{e.Source, e.Correlation, e.BatchFirst}
		groups[k] = addSeq(groups[k], e.BatchLast, e.Sequence)
	}
	var void Voids
	for k, parts := range groups {
		for _, v := range voidParts(parts, k.first, *lastSeq[streamKey{k.source, k.correlation}]) {
			if void == nil {
				void = make(Voids)
			}
			void[voidKey{k.source, k.correlation, v.from}] = v.last
		}
	}
	if void == nil {
		return evs, nil
	}
	kept := make([]Event, 0, len(evs))
	for _, e := range evs {
		if !void.has(e) {
			kept = append(kept, e)
		}
	}
	return kept, void
}

// Voids are the void batches of a stream: the sequences each one covers,
// by source, correlation and first sequence. The zero value holds none.
type Voids map[voidKey]uint64

type voidKey struct {
	source      Source
	correlation string
	first       uint64
}

type streamKey struct {
	source      Source
	correlation string
}

// batchPart is one batch among those whose ranges start at the same
// sequence: the one ending at last, and the sequences of its events
// present.
type batchPart struct {
	last uint64
	seqs []uint64
}

// voidSpan is the range from..last of a void batch.
type voidSpan struct{ from, last uint64 }

func addSeq(parts []batchPart, last, seq uint64) []batchPart {
	for i := range parts {
		if parts[i].last == last {
			parts[i].seqs = append(parts[i].seqs, seq)
			return parts
		}
	}
	return append(parts, batchPart{last: last, seqs: []uint64{seq}})
}

// voidParts returns the void spans among the batches whose ranges start at
// first: each takes over the one before it, so it owns the sequences after
// that one's last. A batch is void if events are missing and a later one
// takes over, or it is the last of its stream (no sequence beyond it).
func voidParts(parts []batchPart, first, streamLast uint64) []voidSpan {
	slices.SortFunc(parts, func(a, b batchPart) int { return cmp.Compare(a.last, b.last) })
	var out []voidSpan
	from := first
	for i, p := range parts {
		slices.Sort(p.seqs)
		have := len(slices.Compact(p.seqs))
		whole := uint64(have) == p.last-from+1
		if !whole && (i < len(parts)-1 || streamLast <= p.last) {
			out = append(out, voidSpan{from, p.last})
		}
		from = p.last + 1
	}
	return out
}

// has reports whether e belongs to a void batch.
func (v Voids) has(e Event) bool {
	if e.BatchFirst == 0 {
		return false
	}
	for from := e.BatchFirst; ; {
		last, ok := v[voidKey{e.Source, e.Correlation, from}]
		if !ok || last > e.BatchLast {
			return false
		}
		if last == e.BatchLast {
			return true
		}
		from = last + 1
	}
}

// Skip returns last moved past the void batches of source and correlation
// that follow it: the sequence the next event of a gap-free stream follows.
// Use it before checking that an event follows last, and after the last
// event, to resume a writer's sequence beyond its void batches.
func (v Voids) Skip(source Source, correlation string, last uint64) uint64 {
	for {
		next, ok := v[voidKey{source, correlation, last + 1}]
		if !ok {
			return last
		}
		last = next
	}
}

// Len returns the number of void batches.
func (v Voids) Len() int { return len(v) }
