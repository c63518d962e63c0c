package canon

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func TestEncoding(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC)
	for _, tt := range []struct {
		name string
		got  []byte
		want []byte
	}{
		{"short string", AppendString(nil, "ab"), []byte{2, 'a', 'b'}},
		{"long string", AppendString(nil, strings.Repeat("x", 200))[:2], []byte{0xc8, 0x01}},
		{"strings", AppendStrings(nil, "a", ""), []byte{1, 'a', 0}},
		{"bools", AppendBool(AppendBool(nil, true), false), []byte{1, 0}},
		{"zero time", AppendTime(nil, time.Time{}), []byte{0}},
		{"time", AppendTime(nil, at), []byte{1, 0x18, 0x86, 0x72, 0x51, 0xed, 0xfa, 0x00, 0x05}},
	} {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s: % x, want % x", tt.name, tt.got, tt.want)
		}
	}
	// A string's length prefix keeps "ab"+"c" apart from "a"+"bc".
	if bytes.Equal(AppendStrings(nil, "ab", "c"), AppendStrings(nil, "a", "bc")) {
		t.Error("two splits of one text encode alike")
	}
	// The same instant in another zone encodes alike.
	if !bytes.Equal(AppendTime(nil, at), AppendTime(nil, at.In(time.FixedZone("x", 3600)))) {
		t.Error("an instant's zone changes its encoding")
	}
}

// TestHash checks that a Hash hashes exactly what the Append functions
// write, across its buffer's boundaries and for strings longer than it.
func TestHash(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC)
	long := strings.Repeat("y", 3*hashChunk)
	h, w := NewHash(), []byte(nil)
	for i := range 5000 {
		s := strings.Repeat("x", i%300)
		if i%1000 == 999 {
			s = long
		}
		h.Strings(s, "z")
		w = AppendStrings(w, s, "z")
		h.Bool(i%2 == 0)
		w = AppendBool(w, i%2 == 0)
		h.Time(at)
		w = AppendTime(w, at)
		h.Uvarint(uint64(i))
		w = binary.AppendUvarint(w, uint64(i))
		h.Varint(-int64(i))
		w = binary.AppendVarint(w, -int64(i))
		h.Uint64(uint64(i))
		w = binary.BigEndian.AppendUint64(w, uint64(i))
	}
	sum := sha256.Sum256(w)
	if got, want := h.Sum(), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Hash = %s, want %s (the hash of the appended encoding)", got, want)
	}
}
