package ledger

import "github.com/cockroachdb/apd/v3"

// slabSize is how many decimals one allocation of a slab holds.
const slabSize = 64

// slab hands out decimals from chunks of slabSize, one allocation per chunk
// instead of one per decimal: the balances, amounts and hold figures a write
// computes. The ledger never changes a decimal once it holds it (a change
// replaces it), so decimals can share a chunk; a chunk is freed once none of
// its decimals is referenced. A slab is not safe for concurrent use: the
// ledger uses its slab with its write lock held.
type slab struct {
	free []apd.Decimal
}

// new returns a zero decimal.
func (s *slab) new() *apd.Decimal {
	if len(s.free) == 0 {
		s.free = make([]apd.Decimal, slabSize)
	}
	d := &s.free[0]
	s.free = s.free[1:]
	return d
}
