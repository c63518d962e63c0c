package report

import (
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

func dec(tb testing.TB, s string) *apd.Decimal {
	tb.Helper()
	d, _, err := apd.NewFromString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func texts(ds []*apd.Decimal) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Text('f'))
	}
	return strings.Join(s, " ")
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi  string
		most    int
		integer bool
		want    string
	}{
		{"0", "1", 6, false, "0 0.2 0.4 0.6 0.8 1"},
		{"0", "0.95", 6, false, "0 0.2 0.4 0.6 0.8 1"},
		{"0", "1", 11, false, "0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1"},
		{"0", "0.0025", 6, false, "0 0.0005 0.001 0.0015 0.002 0.0025"},
		{"0", "0.006027", 6, false, "0 0.002 0.004 0.006 0.008"},
		{"0", "500", 6, true, "0 100 200 300 400 500"},
		{"0", "499", 6, true, "0 100 200 300 400 500"},
		{"0", "3", 6, true, "0 1 2 3"},              // counts: never a step below 1
		{"0", "1", 6, true, "0 1"},                  // idem
		{"21", "60", 8, true, "20 30 40 50 60"},     // rounds
		{"1", "20", 8, true, "0 5 10 15 20"},        // rounds
		{"-3", "5", 6, false, "-4 -2 0 2 4 6"},      // across zero
		{"-7", "-2", 6, false, "-7 -6 -5 -4 -3 -2"}, // below zero
		{"-7", "-2", 4, false, "-8 -6 -4 -2"},
		{"1.21370", "120", 13, false, "0 10 20 30 40 50 60 70 80 90 100 110 120"},
		{"7", "8", 13, false, "7 7.1 7.2 7.3 7.4 7.5 7.6 7.7 7.8 7.9 8"},
		{"0", "4340000", 6, true, "0 1000000 2000000 3000000 4000000 5000000"},
		{"0.000001", "0.000058", 6, false, "0 0.00002 0.00004 0.00006"},
		{"-1", "1", 3, false, "-1 0 1"}, // the fewest an axis across zero needs
		{"5", "5", 6, false, "5"},       // an empty range
		{"0", "1E+30", 6, false, "0 200000000000000000000000000000 400000000000000000000000000000 600000000000000000000000000000 800000000000000000000000000000 1000000000000000000000000000000"},
	} {
		got := texts(niceTicks(dec(t, c.lo), dec(t, c.hi), c.most, c.integer))
		if got != c.want {
			t.Errorf("niceTicks(%s, %s, %d, %v) = %s, want %s", c.lo, c.hi, c.most, c.integer, got, c.want)
		}
	}
}

// TestNiceTicksProperties checks, over ranges drawn at random, that the
// ticks increase by one step of 1, 2 or 5 times a power of ten, cover the
// range from a multiple of the step, and are at most as many as asked.
func TestNiceTicksProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lo := apd.New(rapid.Int64Range(-1e15, 1e15).Draw(t, "lo"), rapid.Int32Range(-30, 30).Draw(t, "loExp"))
		span := apd.New(rapid.Int64Range(1, 1e15).Draw(t, "span"), rapid.Int32Range(-30, 30).Draw(t, "spanExp"))
		hi := new(apd.Decimal)
		exact.Context.Add(hi, lo, span)
		most := rapid.IntRange(3, 20).Draw(t, "most")
		integer := rapid.Bool().Draw(t, "integer")
		ts := niceTicks(lo, hi, most, integer)
		if len(ts) < 2 || len(ts) > most {
			t.Fatalf("%d ticks, want 2 to %d: %s", len(ts), most, texts(ts))
		}
		if ts[0].Cmp(lo) > 0 || ts[len(ts)-1].Cmp(hi) < 0 {
			t.Fatalf("ticks %s do not cover %s to %s", texts(ts), lo.Text('f'), hi.Text('f'))
		}
		step := new(apd.Decimal)
		exact.Context.Sub(step, ts[1], ts[0])
		if !isStep(step) || (integer && step.Cmp(apd.New(1, 0)) < 0) {
			t.Fatalf("step %s is not 1, 2 or 5 times a power of ten (integer %v)", step.Text('f'), integer)
		}
		q := new(apd.Decimal)
		if _, err := exact.WithPrecision(200).Quo(q, ts[0], step); err != nil || !isInteger(q) {
			t.Fatalf("first tick %s is not a multiple of the step %s", ts[0].Text('f'), step.Text('f'))
		}
		for i := 1; i < len(ts); i++ {
			d := new(apd.Decimal)
			exact.Context.Sub(d, ts[i], ts[i-1])
			if d.Cmp(step) != 0 {
				t.Fatalf("ticks %s are not %s apart", texts(ts), step.Text('f'))
			}
		}
	})
}

// isStep reports whether d is 1, 2 or 5 times a power of ten.
func isStep(d *apd.Decimal) bool {
	r := new(apd.Decimal)
	r.Reduce(d)
	if r.Sign() <= 0 || !r.Coeff.IsInt64() {
		return false
	}
	switch r.Coeff.Int64() {
	case 1, 2, 5:
		return true
	}
	return false
}

func isInteger(d *apd.Decimal) bool {
	f := new(apd.Decimal)
	exact.Context.Floor(f, d)
	return f.Cmp(d) == 0
}

func TestNiceTimes(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		first, last string
		most        int
		want        []string
		step        time.Duration
	}{
		{"2026-01-01T09:01:00Z", "2026-01-01T10:00:00Z", 6,
			[]string{"09:10", "09:20", "09:30", "09:40", "09:50", "10:00"}, 10 * time.Minute},
		{"2026-01-01T09:01:00Z", "2026-01-01T10:00:00Z", 5,
			[]string{"09:15", "09:30", "09:45", "10:00"}, 15 * time.Minute},
		{"2025-06-01T12:01:00Z", "2025-06-01T12:03:00Z", 6,
			[]string{"12:01:00", "12:01:30", "12:02:00", "12:02:30", "12:03:00"}, 30 * time.Second},
		{"2025-06-01T12:00:00.100Z", "2025-06-01T12:00:00.900Z", 6,
			[]string{"12:00:00.200", "12:00:00.400", "12:00:00.600", "12:00:00.800"}, 200 * time.Millisecond},
		{"2025-06-01T00:00:00Z", "2025-06-04T00:00:00Z", 6,
			[]string{"2025-06-01", "2025-06-02", "2025-06-03", "2025-06-04"}, 24 * time.Hour},
		{"2025-06-01T00:00:00Z", "2026-06-01T00:00:00Z", 6,
			[]string{"2025-09-07", "2025-12-16", "2026-03-26"}, 100 * 24 * time.Hour},
		{"2025-06-01T12:00:00Z", "2025-06-01T12:00:00Z", 6, []string{"12:00:00"}, 0},
	} {
		ts, step := niceTimes(at(c.first), at(c.last), c.most)
		if step != c.step {
			t.Errorf("niceTimes(%s, %s, %d): step %v, want %v", c.first, c.last, c.most, step, c.step)
		}
		if len(ts) > c.most {
			t.Errorf("niceTimes(%s, %s, %d): %d ticks", c.first, c.last, c.most, len(ts))
		}
		if len(c.want) == 0 {
			continue
		}
		var got []string
		for _, tt := range ts {
			got = append(got, tt.UTC().Format(timeLabel(step, at(c.last).Sub(at(c.first)))))
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("niceTimes(%s, %s, %d) (-want +got):\n%s", c.first, c.last, c.most, diff)
		}
	}
}
