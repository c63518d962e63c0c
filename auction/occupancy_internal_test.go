package auction

import (
	"testing"

	"pgregory.net/rapid"
)

// TestLineMatchesCells checks a line against a plain slice of cells over
// random loads, additions and removals, and queries of random runs, long
// enough to span many blocks.
func TestLineMatchesCells(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 5*blockCells).Draw(t, "cells")
		l, model := newLine(n), make([]int64, n)
		for i := range n {
			if rapid.Bool().Draw(t, "loaded") {
				model[i] = rapid.Int64Range(0, 20).Draw(t, "load")
				l.set(i, model[i])
			}
		}
		var added [][3]int64 // lo, hi, n of additions not yet removed
		for range rapid.IntRange(0, 40).Draw(t, "steps") {
			lo := rapid.IntRange(0, n).Draw(t, "lo")
			hi := rapid.IntRange(lo, n).Draw(t, "hi")
			limit := rapid.Int64Range(0, 40).Draw(t, "limit")
			checkLine(t, &l, model, lo, hi, limit)
			if len(added) > 0 && rapid.IntRange(0, 3).Draw(t, "remove") == 0 {
				a := added[len(added)-1]
				added = added[:len(added)-1]
				l.add(int(a[0]), int(a[1]), -a[2])
				for i := a[0]; i < a[1]; i++ {
					model[i] -= a[2]
				}
				continue
			}
			q := rapid.Int64Range(0, 10).Draw(t, "quantity")
			l.add(lo, hi, q)
			for i := lo; i < hi; i++ {
				model[i] += q
			}
			added = append(added, [3]int64{int64(lo), int64(hi), q})
		}
	})
}

// checkLine compares the queries of l over [lo, hi) with the cells.
func checkLine(t *rapid.T, l *line, cells []int64, lo, hi int, limit int64) {
	var peak int64
	first, last := -1, -1
	for i := lo; i < hi; i++ {
		peak = max(peak, cells[i])
		if cells[i] > limit {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if got := l.peak(lo, hi); got != peak {
		t.Fatalf("peak(%d, %d) = %d, want %d", lo, hi, got, peak)
	}
	if got := l.within(lo, hi, limit); got != (first < 0) {
		t.Fatalf("within(%d, %d, %d) = %t, want %t", lo, hi, limit, got, first < 0)
	}
	if got := l.firstOver(lo, hi, limit); got != first {
		t.Fatalf("firstOver(%d, %d, %d) = %d, want %d", lo, hi, limit, got, first)
	}
	if got := l.lastOver(lo, hi, limit); got != last {
		t.Fatalf("lastOver(%d, %d, %d) = %d, want %d", lo, hi, limit, got, last)
	}
}
