package ledger

import (
	"fmt"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
	"pgregory.net/rapid"
)

// TestAddExactAsApd checks that addExact, when it applies, gives exactly
// what the ledger's context gives: same form, sign, exponent and
// coefficient, and no error from the context.
func TestAddExactAsApd(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, y := drawDecimal(t, "x"), drawDecimal(t, "y")
		subtract := rapid.Bool().Draw(t, "subtract")
		dc := newContext()
		var want apd.Decimal
		var err error
		if subtract {
			_, err = dc.Sub(&want, x, y)
		} else {
			_, err = dc.Add(&want, x, y)
		}
		var got apd.Decimal
		if !addExact(dc, &got, x, y, subtract) {
			return
		}
		if err != nil {
			t.Fatalf("addExact(%s, %s, %v) = %s, the context fails: %v", x, y, subtract, &got, err)
		}
		if repr(&got) != repr(&want) {
			t.Fatalf("addExact(%s, %s, %v) = %s, the context gives %s", x, y, subtract, repr(&got), repr(&want))
		}
	})
}

// TestAddExactInPlace checks addExact with the result in an operand.
func TestAddExactInPlace(t *testing.T) {
	x, _, _ := apd.NewFromString("12.5")
	y, _, _ := apd.NewFromString("0.75")
	if !addExact(newContext(), x, x, y, true) || x.Text('f') != "11.75" {
		t.Errorf("12.5 - 0.75 in place = %s", x.Text('f'))
	}
}

// drawDecimal draws a decimal near the edges of addExact: coefficients up
// to and beyond 64 bits, exponents around the context's range, signed
// zeros.
func drawDecimal(t *rapid.T, label string) *apd.Decimal {
	d := new(apd.Decimal)
	switch rapid.IntRange(0, 3).Draw(t, label+" kind") {
	case 0:
		d.Coeff.SetUint64(rapid.Uint64Range(0, 2000).Draw(t, label+" small"))
	case 1:
		d.Coeff.SetUint64(rapid.Uint64().Draw(t, label+" coeff"))
	case 2:
		d.Coeff.SetUint64(rapid.Uint64Range(0, 1).Draw(t, label+" zero or one"))
	default:
		if _, ok := d.Coeff.SetString(rapid.StringMatching(`[1-9][0-9]{19,40}`).Draw(t, label+" big"), 10); !ok {
			t.Fatalf("bad big coefficient")
		}
	}
	d.Exponent = rapid.Int32Range(-90, 70).Draw(t, label+" exponent")
	d.Negative = rapid.Bool().Draw(t, label+" negative")
	return d
}

// repr shows every part of d.
func repr(d *apd.Decimal) string {
	return fmt.Sprintf("{form %v neg %v exp %d coeff %s}", d.Form, d.Negative, d.Exponent, d.Coeff.String())
}

// TestParseDecimalAsApd checks that parseDecimal gives what
// events.Decimal.Apd gives, error included.
func TestParseDecimalAsApd(t *testing.T) {
	check := func(t testingT, s string) {
		var got apd.Decimal
		err := parseDecimal(&got, events.Decimal(s))
		want, wantErr := events.Decimal(s).Apd()
		switch {
		case (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error():
			t.Fatalf("parseDecimal(%q): error %v, Apd: %v", s, err, wantErr)
		case err == nil && repr(&got) != repr(want):
			t.Fatalf("parseDecimal(%q) = %s, Apd gives %s", s, repr(&got), repr(want))
		}
	}
	for _, s := range []string{
		"0", "-0", "-0.00", "00", "007", "1.25", "1.250", "-1.5", ".5", "5.", "1.", "-", "", "1e3",
		"+1", "1.2.3", "9999999999999999999", "18446744073709551615", "99999999999999999999", "0.0000000000000000001",
	} {
		check(t, s)
	}
	rapid.Check(t, func(t *rapid.T) {
		check(t, rapid.StringMatching(`-?[0-9]{0,22}(\.[0-9]{0,22})?`).Draw(t, "s"))
	})
}

// TestPlainIDAsValidID checks that the fast path of validID accepts only
// ids that the rune by rune check accepts.
func TestPlainIDAsValidID(t *testing.T) {
	for c := range 256 {
		for _, id := range []string{string(rune(c)), "a" + string([]byte{byte(c)}) + "b"} {
			if plainID(id) && validRunes(id) != nil {
				t.Errorf("plainID accepts %q, which validID refuses: %v", id, validRunes(id))
			}
			if !plainID(id) && validRunes(id) == nil && c < 0x80 {
				t.Errorf("plainID refuses the ASCII id %q, which validID accepts", id)
			}
		}
	}
}

// validRunes is the check of validID's characters without its fast path.
func validRunes(id string) error {
	if !utf8.ValidString(id) {
		return fmt.Errorf("%q is not valid UTF-8", id)
	}
	for _, r := range id {
		if r == ' ' || !unicode.IsPrint(r) {
			return fmt.Errorf("%q holds %q", id, r)
		}
	}
	return nil
}
