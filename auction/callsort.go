package auction

import "slices"

// sortSides sorts b.buys into price descending and b.sells into price
// ascending order, each then by Seq, then ID (Order.Before). Long sides are
// sorted by a stable least-significant-digit radix sort on the bytes of Seq
// and then of the price, skipping the bytes on which all keys agree, which
// is linear in the number of orders; runs of keys with the same price and
// Seq are then sorted by ID.
func (b *book) sortSides() {
	buf := make([]bookKey, max(len(b.buys), len(b.sells)))
	b.sortSide(b.buys, buf, ^uint32(0), b.bidOrder)
	b.sortSide(b.sells, buf, 0, b.askOrder)
}

// sortSide sorts keys by price XOR flip (flip = all ones sorts prices
// descending), then Seq, then ID; order is the same ordering as a
// comparison.
func (b *book) sortSide(keys, buf []bookKey, flip uint32, order func(x, y bookKey) int) {
	if len(keys) < 256 {
		slices.SortFunc(keys, order)
		return
	}
	src, dst := keys, buf[:len(keys)]
	for d := range 12 { // 8 bytes of Seq, then 4 of the price
		if radixPass(src, dst, d, flip) {
			src, dst = dst, src
		}
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].seq == keys[i].seq && keys[j].price == keys[i].price {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], b.timeOrder)
		}
		i = j
	}
}

// digit returns byte d of k's sort word: bytes 0 to 7 are Seq's, from the
// least significant, and 8 to 11 the price's XOR flip.
func digit(k *bookKey, d int, flip uint32) byte {
	if d < 8 {
		return byte(k.seq >> (8 * d))
	}
	return byte((k.price ^ flip) >> (8 * (d - 8)))
}

// radixPass distributes src into dst stably by byte d, and reports whether
// it did: it does nothing when every key has the same byte d.
func radixPass(src, dst []bookKey, d int, flip uint32) bool {
	var count [256]int
	for i := range src {
		count[digit(&src[i], d, flip)]++
	}
	if count[digit(&src[0], d, flip)] == len(src) {
		return false
	}
	sum := 0
	for i, n := range count {
		count[i] = sum
		sum += n
	}
	for i := range src {
		x := digit(&src[i], d, flip)
		dst[count[x]] = src[i]
		count[x]++
	}
	return true
}
