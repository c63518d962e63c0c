package events_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/scarcitylabs/scarcity/events"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want events.Decimal
	}{
		{"0", "0"},
		{"12.5", "12.5"},
		{"-3", "-3"},
		{"1.50", "1.50"},
		{"007", "7"},
		{"+5", "5"},
		{".5", "0.5"},
		{"-.25", "-0.25"},
		{"5.", "5"},
		{"-0", "0"},
		{"-0.00", "0.00"},
		{"0.000000001", "0.000000001"},
		{"123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"},
		{strings.Repeat("9", 64), events.Decimal(strings.Repeat("9", 64))},
	}
	for _, tt := range tests {
		got, err := events.ParseDecimal(tt.in)
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDecimal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDecimalRejects(t *testing.T) {
	for _, in := range []string{
		"", " ", " 1", "1 ", "\t5", "5\n", "1e3", "1E3", "1_000", "NaN", "nan", "Inf", "-Infinity", "sNaN",
		"0x10", "1,5", "1.2.3", "--1", "+-1", "-", ".", "abc", "１", "½",
		strings.Repeat("9", 65),
		"." + strings.Repeat("0", 62) + "1", // canonical "0.000…1" would be 65 characters
	} {
		if got, err := events.ParseDecimal(in); !errors.Is(err, events.ErrBadDecimal) {
			t.Errorf("ParseDecimal(%q) = %q, %v; want ErrBadDecimal", in, got, err)
		}
	}
}

func TestDecimalOf(t *testing.T) {
	tests := []struct {
		in   string
		want events.Decimal
	}{
		{"1E+3", "1000"},
		{"12.50", "12.50"},
		{"-1E-2", "-0.01"},
	}
	for _, tt := range tests {
		d, _, err := apd.NewFromString(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := events.DecimalOf(d); got != tt.want {
			t.Errorf("DecimalOf(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := events.DecimalInt(-42); got != "-42" {
		t.Errorf("DecimalInt(-42) = %q", got)
	}
}

func TestDecimalApd(t *testing.T) {
	tests := []struct {
		in      events.Decimal
		want    string
		wantErr bool
	}{
		{"", "0", false},
		{"2.50", "2.50", false},
		{"-7", "-7", false},
		{"x", "", true},
		{"1e2", "", true},
	}
	for _, tt := range tests {
		d, err := tt.in.Apd()
		if tt.wantErr {
			if !errors.Is(err, events.ErrBadDecimal) {
				t.Errorf("Decimal(%q).Apd() error = %v, want ErrBadDecimal", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Decimal(%q).Apd(): %v", tt.in, err)
			continue
		}
		if got := d.Text('f'); got != tt.want {
			t.Errorf("Decimal(%q).Apd() = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDecimalMustApdPanicsOnMalformed(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustApd of a malformed decimal did not panic")
		}
	}()
	events.Decimal("one").MustApd()
}

func TestDecimalJSON(t *testing.T) {
	type doc struct {
		A events.Decimal `json:"a"`
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"a":"-.50"}`), &d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc{A: "-0.50"}, d); diff != "" {
		t.Errorf("unmarshal (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"a":""}`), &d); err != nil || d.A != "" {
		t.Errorf("empty decimal: %q, %v", d.A, err)
	}
	if err := json.Unmarshal([]byte(`{"a":"1e9"}`), &d); !errors.Is(err, events.ErrBadDecimal) {
		t.Errorf("exponent form: error %v, want ErrBadDecimal", err)
	}
	b, err := json.Marshal(doc{A: "12.5"})
	if err != nil || string(b) != `{"a":"12.5"}` {
		t.Errorf("marshal = %s, %v", b, err)
	}
}

// FuzzParseDecimal checks that ParseDecimal never panics, that what it
// accepts is canonical (it parses back to itself), and that the value is
// the one apd reads from the input.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "12.5", "-3", "1.50", ".5", "-0", "+7", "1e3", "NaN", "", "." + strings.Repeat("0", 62) + "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := events.ParseDecimal(s)
		if err != nil {
			if !errors.Is(err, events.ErrBadDecimal) {
				t.Fatalf("ParseDecimal(%q) error %v does not wrap ErrBadDecimal", s, err)
			}
			return
		}
		again, err := events.ParseDecimal(string(d))
		if err != nil {
			t.Fatalf("ParseDecimal(%q) = %q, which does not re-parse: %v", s, d, err)
		}
		if again != d {
			t.Fatalf("ParseDecimal(%q) = %q, re-parses to %q", s, d, again)
		}
		want, _, err := apd.NewFromString(s)
		if err != nil {
			t.Fatalf("ParseDecimal accepted %q, which apd rejects: %v", s, err)
		}
		if want.Cmp(d.MustApd()) != 0 {
			t.Fatalf("ParseDecimal(%q) = %q, a different value", s, d)
		}
	})
}
