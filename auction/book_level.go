package auction

import "slices"

// Level is one price level of a [Book]'s depth: the lots resting at a
// price and the number of orders that hold them.
type Level struct {
	// Price in ticks per lot per second.
	Price int64
	// Qty is the total quantity resting at Price, in lots.
	Qty int64
	// Orders is the number of orders resting at Price.
	Orders int
}

// none marks the absence of an order, a level or a heap position.
const none int32 = -1

// level is a price level: a FIFO of the orders resting at one price,
// linked through their nodes.
type level struct {
	price      int64
	qty        int64
	count      int32
	head, tail int32
}

// bookSide holds the active price levels of one side, sorted so that the
// best price is last: a new best price, the common case, is appended, and
// a level emptied by matching is dropped from the end.
type bookSide struct {
	// keys are the levels' sort keys, ascending: the price for bids, the
	// negated price for asks, so that a higher key is a better price.
	keys   []int64
	levels []int32 // levels[i] is the level whose key is keys[i]
	sign   int64   // 1 for bids, -1 for asks
}

// key returns the sort key of price on this side.
func (s *bookSide) key(price int64) int64 { return s.sign * price }

// find returns the position of price's level, or where it would go.
func (s *bookSide) find(price int64) (int, bool) {
	return slices.BinarySearch(s.keys, s.key(price))
}

// insert adds level li for price at position i.
func (s *bookSide) insert(i int, price int64, li int32) {
	s.keys = slices.Insert(s.keys, i, s.key(price))
	s.levels = slices.Insert(s.levels, i, li)
}

// removeAt drops the level at position i.
func (s *bookSide) removeAt(i int) {
	s.keys = slices.Delete(s.keys, i, i+1)
	s.levels = slices.Delete(s.levels, i, i+1)
}

// best returns the best level, if any.
func (s *bookSide) best() (int32, bool) {
	if len(s.levels) == 0 {
		return none, false
	}
	return s.levels[len(s.levels)-1], true
}

// reset empties the side and keeps its storage.
func (s *bookSide) reset() {
	s.keys = s.keys[:0]
	s.levels = s.levels[:0]
}

// newLevel takes a level from the pool, empty, at price.
func (b *Book) newLevel(price int64) int32 {
	lv := level{price: price, head: none, tail: none}
	if n := len(b.freeLevels); n > 0 {
		li := b.freeLevels[n-1]
		b.freeLevels = b.freeLevels[:n-1]
		b.levels[li] = lv
		return li
	}
	b.levels = append(b.levels, lv)
	return int32(len(b.levels) - 1)
}

// levelFor returns the level at price on side s, adding it if needed.
func (b *Book) levelFor(s *bookSide, price int64) int32 {
	i, ok := s.find(price)
	if ok {
		return s.levels[i]
	}
	li := b.newLevel(price)
	s.insert(i, price, li)
	return li
}

// dropLevel removes the empty level li, at position i of s, and returns it
// to the pool.
func (b *Book) dropLevel(s *bookSide, i int, li int32) {
	s.removeAt(i)
	b.freeLevels = append(b.freeLevels, li)
}

// dropIfEmpty removes level li at price from s if it holds no order.
func (b *Book) dropIfEmpty(s *bookSide, li int32) {
	lv := &b.levels[li]
	if lv.count > 0 {
		return
	}
	if i, ok := s.find(lv.price); ok {
		b.dropLevel(s, i, li)
	}
}
