package auction

import (
	"math/big"
	"testing"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// failer is what ratOf needs of a testing.TB or a *rapid.T.
type failer interface {
	Helper()
	Fatalf(format string, args ...any)
}

// ratOf returns d as a rational.
func ratOf(tb failer, d *apd.Decimal) *big.Rat {
	tb.Helper()
	r, ok := new(big.Rat).SetString(d.Text('f'))
	if !ok {
		tb.Fatalf("rational of %s", d.Text('f'))
	}
	return r
}

// decimalGen draws a positive decimal of up to 20 digits with an exponent
// in [-25, 10].
func decimalGen() *rapid.Generator[*apd.Decimal] {
	return rapid.Custom(func(t *rapid.T) *apd.Decimal {
		coeff := rapid.Int64Range(1, 1<<62).Draw(t, "coeff")
		exp := rapid.Int32Range(-25, 10).Draw(t, "exp")
		return apd.New(coeff, exp)
	})
}

// roundRat returns q rounded toward zero, and half to even, at scale places.
func roundRat(q *big.Rat, scale int32) (floor, halfEven *big.Rat) {
	unit := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	units := new(big.Rat).Quo(q, unit) // q in ticks
	fl := new(big.Int).Quo(units.Num(), units.Denom())
	rem := new(big.Rat).Sub(units, new(big.Rat).SetInt(fl))
	he := new(big.Int).Set(fl)
	switch rem.Cmp(big.NewRat(1, 2)) {
	case 1:
		he.Add(he, big.NewInt(1))
	case 0:
		if fl.Bit(0) == 1 {
			he.Add(he, big.NewInt(1))
		}
	}
	return new(big.Rat).Mul(new(big.Rat).SetInt(fl), unit), new(big.Rat).Mul(new(big.Rat).SetInt(he), unit)
}

func TestQuoRoundingMatchesRationals(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		num := decimalGen().Draw(t, "num")
		den := decimalGen().Draw(t, "den")
		if rapid.Bool().Draw(t, "zero num") {
			num = apd.New(0, 0)
		}
		scale := rapid.Int32Range(0, MaxScale).Draw(t, "scale")
		wantFloor, wantHalf := roundRat(new(big.Rat).Quo(ratOf(t, num), ratOf(t, den)), scale)
		gotFloor, err := quoFloor(num, den, scale)
		if err != nil {
			t.Fatalf("quoFloor(%s, %s, %d): %v", num, den, scale, err)
		}
		gotHalf, err := quoHalfEven(num, den, scale)
		if err != nil {
			t.Fatalf("quoHalfEven(%s, %s, %d): %v", num, den, scale, err)
		}
		if ratOf(t, gotFloor).Cmp(wantFloor) != 0 || gotFloor.Exponent != -scale {
			t.Fatalf("quoFloor(%s, %s, %d) = %s, want %s", num, den, scale, gotFloor.Text('f'), wantFloor.FloatString(int(scale)))
		}
		if ratOf(t, gotHalf).Cmp(wantHalf) != 0 {
			t.Fatalf("quoHalfEven(%s, %s, %d) = %s, want %s", num, den, scale, gotHalf.Text('f'), wantHalf.FloatString(int(scale)))
		}
	})
}

func TestQuoHalfEvenTies(t *testing.T) {
	tests := []struct{ num, den, want string }{
		{"5", "2", "2"},  // 2.5 → 2
		{"7", "2", "4"},  // 3.5 → 4
		{"11", "4", "3"}, // 2.75 → 3
		{"9", "4", "2"},  // 2.25 → 2
		{"1", "3", "0"},
		{"0", "3", "0"},
	}
	got := make([]string, len(tests))
	want := make([]string, len(tests))
	for i, tt := range tests {
		num, _, _ := apd.NewFromString(tt.num)
		den, _, _ := apd.NewFromString(tt.den)
		q, err := quoHalfEven(num, den, 0)
		if err != nil {
			t.Fatalf("quoHalfEven(%s, %s): %v", tt.num, tt.den, err)
		}
		got[i], want[i] = q.Text('f'), tt.want
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("quoHalfEven at scale 0 (-want +got):\n%s", diff)
	}
}

func TestCheckBoundedAndOnScale(t *testing.T) {
	tests := []struct {
		in      string
		bounded bool
		onScale bool // at 6 places
	}{
		{"1", true, true},
		{"0.000001", true, true},
		{"0.0000001", true, false},
		{"1.0000000", true, true},
		{"0", false, true},
		{"-1", false, true},
		{"NaN", false, false},
		{"9999999999999999999999999999999999", true, true},
		{"1E+34", false, true},
		{"12345678901234567890.12345678901234", true, false},
		{"12345678901234567890.123456789012345", false, false},
		{"1000000000000000000000000000000000.0", true, true},
		{"10000000000000000000000000000000000.0", false, true},
	}
	type result struct {
		In               string
		Bounded, OnScale bool
	}
	var got, want []result
	for _, tt := range tests {
		d, _, err := apd.NewFromString(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, result{tt.in, tt.bounded, tt.onScale})
		got = append(got, result{tt.in, checkBounded(d) == nil, d.Form == apd.Finite && onScale(d, 6)})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestFloorToMatchesQuoFloor checks that floorTo gives what quoFloor(d, 1,
// scale) does, coefficient and exponent alike, whether it computes on the
// word or falls back on the decimal, given or made from the word.
func TestFloorToMatchesQuoFloor(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := decimalGen().Draw(t, "d")
		scale := rapid.Int32Range(0, MaxScale).Draw(t, "scale")
		want, err := quoFloor(d, apd.New(1, 0), scale)
		if err != nil {
			t.Fatal(err)
		}
		for _, given := range []*apd.Decimal{d, nil} {
			got, err := floorTo(new(apd.Decimal), wordOf(d), given, scale)
			if err != nil || got.Text('f') != want.Text('f') {
				t.Fatalf("floorTo(%s, %d) = %v, %v; quoFloor gives %s", d.Text('f'), scale, got, err, want.Text('f'))
			}
		}
	})
}

// TestTallyMatchesExactSums checks tally against the exact context's sums
// and differences, coefficient and exponent alike.
func TestTallyMatchesExactSums(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ds := rapid.SliceOf(decimalGen()).Draw(t, "ds")
		var sum, twice tally
		want, total := new(apd.Decimal), new(apd.Decimal)
		for _, d := range ds {
			sum.add(wordOf(d))
			if _, err := exact.Context.Add(want, want, d); err != nil {
				t.Fatal(err)
			}
		}
		// twice holds the sum twice over, so that sum is the difference.
		for _, d := range append(ds, ds...) {
			twice.add(wordOf(d))
			if _, err := exact.Context.Add(total, total, d); err != nil {
				t.Fatal(err)
			}
		}
		diff, ok := twice.less(sum)
		if sum.over || !ok {
			return // a figure beyond 64 bits: the caller computes on decimals
		}
		var wantDiff apd.Decimal
		if _, err := exact.Context.Sub(&wantDiff, total, want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{want.Text('f'), wantDiff.Text('f')}, []string{sum.decimal().Text('f'), diff.decimal().Text('f')}); diff != "" {
			t.Fatalf("tally (-exact +tally):\n%s", diff)
		}
	})
}
