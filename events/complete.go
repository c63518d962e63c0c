package events

// Complete returns the events of evs that belong to batches stored whole,
// in their order, and the void batches: those of which some events are
// missing. A void batch never happened — its writer failed to publish it
// and was rebuilt from the stream — so a reader rebuilding state skips its
// events, and a gap-free check skips its range ([Voids.Skip]).
//
// A batch is identified by its events' source, correlation and range
// (BatchFirst..BatchLast); events of one-event batches carry no range and
// are always complete. evs must hold each event once, as transports that
// deduplicate by id deliver it; it is returned itself when nothing is void.
func Complete(evs []Event) ([]Event, Voids) {
	seen := make(map[batchKey]uint64) // events present per batch, by key
	for _, e := range evs {
		if e.BatchFirst != 0 {
			seen[keyOf(e)]++
		}
	}
	var void Voids
	for k, n := range seen {
		if n < k.last-k.first+1 {
			if void == nil {
				void = make(Voids)
			}
			void[voidKey{k.source, k.correlation, k.first}] = k.last
		}
	}
	if void == nil {
		return evs, nil
	}
	kept := make([]Event, 0, len(evs))
	for _, e := range evs {
		if e.BatchFirst == 0 || !void.has(e) {
			kept = append(kept, e)
		}
	}
	return kept, void
}

// Voids are the void batches of a stream: the last sequence of each, by
// source, correlation and first sequence. The zero value holds none.
type Voids map[voidKey]uint64

type voidKey struct {
	source      Source
	correlation string
	first       uint64
}

type batchKey struct {
	source      Source
	correlation string
	first, last uint64
}

func keyOf(e Event) batchKey {
	return batchKey{e.Source, e.Correlation, e.BatchFirst, e.BatchLast}
}

func (v Voids) has(e Event) bool {
	last, ok := v[voidKey{e.Source, e.Correlation, e.BatchFirst}]
	return ok && last == e.BatchLast
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
