package minheap_test

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/scarcitylabs/scarcity/internal/minheap"
)

// job is a task due at a tick, which records its index in the queue.
type job struct {
	name  string
	due   int
	index int
}

// byDue orders jobs by tick, then name.
type byDue struct{}

func (byDue) Compare(a, b *job) int {
	return cmp.Or(cmp.Compare(a.due, b.due), strings.Compare(a.name, b.name))
}

func (byDue) Index(j *job) int       { return j.index }
func (byDue) SetIndex(j *job, i int) { j.index = i }

// A queue of jobs, from which one is cancelled and another moved earlier by
// name, in O(log n) each.
func Example() {
	var queue []*job
	jobs := map[string]*job{}
	for _, j := range []*job{{name: "backup", due: 3}, {name: "report", due: 2}, {name: "sweep", due: 5}, {name: "index", due: 2}} {
		jobs[j.name] = j
		minheap.Push(&queue, byDue{}, j)
	}
	minheap.Remove(&queue, byDue{}, jobs["report"])
	jobs["sweep"].due = 1
	minheap.Fix(queue, byDue{}, jobs["sweep"])

	if j, ok := minheap.Min(queue); ok {
		fmt.Println("next:", j.name)
	}
	for {
		j, ok := minheap.Pop(&queue, byDue{})
		if !ok {
			break
		}
		fmt.Println(j.due, j.name)
	}
	// Output:
	// next: sweep
	// 1 sweep
	// 2 index
	// 3 backup
}
