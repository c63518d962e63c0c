package canon

import (
	"bytes"
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
