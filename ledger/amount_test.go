package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/scarcitylabs/scarcity/events"
)

func TestParseAmount(t *testing.T) {
	l := newFixture(t, Options{Scale: 2, MaxAmount: "1000"}).l
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{in: "1", want: "1"},
		{in: "0.01", want: "0.01"},
		{in: "12.50", want: "12.5"},
		{in: "12.000000", want: "12"},
		{in: "1000", want: "1000"},
		{in: "1000.00", want: "1000"},
		{in: "+3", want: "3"},
		{in: "007", want: "7"},
		{in: "100", want: "100"},
		{in: "", wantErr: ErrInvalidAmount},
		{in: "0", wantErr: ErrInvalidAmount},
		{in: "0.00", wantErr: ErrInvalidAmount},
		{in: "-0", wantErr: ErrInvalidAmount},
		{in: "-1", wantErr: ErrInvalidAmount},
		{in: "0.001", wantErr: ErrInvalidAmount},
		{in: "1.005", wantErr: ErrInvalidAmount},
		{in: "1000.01", wantErr: ErrInvalidAmount},
		{in: "1e2", wantErr: ErrInvalidAmount},
		{in: "NaN", wantErr: ErrInvalidAmount},
		{in: "Infinity", wantErr: ErrInvalidAmount},
		{in: "inf", wantErr: ErrInvalidAmount},
		{in: " 1", wantErr: ErrInvalidAmount},
		{in: "1_000", wantErr: ErrInvalidAmount},
		{in: "1,5", wantErr: ErrInvalidAmount},
		{in: "0x10", wantErr: ErrInvalidAmount},
		{in: "1.", wantErr: nil, want: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := l.ParseAmount(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseAmount(%q) = %v, %v; want error %v", tt.in, got, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.Text('f') != tt.want {
				t.Errorf("ParseAmount(%q) = %s, want %s", tt.in, got.Text('f'), tt.want)
			}
		})
	}
}

func TestParseAmountBadDecimal(t *testing.T) {
	l := newFixture(t, Options{}).l
	_, err := l.ParseAmount("1e5")
	if !errors.Is(err, ErrInvalidAmount) || !errors.Is(err, events.ErrBadDecimal) {
		t.Fatalf("ParseAmount(1e5) = %v, want both %v and %v", err, ErrInvalidAmount, events.ErrBadDecimal)
	}
}

// FuzzParseAmount checks that ParseAmount never panics and that what it
// accepts is a valid amount that round-trips through its wire form.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "0.000001", "12.50", "1000000000000000", "1000000000000000.000001",
		"-1", "0", "NaN", "1e3", "", "00.10", "9999999999999999999999999999999999999999", ".5", "5."} {
		f.Add(s)
	}
	l, err := New(context.Background(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := l.ParseAmount(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseAmount(%q) error %v does not wrap %v", s, err, ErrInvalidAmount)
			}
			return
		}
		if err := l.ValidateAmount(d); err != nil {
			t.Fatalf("ParseAmount(%q) = %s, which ValidateAmount rejects: %v", s, d.Text('f'), err)
		}
		wire := events.DecimalOf(d)
		again, err := l.ParseAmount(string(wire))
		if err != nil {
			t.Fatalf("ParseAmount(%q) = %s, whose wire form %q does not parse: %v", s, d.Text('f'), wire, err)
		}
		if again.Cmp(d) != 0 || events.DecimalOf(again) != wire {
			t.Fatalf("round trip of %q: %s then %s", s, wire, events.DecimalOf(again))
		}
	})
}
