package invariant

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/events"
)

// parse agrees with events.Decimal.Apd on every string, plain or
// not.
func TestParseDecimalAgreesWithApd(t *testing.T) {
	for _, s := range []string{"0", "-0", "0.00", "12.50", "-3", ".5", "5.", "-", ".", "1e3", "--1", "1.2.3",
		"123456789012345678", "1234567890123456789", "-0.000000000000000001", "+1", " 1", "NaN"} {
		compareParse(t, s)
	}
	rapid.Check(t, func(t *rapid.T) {
		compareParse(t, rapid.StringMatching(`-?[0-9]{0,20}(\.[0-9]{0,20})?`).Draw(t, "s"))
	})
}

func compareParse(t interface{ Errorf(string, ...any) }, s string) {
	want, werr := events.Decimal(s).Apd()
	got, gerr := newRecorder("test").parse(events.Decimal(s))
	if (werr == nil) != (gerr == nil) {
		t.Errorf("parse(%q) error %v, Apd error %v", s, gerr, werr)
		return
	}
	if werr == nil && (want.Cmp(got) != 0 || want.Text('f') != got.Text('f')) {
		t.Errorf("parse(%q) = %s, Apd gives %s", s, got.Text('f'), want.Text('f'))
	}
}
