package auction

// blockCells is the number of cells of a block of a line.
const blockCells = 32

// line is the quantity of one resource booked in each cell of an
// occupancy, cut into blocks of blockCells cells that each keep the most
// any of their cells holds, so that a long run of cells is read a block at
// a time: the quantity in cell i is used[i] + lazy[i/blockCells], and top
// holds, per block, the most of used over its cells.
type line struct {
	used []int64 // per cell, less its block's lazy
	top  []int64 // per block
	lazy []int64 // per block, added to each of its cells
}

// newLine returns a line of cells empty cells.
func newLine(cells int) line {
	blocks := (cells + blockCells - 1) / blockCells
	return line{used: make([]int64, cells), top: make([]int64, blocks), lazy: make([]int64, blocks)}
}

// set sets the quantity in cell i, the line having no lazy additions yet.
func (l *line) set(i int, n int64) {
	l.used[i] = n
	b := i / blockCells
	l.top[b] = max(l.top[b], n)
}

// segment returns the cells [lo, end) of [lo, hi) in lo's block, the
// block, and whether they are the whole block.
func (l *line) segment(lo, hi int) (end, b int, whole bool) {
	b = lo / blockCells
	first, last := b*blockCells, min((b+1)*blockCells, len(l.used))
	end = min(hi, last)
	return end, b, lo == first && end == last
}

// peak returns the most booked in any cell of [lo, hi), 0 if none.
func (l *line) peak(lo, hi int) int64 {
	var p int64
	for lo < hi {
		end, b, whole := l.segment(lo, hi)
		if whole {
			p = max(p, l.top[b]+l.lazy[b])
		} else {
			for _, u := range l.used[lo:end] {
				p = max(p, u+l.lazy[b])
			}
		}
		lo = end
	}
	return p
}

// within reports whether every cell of [lo, hi) holds at most limit.
func (l *line) within(lo, hi int, limit int64) bool {
	for lo < hi {
		end, b, whole := l.segment(lo, hi)
		if whole {
			if l.top[b]+l.lazy[b] > limit {
				return false
			}
		} else {
			for _, u := range l.used[lo:end] {
				if u > limit-l.lazy[b] {
					return false
				}
			}
		}
		lo = end
	}
	return true
}

// add adds n to every cell of [lo, hi).
func (l *line) add(lo, hi int, n int64) {
	for lo < hi {
		end, b, whole := l.segment(lo, hi)
		if whole {
			l.lazy[b] += n
		} else {
			for i := lo; i < end; i++ {
				l.used[i] += n
			}
			l.retop(b)
		}
		lo = end
	}
}

// retop recomputes the top of block b.
func (l *line) retop(b int) {
	var t int64
	for _, u := range l.used[b*blockCells : min((b+1)*blockCells, len(l.used))] {
		t = max(t, u)
	}
	l.top[b] = t
}

// firstOver returns the first cell of [lo, hi) holding more than limit,
// or -1.
func (l *line) firstOver(lo, hi int, limit int64) int {
	for lo < hi {
		end, b, whole := l.segment(lo, hi)
		if !whole || l.top[b]+l.lazy[b] > limit {
			for i := lo; i < end; i++ {
				if l.used[i]+l.lazy[b] > limit {
					return i
				}
			}
		}
		lo = end
	}
	return -1
}

// lastOver returns the last cell of [lo, hi) holding more than limit, or
// -1.
func (l *line) lastOver(lo, hi int, limit int64) int {
	for lo < hi {
		b := (hi - 1) / blockCells
		start := max(lo, b*blockCells)
		whole := start == b*blockCells && hi == min((b+1)*blockCells, len(l.used))
		if !whole || l.top[b]+l.lazy[b] > limit {
			for i := hi - 1; i >= start; i-- {
				if l.used[i]+l.lazy[b] > limit {
					return i
				}
			}
		}
		hi = start
	}
	return -1
}
