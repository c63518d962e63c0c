package minheap

import (
	"cmp"
	"container/heap"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchSizes are the numbers of items one benchmark op goes through.
var benchSizes = []int{1_000, 100_000}

// benchItems returns n items with random priorities, with ties, and
// unique ids, and the order in which a third of them is removed early.
func benchItems(n int) (items []*item, removals []int) {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	items = make([]*item, n)
	for i := range items {
		items[i] = &item{id: i, prio: rng.IntN(n / 4), index: -1}
	}
	return items, rng.Perm(n)[:n/3]
}

// BenchmarkHeap pushes n items, removes a third of them by key as holds
// captured early are, and pops the rest, by priority then id.
func BenchmarkHeap(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			items, removals := benchItems(n)
			h := make([]*item, 0, n)
			b.ReportAllocs()
			for b.Loop() {
				for _, e := range items {
					Push(&h, byPrioID{}, e)
				}
				for _, i := range removals {
					Remove(&h, byPrioID{}, items[i])
				}
				for len(h) > 0 {
					Pop(&h, byPrioID{})
				}
			}
		})
	}
}

// BenchmarkHeapBaseline is the same work on container/heap, as the
// package's callers did it before.
func BenchmarkHeapBaseline(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			items, removals := benchItems(n)
			h := make(stdHeap, 0, n)
			b.ReportAllocs()
			for b.Loop() {
				for _, e := range items {
					heap.Push(&h, e)
				}
				for _, i := range removals {
					heap.Remove(&h, items[i].index)
				}
				for len(h) > 0 {
					heap.Pop(&h)
				}
			}
		})
	}
}

// stdHeap is a container/heap of items by priority, then id.
type stdHeap []*item

func (h stdHeap) Len() int { return len(h) }

func (h stdHeap) Less(i, j int) bool {
	return cmp.Or(cmp.Compare(h[i].prio, h[j].prio), cmp.Compare(h[i].id, h[j].id)) < 0
}

func (h stdHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *stdHeap) Push(x any) {
	e := x.(*item)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *stdHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}
