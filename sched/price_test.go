package sched

import (
	"errors"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

func testPrices(t *testing.T) *PriceTable {
	t.Helper()
	pt, err := NewPriceTable(dec("0.000001"), map[string]ModelPrice{
		"small": {Input: dec("0.0000003"), Output: dec("0.0000012")},
		"large": {Input: dec("0.00001"), Output: dec("0.00003")},
		"free":  {Input: dec("0"), Output: dec("0")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

func TestPriceTableCost(t *testing.T) {
	pt := testPrices(t)
	tests := []struct {
		model         string
		input, output int64
		cost          string
		units         int64
		err           error
	}{
		{"large", 150_000, 50_000, "3.00000", 3_000_000, nil},
		{"large", 1, 0, "0.00001", 10, nil},
		{"small", 1, 0, "0.0000003", 1, nil}, // 0.3 unit rounds up to 1
		{"small", 10, 0, "0.0000030", 3, nil},
		{"small", 11, 1, "0.0000045", 5, nil}, // 4.5 units round up to 5
		{"small", 0, 0, "0", 0, nil},
		{"free", 1_000_000, 1_000_000, "0", 0, nil},
		{"large", MaxTokens, MaxTokens, "40000000.00000", 40_000_000_000_000, nil},
		{"small", 3, 1, "0.0000021", 3, nil}, // 2.1 units round up to 3
		{"nope", 1, 1, "", 0, ErrUnknownModel},
		{"large", -1, 0, "", 0, ErrInvalidQuantity},
		{"large", 0, -1, "", 0, ErrInvalidQuantity},
		{"large", MaxTokens + 1, 0, "", 0, ErrInvalidQuantity},
	}
	for _, tt := range tests {
		cost, err := pt.Cost(tt.model, tt.input, tt.output)
		if !errors.Is(err, tt.err) {
			t.Fatalf("Cost(%s, %d, %d) err = %v, want %v", tt.model, tt.input, tt.output, err, tt.err)
		}
		units, uerr := pt.CostUnits(tt.model, tt.input, tt.output)
		if !errors.Is(uerr, tt.err) {
			t.Fatalf("CostUnits(%s, %d, %d) err = %v, want %v", tt.model, tt.input, tt.output, uerr, tt.err)
		}
		if err != nil {
			continue
		}
		if cost.Cmp(dec(tt.cost)) != 0 || units != tt.units {
			t.Errorf("Cost(%s, %d, %d) = %s, %d units; want %s, %d", tt.model, tt.input, tt.output, cost.Text('f'), units, tt.cost, tt.units)
		}
	}
}

func TestUnitsRoundUp(t *testing.T) {
	tests := []struct {
		credits, unit string
		units         int64
		err           error
	}{
		{"0", "0.000001", 0, nil},
		{"0.000001", "0.000001", 1, nil},
		{"0.0000010000000000000001", "0.000001", 0, ErrInvalidPrice}, // beyond MaxPriceScale
		{"0.000001000000000001", "0.000001", 2, nil},
		{"0.0000009", "0.000001", 1, nil},
		{"5.00", "0.000001", 5_000_000, nil},
		{"1", "0.000003", 333_334, nil}, // 333 333.33… rounds up
		{"0.000003", "0.000003", 1, nil},
		{"9223372036854775807", "1", 9223372036854775807, nil},
		{"9223372036854775808", "1", 0, ErrInvalidQuantity},
		{"10000000000000000000000000000000000", "1", 0, ErrInvalidPrice},
		{"-0.1", "1", 0, ErrInvalidPrice},
	}
	for _, tt := range tests {
		got, err := unitsCeil(dec(tt.credits), dec(tt.unit))
		if !errors.Is(err, tt.err) || got != tt.units {
			t.Errorf("unitsCeil(%s, %s) = %d, %v; want %d, %v", tt.credits, tt.unit, got, err, tt.units, tt.err)
		}
	}
}

func TestPriceTableCredits(t *testing.T) {
	pt := testPrices(t)
	if got := pt.Credits(3_000_000); got.Cmp(dec("3")) != 0 {
		t.Errorf("Credits(3e6) = %s, want 3", got.Text('f'))
	}
	if got := pt.Models(); len(got) != 3 || got[0] != "free" || got[2] != "small" {
		t.Errorf("Models() = %v", got)
	}
}

func TestNewPriceTableInvalid(t *testing.T) {
	nan := new(apd.Decimal)
	nan.Form = apd.NaN
	tests := []struct {
		name   string
		unit   *apd.Decimal
		prices map[string]ModelPrice
	}{
		{"zero unit", dec("0"), nil},
		{"nil unit", nil, nil},
		{"negative unit", dec("-0.1"), nil},
		{"empty model", dec("1"), map[string]ModelPrice{"": {dec("1"), dec("1")}}},
		{"nil price", dec("1"), map[string]ModelPrice{"m": {dec("1"), nil}}},
		{"negative price", dec("1"), map[string]ModelPrice{"m": {dec("-1"), dec("1")}}},
		{"NaN price", dec("1"), map[string]ModelPrice{"m": {nan, dec("1")}}},
		{"too fine", dec("1"), map[string]ModelPrice{"m": {dec("0.0000000000000000001"), dec("1")}}},
		{"too large", dec("1"), map[string]ModelPrice{"m": {dec("1e40"), dec("1")}}},
	}
	for _, tt := range tests {
		if _, err := NewPriceTable(tt.unit, tt.prices); !errors.Is(err, ErrInvalidPrice) {
			t.Errorf("%s: err = %v, want ErrInvalidPrice", tt.name, err)
		}
	}
}

func TestPriceTableCopiesPrices(t *testing.T) {
	in := dec("0.5")
	pt, err := NewPriceTable(dec("0.1"), map[string]ModelPrice{"m": {Input: in, Output: dec("0")}})
	if err != nil {
		t.Fatal(err)
	}
	in.SetInt64(100)
	if c, _ := pt.Cost("m", 2, 0); c.Cmp(dec("1")) != 0 {
		t.Errorf("Cost after changing the caller's price = %s, want 1", c.Text('f'))
	}
}
