// Package canon writes the canonical binary encoding that the state hashes
// of the ledger and the scheduler are taken over: strings prefixed by
// their length as a varint, a bool as one byte, a time as one 0 byte if
// zero, else 1 and its Unix nanoseconds as 8 bytes big-endian. Two equal
// states encode alike, whatever their histories.
package canon

import (
	"encoding/binary"
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
