package bundle_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/bundle"
)

// exactContext returns a context in which any rounding is an error.
func exactContext(precision uint32) *apd.Context {
	ctx := apd.BaseContext.WithPrecision(precision)
	ctx.Traps |= apd.Inexact | apd.Rounded
	return ctx
}

func dec(tb testing.TB, s string) *apd.Decimal {
	tb.Helper()
	d, _, err := apd.NewFromString(s)
	if err != nil {
		tb.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

func TestCostExact(t *testing.T) {
	tests := []struct {
		name   string
		q      bundle.Quantities
		secs   int64
		prices map[string]string
		want   string
	}{
		{"one resource", bundle.Quantities{"cpu": 10}, 600, map[string]string{"cpu": "0.0001"}, "0.6"},
		{"sum of resources", bundle.Quantities{"cpu": 10, "memory": 512}, 60, map[string]string{"cpu": "0.25", "memory": "0.001"}, "180.72"},
		{"tiny price stays exact", bundle.Quantities{"tokens": 3}, 1, map[string]string{"tokens": "0.000000000000000000000000000001"}, "0.000000000000000000000000000003"},
		{"repeating digits", bundle.Quantities{"cpu": 3}, 7, map[string]string{"cpu": "0.333333333333333333"}, "6.999999999999999993"},
		{"zero price", bundle.Quantities{"cpu": 100}, 3600, map[string]string{"cpu": "0"}, "0"},
		{"unused prices ignored", bundle.Quantities{"cpu": 1}, 1, map[string]string{"cpu": "2", "gpu": "1000"}, "2"},
		{"large", bundle.Quantities{"tokens": 1_000_000_000}, 86400, map[string]string{"tokens": "12345.6789"}, "1066666656960000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prices := make(bundle.Prices)
			for name, p := range tt.prices {
				prices[name] = dec(t, p)
			}
			b := bundle.Bundle{Quantities: tt.q, Window: bundle.Window{Start: t0, Duration: time.Duration(tt.secs) * time.Second}}
			got, err := bundle.Cost(exactContext(34), b, prices)
			if err != nil {
				t.Fatalf("Cost: %v", err)
			}
			if got.Cmp(dec(t, tt.want)) != 0 {
				t.Errorf("Cost = %s, want %s", got.Text('f'), tt.want)
			}
		})
	}
}

func TestCostRoundingIsAnError(t *testing.T) {
	b := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 7}, Window: win(0, 3)}
	prices := bundle.Prices{"cpu": dec(t, "0.123456789")} // 21 × 0.123456789 = 2.592592569
	if got, err := bundle.Cost(exactContext(10), b, prices); err != nil || got.Text('f') != "2.592592569" {
		t.Fatalf("Cost with 10 digits = %v, %v", got, err)
	}
	if got, err := bundle.Cost(exactContext(9), b, prices); err == nil {
		t.Fatalf("Cost needing 10 digits in a 9-digit context = %s, want a rounding error", got.Text('f'))
	}
	two := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1, "memory": 1}, Window: win(0, 1)}
	big := bundle.Prices{"cpu": dec(t, "100000000"), "memory": dec(t, "0.5")}
	if got, err := bundle.Cost(exactContext(9), two, big); err == nil {
		t.Fatalf("Cost whose sum needs rounding = %s, want an error", got.Text('f'))
	}
}

func TestCostNoPrice(t *testing.T) {
	b := bundle.Bundle{Quantities: bundle.Quantities{"cpu": 1, "memory": 1}, Window: win(0, 1)}
	for name, prices := range map[string]bundle.Prices{
		"missing": {"cpu": dec(t, "1")},
		"nil":     {"cpu": dec(t, "1"), "memory": nil},
	} {
		if got, err := bundle.Cost(exactContext(34), b, prices); !errors.Is(err, bundle.ErrNoPrice) || got != nil {
			t.Errorf("%s price: Cost = %v, %v; want nil, ErrNoPrice", name, got, err)
		}
	}
}
