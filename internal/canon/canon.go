// Package canon writes the canonical binary encoding that the state hashes
// of the ledger and the scheduler are taken over: strings prefixed by
// their length as a varint, a bool as one byte, a time as one 0 byte if
// zero, else 1 and its Unix nanoseconds as 8 bytes big-endian. Two equal
// states encode alike, whatever their histories.
package canon

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"time"
)

// AppendString appends s, prefixed by its length, to w.
func AppendString(w []byte, s string) []byte {
	if len(s) < 0x80 { // a one-byte varint
		return append(append(w, byte(len(s))), s...)
	}
	w = binary.AppendUvarint(w, uint64(len(s)))
	return append(w, s...)
}

// AppendStrings appends each of ss to w, as AppendString does.
func AppendStrings(w []byte, ss ...string) []byte {
	for _, s := range ss {
		w = AppendString(w, s)
	}
	return w
}

// AppendBool appends b to w as one byte.
func AppendBool(w []byte, b bool) []byte {
	if b {
		return append(w, 1)
	}
	return append(w, 0)
}

// AppendTime appends t to w: one 0 byte if it is zero, else 1 and its Unix
// nanoseconds, 8 bytes big-endian.
func AppendTime(w []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(w, 0)
	}
	return binary.BigEndian.AppendUint64(append(w, 1), uint64(t.UnixNano()))
}

// Hash takes a SHA-256 hash over the canonical encoding written to it, a
// few kilobytes at a time, so that hashing a large state does not first
// copy all of it. Its methods write as the Append functions do.
type Hash struct {
	h   hash.Hash
	buf []byte
}

// hashChunk is how much a Hash buffers before it hashes.
const hashChunk = 16 << 10

// NewHash returns an empty Hash.
func NewHash() *Hash {
	return &Hash{h: sha256.New(), buf: make([]byte, 0, hashChunk+binary.MaxVarintLen64+16)}
}

// String writes s, prefixed by its length.
func (h *Hash) String(s string) {
	if len(h.buf)+len(s) > hashChunk {
		h.flush()
		if len(s) > hashChunk {
			h.buf = binary.AppendUvarint(h.buf, uint64(len(s)))
			h.flush()
			h.h.Write([]byte(s))
			return
		}
	}
	h.buf = AppendString(h.buf, s)
}

// Strings writes each of ss, as String does.
func (h *Hash) Strings(ss ...string) {
	for _, s := range ss {
		h.String(s)
	}
}

// Bool writes b as one byte.
func (h *Hash) Bool(b bool) { h.buf = AppendBool(h.buf, b); h.check() }

// Time writes t as AppendTime does.
func (h *Hash) Time(t time.Time) { h.buf = AppendTime(h.buf, t); h.check() }

// Uvarint writes n as a varint.
func (h *Hash) Uvarint(n uint64) { h.buf = binary.AppendUvarint(h.buf, n); h.check() }

// Varint writes n as a zig-zag varint.
func (h *Hash) Varint(n int64) { h.buf = binary.AppendVarint(h.buf, n); h.check() }

// Uint64 writes n as 8 bytes big-endian.
func (h *Hash) Uint64(n uint64) { h.buf = binary.BigEndian.AppendUint64(h.buf, n); h.check() }

// Sum returns the hash of all that was written, in hex.
func (h *Hash) Sum() string {
	h.flush()
	return hex.EncodeToString(h.h.Sum(nil))
}

func (h *Hash) check() {
	if len(h.buf) >= hashChunk {
		h.flush()
	}
}

func (h *Hash) flush() {
	h.h.Write(h.buf)
	h.buf = h.buf[:0]
}
