package auction

import (
	"fmt"
	"slices"
)

// checkUniqueIDs returns an error wrapping ErrInvalidOrder if two orders
// share an ID, naming the first such order in input order. It sorts 64-bit
// hashes of the IDs, which is linear in the number of orders, and compares
// the IDs themselves only when two hashes are equal.
func checkUniqueIDs(orders []Order) error {
	hashes := make([]uint64, len(orders))
	for i := range orders {
		hashes[i] = hashID(orders[i].ID)
	}
	sortHashes(hashes)
	for i := 1; i < len(hashes); i++ {
		if hashes[i] == hashes[i-1] {
			return firstDuplicate(orders)
		}
	}
	return nil
}

// firstDuplicate returns an error naming the first order whose ID an
// earlier order has, or nil if there is none (two IDs shared a hash).
func firstDuplicate(orders []Order) error {
	seen := make(map[string]int, len(orders))
	for i := range orders {
		if j, dup := seen[orders[i].ID]; dup {
			return fmt.Errorf("%w: orders %d and %d share the id %q", ErrInvalidOrder, j, i, orders[i].ID)
		}
		seen[orders[i].ID] = i
	}
	return nil
}

// hashID is 64-bit FNV-1a.
func hashID(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// sortHashes sorts h ascending: a least-significant-digit radix sort by
// bytes for long slices, skipping the bytes on which all hashes agree.
func sortHashes(h []uint64) {
	if len(h) < 1024 {
		slices.Sort(h)
		return
	}
	buf := make([]uint64, len(h))
	src, dst := h, buf
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, x := range src {
			count[byte(x>>shift)]++
		}
		if count[byte(src[0]>>shift)] == len(src) {
			continue
		}
		sum := 0
		for i, n := range count {
			count[i] = sum
			sum += n
		}
		for _, x := range src {
			d := byte(x >> shift)
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &h[0] {
		copy(h, src)
	}
}
