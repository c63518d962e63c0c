package minheap

import (
	"cmp"
	"container/heap"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// item is an entry of the heaps under test, keyed by id.
type item struct {
	id, prio int
	index    int // in its heap, or -1
}

// byPrioID orders items by priority, then id: every tie is broken.
type byPrioID struct{}

func (byPrioID) Compare(a, b *item) int {
	if c := cmp.Compare(a.prio, b.prio); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

func (byPrioID) Index(e *item) int       { return e.index }
func (byPrioID) SetIndex(e *item, i int) { e.index = i }

// byPrio orders items by priority alone, leaving ties to the heap.
type byPrio struct{}

func (byPrio) Compare(a, b *item) int  { return cmp.Compare(a.prio, b.prio) }
func (byPrio) Index(e *item) int       { return e.index }
func (byPrio) SetIndex(e *item, i int) { e.index = i }

// twin is a container/heap of items by priority alone: what the package
// replaces, against which its ties must break the same way.
type twin []*item

func (t twin) Len() int           { return len(t) }
func (t twin) Less(i, j int) bool { return t[i].prio < t[j].prio }

func (t twin) Swap(i, j int) {
	t[i], t[j] = t[j], t[i]
	t[i].index, t[j].index = i, j
}

func (t *twin) Push(x any) {
	e := x.(*item)
	e.index = len(*t)
	*t = append(*t, e)
}

func (t *twin) Pop() any {
	old := *t
	e := old[len(old)-1]
	*t = old[:len(old)-1]
	e.index = -1
	return e
}

// heapMachine drives three heaps through the same random pushes, pops,
// removals and updates by id, and rebuilds: total, by priority then id,
// checked against model, a slice kept sorted; ties, by priority alone, and
// twin, the same under container/heap, checked to hold the same ids at the
// same indexes. A pop from ties may take another id than one from total.
type heapMachine struct {
	total, ties []*item
	twin        twin
	model       []*item          // the items of total, sorted
	byID        [3]map[int]*item // the items of total, ties and twin by id
	next        int
}

func (m *heapMachine) init() {
	for i := range m.byID {
		m.byID[i] = map[int]*item{}
	}
}

func (m *heapMachine) push(t *rapid.T) {
	id, prio := m.next, rapid.IntRange(0, 9).Draw(t, "prio")
	m.next++
	var es [3]*item
	for i := range es {
		es[i] = &item{id: id, prio: prio, index: -1}
		m.byID[i][id] = es[i]
	}
	Push(&m.total, byPrioID{}, es[0])
	Push(&m.ties, byPrio{}, es[1])
	heap.Push(&m.twin, es[2])
	at, _ := slices.BinarySearchFunc(m.model, es[0], byPrioID{}.Compare)
	m.model = slices.Insert(m.model, at, es[0])
}

func (m *heapMachine) pop(t *rapid.T) {
	got, ok := Pop(&m.total, byPrioID{})
	if ok != (len(m.model) > 0) {
		t.Fatalf("Pop ok = %v with %d items", ok, len(m.model))
	}
	if ok {
		if want := m.model[0]; got != want || got.index != -1 {
			t.Fatalf("Pop = %+v, want %+v with index -1", *got, *want)
		}
		m.model = m.model[1:]
		delete(m.byID[0], got.id)
	}
	if a, ok := Pop(&m.ties, byPrio{}); ok {
		b := heap.Pop(&m.twin).(*item)
		if a.id != b.id {
			t.Fatalf("Pop by priority = id %d, container/heap pops id %d", a.id, b.id)
		}
		delete(m.byID[1], a.id)
		delete(m.byID[2], b.id)
	}
}

// drawID draws an id that was pushed, in the heaps or not.
func (m *heapMachine) drawID(t *rapid.T) int {
	if m.next == 0 {
		t.Skip("nothing pushed")
	}
	return rapid.IntRange(0, m.next-1).Draw(t, "id")
}

func (m *heapMachine) remove(t *rapid.T) {
	id := m.drawID(t)
	if e, in := m.byID[0][id]; !in {
		if Remove(&m.total, byPrioID{}, &item{id: id, index: -1}) {
			t.Fatalf("Remove(%d) = true for an item not in the heap", id)
		}
	} else {
		if !Remove(&m.total, byPrioID{}, e) || e.index != -1 {
			t.Fatalf("Remove(%d) = false or left index %d", id, e.index)
		}
		m.model = slices.DeleteFunc(m.model, func(x *item) bool { return x == e })
		delete(m.byID[0], id)
	}
	if e, in := m.byID[1][id]; in {
		Remove(&m.ties, byPrio{}, e)
		heap.Remove(&m.twin, m.byID[2][id].index)
		delete(m.byID[1], id)
		delete(m.byID[2], id)
	}
}

func (m *heapMachine) update(t *rapid.T) {
	id := m.drawID(t)
	prio := rapid.IntRange(0, 9).Draw(t, "prio")
	if e, in := m.byID[0][id]; !in {
		if Fix(m.total, byPrioID{}, &item{id: id, index: -1}) {
			t.Fatalf("Fix(%d) = true for an item not in the heap", id)
		}
	} else {
		e.prio = prio
		if !Fix(m.total, byPrioID{}, e) {
			t.Fatalf("Fix(%d) = false for an item in the heap", id)
		}
		slices.SortFunc(m.model, byPrioID{}.Compare)
	}
	if e, in := m.byID[1][id]; in {
		e.prio, m.byID[2][id].prio = prio, prio
		Fix(m.ties, byPrio{}, e)
		heap.Fix(&m.twin, m.byID[2][id].index)
	}
}

// rebuild drops the items of one priority and orders what is left anew, as
// a compaction does.
func (m *heapMachine) rebuild(t *rapid.T) {
	prio := rapid.IntRange(0, 9).Draw(t, "drop")
	drop := func(e *item) bool { return e.prio == prio }
	for i, h := range [][]*item{m.total, m.ties, m.twin} {
		for _, e := range h {
			if drop(e) {
				delete(m.byID[i], e.id)
			}
		}
	}
	m.model = slices.DeleteFunc(m.model, drop)
	m.total = slices.DeleteFunc(m.total, drop)
	m.ties = slices.DeleteFunc(m.ties, drop)
	m.twin = slices.DeleteFunc(m.twin, drop)
	Init(m.total, byPrioID{})
	Init(m.ties, byPrio{})
	heap.Init(&m.twin)
	for i, e := range m.twin { // container/heap's Init leaves unmoved items' indexes to its caller
		e.index = i
	}
}

func (m *heapMachine) head(t *rapid.T) {
	prio := rapid.IntRange(-1, 10).Draw(t, "upto")
	got := Head(m.total, byPrioID{}, func(e *item) bool { return e.prio <= prio })
	n, _ := slices.BinarySearchFunc(m.model, prio+1, func(e *item, p int) int { return cmp.Compare(e.prio, p) })
	if want := m.model[:n]; !slices.Equal(got, want) {
		t.Fatalf("Head(prio <= %d) = %v, want %v", prio, ids(got), ids(want))
	}
}

// check holds after every step: the least item and every index are right,
// and the two heaps by priority hold the same ids at the same indexes.
func (m *heapMachine) check(t *rapid.T) {
	if len(m.total) != len(m.model) || len(m.ties) != len(m.twin) {
		t.Fatalf("%d items, want %d; %d by priority, %d in container/heap", len(m.total), len(m.model), len(m.ties), len(m.twin))
	}
	got, ok := Min(m.total)
	if ok != (len(m.model) > 0) || ok && got != m.model[0] {
		t.Fatalf("Min = %v, %v, want %v", got, ok, ids(m.model[:min(1, len(m.model))]))
	}
	for i, e := range m.total {
		if e.index != i || m.byID[0][e.id] != e {
			t.Fatalf("item %d at %d records index %d", e.id, i, e.index)
		}
		if i > 0 && (byPrioID{}).Compare(e, m.total[(i-1)/2]) < 0 {
			t.Fatalf("item %d at %d is less than its parent", e.id, i)
		}
	}
	for i := range m.ties {
		if a, b := m.ties[i], m.twin[i]; a.id != b.id || a.index != i || b.index != i || m.byID[1][a.id] != a {
			t.Fatalf("at %d: item %d (index %d), container/heap has %d (index %d)", i, a.id, a.index, b.id, b.index)
		}
	}
}

// ids returns the ids of items.
func ids(items []*item) []int {
	out := make([]int, len(items))
	for i, e := range items {
		out[i] = e.id
	}
	return out
}

func TestHeapMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &heapMachine{}
		m.init()
		t.Repeat(map[string]func(*rapid.T){
			"push":    m.push,
			"pop":     m.pop,
			"remove":  m.remove,
			"update":  m.update,
			"rebuild": m.rebuild,
			"head":    m.head,
			"":        m.check,
		})
	})
}

// TestEmpty checks the calls on an empty heap.
func TestEmpty(t *testing.T) {
	var h []*item
	if e, ok := Min(h); ok || e != nil {
		t.Errorf("Min = %v, %v, want nil, false", e, ok)
	}
	if e, ok := Pop(&h, byPrioID{}); ok || e != nil {
		t.Errorf("Pop = %v, %v, want nil, false", e, ok)
	}
	if got := Head(h, byPrioID{}, func(*item) bool { return true }); got != nil {
		t.Errorf("Head = %v, want nil", got)
	}
	Init(h, byPrioID{})
}
