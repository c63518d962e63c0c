package exact_test

import (
	"testing"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

func TestContext(t *testing.T) {
	c := exact.Context
	if c.Precision != 0 || c.MaxExponent != exact.MaxExponent || c.MinExponent != exact.MinExponent || c.Traps != exact.Traps {
		t.Fatalf("Context = %+v", *c)
	}
	if exact.Traps&(apd.Inexact|apd.Rounded) != apd.Inexact|apd.Rounded || exact.Traps&apd.DefaultTraps != apd.DefaultTraps {
		t.Fatalf("Traps = %v, want the default traps, Inexact and Rounded", exact.Traps)
	}
	// No precision limit: a product of two bounded amounts is exact.
	var p apd.Decimal
	big := apd.New(1, exact.MaxDigits-1)
	big.Coeff.SetString("9999999999999999999999999999999999", 10)
	if _, err := c.Mul(&p, big, big); err != nil || p.NumDigits() != 2*exact.MaxDigits {
		t.Fatalf("Context.Mul = %s, %v; want %d exact digits", &p, err, 2*exact.MaxDigits)
	}
}

func TestWithPrecision(t *testing.T) {
	c := exact.WithPrecision(exact.MaxDigits)
	if c == exact.Context || c.Precision != exact.MaxDigits || c.Traps != exact.Traps ||
		c.MaxExponent != exact.MaxExponent || c.MinExponent != exact.MinExponent {
		t.Fatalf("WithPrecision(%d) = %+v", exact.MaxDigits, *c)
	}
	if exact.Context.Precision != 0 {
		t.Fatal("WithPrecision modified Context")
	}
	var q apd.Decimal
	if _, err := c.Quo(&q, apd.New(1, 0), apd.New(4, 0)); err != nil || q.Cmp(apd.New(25, -2)) != 0 {
		t.Fatalf("1/4 = %s, %v", &q, err)
	}
	if cond, err := c.Quo(&q, apd.New(1, 0), apd.New(3, 0)); err == nil || !cond.Inexact() || !cond.Rounded() {
		t.Fatalf("1/3 = %s, %v, %v; want an Inexact and Rounded error", &q, cond, err)
	}
}

func TestFinite(t *testing.T) {
	nan := &apd.Decimal{Form: apd.NaN}
	inf := &apd.Decimal{Form: apd.Infinite}
	for _, tc := range []struct {
		ds   []*apd.Decimal
		want bool
	}{
		{nil, true},
		{[]*apd.Decimal{apd.New(1, 0), apd.New(-5, -2)}, true},
		{[]*apd.Decimal{apd.New(1, 0), nil}, false},
		{[]*apd.Decimal{nan}, false},
		{[]*apd.Decimal{apd.New(0, 0), inf}, false},
	} {
		if got := exact.Finite(tc.ds...); got != tc.want {
			t.Errorf("Finite(%v) = %v, want %v", tc.ds, got, tc.want)
		}
	}
}
