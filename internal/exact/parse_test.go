package exact_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

// grammarEdges are inputs at the edges of the grammar, with the value
// Parse reads as apd prints it ("" for a rejection) and whether ParseWord
// reads it too.
var grammarEdges = []struct {
	in   string
	want string
	word bool
}{
	{"0", "0", true},
	{"12.5", "12.5", true},
	{"1.50", "1.50", true},
	{"1.", "1", true},
	{".5", "0.5", true},
	{"-.25", "-0.25", true},
	{"-0", "0", true},
	{"-0.00", "0.00", true},
	{"00", "0", true},
	{"007", "7", true},
	{"+1", "1", true},
	{"-1", "-1", true},
	{"0.000000001", "1E-9", true},
	{"9999999999999999999", "9999999999999999999", true},                          // 19 digits
	{"-999999999.9999999999", "-999999999.9999999999", true},                      // 19 digits and a point
	{"0000000000000000000000001", "1", true},                                      // leading zeros are not significant
	{"18446744073709551615", "18446744073709551615", false},                       // 20 digits
	{"99999999999999999999", "99999999999999999999", false},                       // 20 digits
	{strings.Repeat("9", exact.MaxLen), strings.Repeat("9", exact.MaxLen), false}, // MaxLen bytes
	{"-." + strings.Repeat("0", exact.MaxLen-3) + "1", "-1E-62", true},
	{strings.Repeat("9", exact.MaxLen+1), "", false},
	{"-" + strings.Repeat("1", exact.MaxLen), "", false},
	{"", "", false},
	{".", "", false},
	{"-", "", false},
	{"+", "", false},
	{"-.", "", false},
	{"--1", "", false},
	{"+-1", "", false},
	{"-+1", "", false},
	{"1.2.3", "", false},
	{"..5", "", false},
	{"1e3", "", false},
	{"1E3", "", false},
	{"1e-3", "", false},
	{"NaN", "", false},
	{"nan", "", false},
	{"sNaN", "", false},
	{"Inf", "", false},
	{"-Infinity", "", false},
	{" 1", "", false},
	{"1 ", "", false},
	{"1 0", "", false},
	{"\t5", "", false},
	{"5\n", "", false},
	{"1_000", "", false},
	{"1,5", "", false},
	{"0x10", "", false},
	{"１", "", false},
	{"½", "", false},
}

func TestParse(t *testing.T) {
	for _, tt := range grammarEdges {
		d, err := exact.Parse(tt.in)
		switch {
		case tt.want == "" && !errors.Is(err, exact.ErrSyntax):
			t.Errorf("Parse(%q) = %v, %v; want ErrSyntax", tt.in, d, err)
		case tt.want == "":
		case err != nil:
			t.Errorf("Parse(%q): %v", tt.in, err)
		case d.String() != tt.want:
			t.Errorf("Parse(%q) = %s, want %s", tt.in, d, tt.want)
		}
	}
}

func TestParseWord(t *testing.T) {
	for _, tt := range grammarEdges {
		coeff, exp, neg, ok := exact.ParseWord(tt.in)
		if ok != tt.word {
			t.Errorf("ParseWord(%q) ok = %t, want %t", tt.in, ok, tt.word)
			continue
		}
		if !ok {
			continue
		}
		got := new(apd.Decimal).SetFinite(0, exp)
		got.Coeff.SetUint64(coeff)
		got.Negative = neg
		if got.String() != tt.want {
			t.Errorf("ParseWord(%q) = %d, %d, %t: %s, want %s", tt.in, coeff, exp, neg, got, tt.want)
		}
	}
}

// oldAccepts is the parser events used before this package: what apd
// reads as a finite number, at most MaxLen bytes, none of a list of
// characters. Parse accepts exactly what it accepted.
func oldAccepts(s string) bool {
	if s == "" || len(s) > exact.MaxLen || strings.ContainsAny(s, "eEinfINFaA_ ") {
		return false
	}
	d, _, err := apd.NewFromString(s)
	return err == nil && d.Form == apd.Finite
}

// FuzzParse checks that Parse never panics; that what it accepts is the
// value apd.NewFromString reads, coefficient and exponent alike, a
// negative zero aside; that the value round-trips through apd's String
// and through its plain form; that ParseWord reads the same whenever the
// coefficient fits; and that Parse accepts exactly what events' parser
// accepted before it.
func FuzzParse(f *testing.F) {
	for _, tt := range grammarEdges {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := exact.Parse(s)
		coeff, exp, neg, ok := exact.ParseWord(s)
		if old := oldAccepts(s); old != (err == nil) {
			t.Fatalf("Parse(%q) error %v; the old parser accepted it: %t", s, err, old)
		}
		if err != nil {
			if !errors.Is(err, exact.ErrSyntax) || ok {
				t.Fatalf("Parse(%q) error %v (want ErrSyntax), ParseWord ok %t", s, err, ok)
			}
			return
		}
		want, _, err := apd.NewFromString(s)
		if err != nil {
			t.Fatalf("Parse accepted %q, which apd rejects: %v", s, err)
		}
		if want.Cmp(d) != 0 || want.Exponent != d.Exponent || want.Coeff.Cmp(&d.Coeff) != 0 ||
			d.Negative != (want.Negative && !want.IsZero()) || d.Form != apd.Finite {
			t.Fatalf("Parse(%q) = %s, apd reads %s", s, d, want)
		}
		back, _, err := apd.NewFromString(d.String())
		if err != nil || back.Cmp(d) != 0 || back.Exponent != d.Exponent {
			t.Fatalf("Parse(%q) = %s, which apd reads back as %v, %v", s, d, back, err)
		}
		if plain := d.Text('f'); len(plain) <= exact.MaxLen {
			again, err := exact.Parse(plain)
			if err != nil || again.String() != d.String() {
				t.Fatalf("Parse(%q) = %s, whose plain form %q reads back as %v, %v", s, d, plain, again, err)
			}
		}
		fits := d.IsZero() || d.NumDigits() <= exact.MaxWordDigits
		if ok != fits {
			t.Fatalf("ParseWord(%q) ok = %t for %s", s, ok, d)
		}
		if ok && (!d.Coeff.IsUint64() || d.Coeff.Uint64() != coeff || d.Exponent != exp || d.Negative != neg) {
			t.Fatalf("ParseWord(%q) = %d, %d, %t; Parse reads %s", s, coeff, exp, neg, d)
		}
	})
}

func BenchmarkParseWord(b *testing.B) {
	for b.Loop() {
		exact.ParseWord("-12345.678901")
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := exact.Parse("-12345.678901"); err != nil {
			b.Fatal(err)
		}
	}
}
