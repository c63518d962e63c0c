package auction

import (
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

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
			if _, err := exact.Add(want, want, d); err != nil {
				t.Fatal(err)
			}
		}
		// twice holds the sum twice over, so that sum is the difference.
		for _, d := range append(ds, ds...) {
			twice.add(wordOf(d))
			if _, err := exact.Add(total, total, d); err != nil {
				t.Fatal(err)
			}
		}
		diff, ok := twice.less(sum)
		if sum.over || !ok {
			return // a figure beyond 64 bits: the caller computes on decimals
		}
		var wantDiff apd.Decimal
		if _, err := exact.Sub(&wantDiff, total, want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{want.Text('f'), wantDiff.Text('f')}, []string{sum.decimal().Text('f'), diff.decimal().Text('f')}); diff != "" {
			t.Fatalf("tally (-exact +tally):\n%s", diff)
		}
	})
}
