package auction_test

import (
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/scarcitylabs/scarcity/auction"
	"pgregory.net/rapid"
)

func TestUtilisationRuleNext(t *testing.T) {
	tests := []struct {
		name      string
		rule      auction.UtilisationRule
		old, util string
		scale     int32
		want      string
	}{
		{"full: up by MaxChange", auction.UtilisationRule{}, "1", "1", 6, "1.125000"},
		{"at target: unchanged", auction.UtilisationRule{}, "1", "0.5", 6, "1.000000"},
		{"idle: down by MaxChange", auction.UtilisationRule{}, "1", "0", 6, "0.875000"},
		{"busy", auction.UtilisationRule{}, "1", "0.75", 6, "1.062500"},
		{"quiet", auction.UtilisationRule{}, "1", "0.25", 6, "0.937500"},
		{"rounds half to even", auction.UtilisationRule{Target: "0.7"}, "1", "0.3", 6, "0.928571"},
		{"low target: increase capped at MaxChange", auction.UtilisationRule{Target: "0.25"}, "1", "1", 6, "1.125000"},
		{"low target: increase under the cap", auction.UtilisationRule{Target: "0.25"}, "1", "0.3", 6, "1.025000"},
		{"high target", auction.UtilisationRule{Target: "0.8"}, "1", "0.9", 6, "1.015625"},
		{"custom MaxChange", auction.UtilisationRule{MaxChange: "0.5"}, "2", "0", 6, "1.000000"},
		{"MaxChange 1 reaches the floor", auction.UtilisationRule{MaxChange: "1"}, "2", "0", 6, "0.000001"},
		{"floor", auction.UtilisationRule{Floor: "0.9"}, "1", "0", 6, "0.900000"},
		{"ceiling", auction.UtilisationRule{Ceiling: "1.1"}, "1", "1", 6, "1.100000"},
		{"price below the floor is raised", auction.UtilisationRule{Floor: "2"}, "1", "0", 6, "2.000000"},
		{"price above the ceiling is lowered", auction.UtilisationRule{Ceiling: "0.5"}, "1", "1", 6, "0.500000"},
		{"one tick down when rounding undoes it", auction.UtilisationRule{}, "0.000004", "0", 6, "0.000003"},
		{"one tick up when rounding undoes it", auction.UtilisationRule{}, "0.000001", "1", 6, "0.000002"},
		{"one tick up on a tie to even", auction.UtilisationRule{}, "0.000010", "0.6", 6, "0.000011"},
		{"never below one tick", auction.UtilisationRule{}, "0.000001", "0", 6, "0.000001"},
		{"scale 0", auction.UtilisationRule{}, "10", "1", 0, "11"},
		{"coarse old price", auction.UtilisationRule{}, "3", "0.5", 2, "3.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rule.Next(dec(t, tt.old), dec(t, tt.util), tt.scale)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if diff := cmp.Diff(tt.want, text(got)); diff != "" {
				t.Errorf("Next(%s, %s, %d) (-want +got):\n%s", tt.old, tt.util, tt.scale, diff)
			}
		})
	}
}

func TestUtilisationRuleErrors(t *testing.T) {
	tests := []struct {
		name      string
		rule      auction.UtilisationRule
		old, util string // "nil" for a nil decimal
		scale     int32
		want      error
	}{
		{"target 0", auction.UtilisationRule{Target: "0"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"target 1", auction.UtilisationRule{Target: "1"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"target above 1", auction.UtilisationRule{Target: "1.5"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"negative target", auction.UtilisationRule{Target: "-0.5"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"target not a number", auction.UtilisationRule{Target: "half"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"target with exponent", auction.UtilisationRule{Target: "5e-1"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"MaxChange 0", auction.UtilisationRule{MaxChange: "0"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"MaxChange above 1", auction.UtilisationRule{MaxChange: "1.01"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"MaxChange NaN", auction.UtilisationRule{MaxChange: "NaN"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"floor 0", auction.UtilisationRule{Floor: "0"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"negative floor", auction.UtilisationRule{Floor: "-1"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"ceiling 0", auction.UtilisationRule{Ceiling: "0"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"ceiling below floor", auction.UtilisationRule{Floor: "2", Ceiling: "1"}, "1", "0.5", 6, auction.ErrInvalidRule},
		{"ceiling below one tick", auction.UtilisationRule{Ceiling: "0.5"}, "1", "0.5", 0, auction.ErrInvalidRule},
		{"floor finer than scale", auction.UtilisationRule{Floor: "0.001"}, "1", "0.5", 2, auction.ErrInvalidRule},
		{"ceiling finer than scale", auction.UtilisationRule{Ceiling: "10.001"}, "1", "0.5", 2, auction.ErrInvalidRule},
		{"nil price", auction.UtilisationRule{}, "nil", "0.5", 6, auction.ErrInvalidArgument},
		{"zero price", auction.UtilisationRule{}, "0", "0.5", 6, auction.ErrInvalidArgument},
		{"negative price", auction.UtilisationRule{}, "-1", "0.5", 6, auction.ErrInvalidArgument},
		{"NaN price", auction.UtilisationRule{}, "NaN", "0.5", 6, auction.ErrInvalidArgument},
		{"price finer than scale", auction.UtilisationRule{}, "0.0000001", "0.5", 6, auction.ErrInvalidArgument},
		{"price too large", auction.UtilisationRule{}, "1E+40", "0.5", 6, auction.ErrInvalidArgument},
		{"nil utilisation", auction.UtilisationRule{}, "1", "nil", 6, auction.ErrInvalidArgument},
		{"negative utilisation", auction.UtilisationRule{}, "1", "-0.1", 6, auction.ErrInvalidArgument},
		{"utilisation above 1", auction.UtilisationRule{}, "1", "1.0001", 6, auction.ErrInvalidArgument},
		{"NaN utilisation", auction.UtilisationRule{}, "1", "NaN", 6, auction.ErrInvalidArgument},
		{"negative scale", auction.UtilisationRule{}, "1", "0.5", -1, auction.ErrInvalidArgument},
		{"scale too large", auction.UtilisationRule{}, "1", "0.5", auction.MaxScale + 1, auction.ErrInvalidArgument},
	}
	parse := func(tb testing.TB, s string) *apd.Decimal {
		if s == "nil" {
			return nil
		}
		return dec(tb, s)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rule.Next(parse(t, tt.old), parse(t, tt.util), tt.scale)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Next = %v, %v; want error %v", text(got), err, tt.want)
			}
		})
	}
}

func TestUtilisationRuleValidate(t *testing.T) {
	valid := []auction.UtilisationRule{
		{},
		{Target: "0.8", MaxChange: "1", Floor: "0.01", Ceiling: "100"},
		{Target: "0.0001", MaxChange: "0.0001", Floor: "5", Ceiling: "5"},
	}
	for _, r := range valid {
		if err := r.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v, want nil", r, err)
		}
	}
	invalid := []auction.UtilisationRule{
		{Target: "1"}, {MaxChange: "2"}, {Floor: "abc"}, {Ceiling: "-3"}, {Floor: "3", Ceiling: "2"},
		{Floor: "1" + fmt.Sprintf("%040d", 0)},
	}
	for _, r := range invalid {
		if err := r.Validate(); !errors.Is(err, auction.ErrInvalidRule) {
			t.Errorf("%+v.Validate() = %v, want ErrInvalidRule", r, err)
		}
	}
}

// ratText returns d as a rational.
func ratText(d *apd.Decimal) *big.Rat {
	r, _ := new(big.Rat).SetString(d.Text('f'))
	return r
}

// modelNext is UtilisationRule.Next in rationals, from its documentation.
func modelNext(target, maxChange, floor, ceiling, old, util *big.Rat, scale int32) *big.Rat {
	one := big.NewRat(1, 1)
	rel := new(big.Rat).Quo(new(big.Rat).Sub(util, target), target) // (u−T)/T, >= −1
	if rel.Cmp(one) > 0 {
		rel = one
	}
	x := new(big.Rat).Mul(old, new(big.Rat).Add(one, new(big.Rat).Mul(maxChange, rel)))
	if x.Cmp(floor) < 0 {
		x = floor
	}
	if ceiling != nil && x.Cmp(ceiling) > 0 {
		x = ceiling
	}
	tick := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	ticks := new(big.Rat).Quo(x, tick)
	n := new(big.Int).Quo(ticks.Num(), ticks.Denom())
	rem := new(big.Rat).Sub(ticks, new(big.Rat).SetInt(n))
	if c := rem.Cmp(big.NewRat(1, 2)); c > 0 || (c == 0 && n.Bit(0) == 1) {
		n.Add(n, big.NewInt(1))
	}
	got := new(big.Rat).Mul(new(big.Rat).SetInt(n), tick)
	if got.Cmp(old) == 0 && x.Cmp(old) != 0 {
		step := new(big.Rat).Set(tick)
		if x.Cmp(old) < 0 {
			step.Neg(step)
		}
		got.Add(got, step)
	}
	if got.Cmp(tick) < 0 {
		got = tick
	}
	return got
}

// ruleCase is a random rule with a price on its scale between its floor and
// ceiling.
type ruleCase struct {
	rule      auction.UtilisationRule
	scale     int32
	old, util *apd.Decimal
}

func drawRuleCase(t *rapid.T) ruleCase {
	scale := rapid.Int32Range(0, 8).Draw(t, "scale")
	floorTicks := rapid.Int64Range(1, 1000).Draw(t, "floor ticks")
	c := ruleCase{
		scale: scale,
		rule: auction.UtilisationRule{
			Target:    apd.New(rapid.Int64Range(1, 999).Draw(t, "target‰"), -3).Text('f'),
			MaxChange: apd.New(rapid.Int64Range(1, 1000).Draw(t, "maxChange‰"), -3).Text('f'),
		},
		util: apd.New(rapid.Int64Range(0, 10000).Draw(t, "util‱"), -4),
	}
	if rapid.Bool().Draw(t, "explicit floor") {
		c.rule.Floor = apd.New(floorTicks, -scale).Text('f')
	} else {
		floorTicks = 1
	}
	oldTicks := floorTicks + rapid.Int64Range(0, 1_000_000).Draw(t, "old ticks above floor")
	if rapid.Bool().Draw(t, "ceiling") {
		c.rule.Ceiling = apd.New(oldTicks+rapid.Int64Range(0, 1_000_000).Draw(t, "ceiling ticks above old"), -scale).Text('f')
	}
	c.old = apd.New(oldTicks, -scale)
	return c
}

func TestUtilisationRuleProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawRuleCase(t)
		got, err := c.rule.Next(c.old, c.util, c.scale)
		if err != nil {
			t.Fatalf("%+v.Next(%s, %s, %d): %v", c.rule, c.old, c.util, c.scale, err)
		}
		old, u, n := ratText(c.old), ratText(c.util), ratText(got)
		target, _ := new(big.Rat).SetString(c.rule.Target)
		maxChange, _ := new(big.Rat).SetString(c.rule.MaxChange)
		tick := ratText(apd.New(1, -c.scale))
		floor, ceiling := tick, (*big.Rat)(nil)
		if c.rule.Floor != "" {
			floor, _ = new(big.Rat).SetString(c.rule.Floor)
		}
		if c.rule.Ceiling != "" {
			ceiling, _ = new(big.Rat).SetString(c.rule.Ceiling)
		}
		if got.Exponent != -c.scale {
			t.Fatalf("result %s has not %d places", got.Text('f'), c.scale)
		}
		change := new(big.Rat).Sub(n, old)
		bound := new(big.Rat).Add(new(big.Rat).Mul(maxChange, old), tick)
		if new(big.Rat).Abs(change).Cmp(bound) > 0 {
			t.Fatalf("change %s exceeds MaxChange × old + tick = %s", change.FloatString(10), bound.FloatString(10))
		}
		if n.Cmp(floor) < 0 || (ceiling != nil && n.Cmp(ceiling) > 0) || n.Cmp(tick) < 0 {
			t.Fatalf("result %s outside [%s, %v] or below a tick", got.Text('f'), floor.FloatString(8), ceiling)
		}
		switch u.Cmp(target) {
		case 1:
			if n.Cmp(old) < 0 {
				t.Fatalf("utilisation above target but price fell from %s to %s", c.old, got.Text('f'))
			}
		case -1:
			if n.Cmp(old) > 0 {
				t.Fatalf("utilisation below target but price rose from %s to %s", c.old, got.Text('f'))
			}
		case 0:
			if n.Cmp(old) != 0 {
				t.Fatalf("utilisation at target but price moved from %s to %s", c.old, got.Text('f'))
			}
		}
		if want := modelNext(target, maxChange, floor, ceiling, old, u, c.scale); n.Cmp(want) != 0 {
			t.Fatalf("Next = %s, the model says %s", got.Text('f'), want.FloatString(int(c.scale)))
		}
	})
}

// TestUtilisationRuleThinMarket checks that an idle market drives the price
// down to its floor, and keeps it there, and that a busy one lifts a price
// off the floor.
func TestUtilisationRuleThinMarket(t *testing.T) {
	rules := []auction.UtilisationRule{{}, {Floor: "0.5"}, {Target: "0.9", MaxChange: "0.01", Floor: "0.000100"}}
	for _, rule := range rules {
		t.Run(fmt.Sprintf("%+v", rule), func(t *testing.T) {
			floor := "0.000001"
			if rule.Floor != "" {
				floor = rule.Floor
			}
			price := dec(t, "100")
			zero := dec(t, "0")
			rounds := 0
			for ; price.Cmp(dec(t, floor)) != 0 && rounds < 5000; rounds++ {
				next, err := rule.Next(price, zero, 6)
				if err != nil {
					t.Fatal(err)
				}
				if next.Cmp(price) >= 0 {
					t.Fatalf("round %d: idle market left the price at %s (from %s)", rounds, next.Text('f'), price.Text('f'))
				}
				price = next
			}
			if price.Cmp(dec(t, floor)) != 0 {
				t.Fatalf("after %d idle rounds the price is %s, want the floor %s", rounds, price.Text('f'), floor)
			}
			for range 3 {
				next, err := rule.Next(price, zero, 6)
				if err != nil {
					t.Fatal(err)
				}
				if next.Cmp(price) != 0 {
					t.Fatalf("idle market moved the price off its floor: %s", next.Text('f'))
				}
			}
			next, err := rule.Next(price, dec(t, "1"), 6)
			if err != nil {
				t.Fatal(err)
			}
			if next.Cmp(price) <= 0 {
				t.Errorf("full market left the price at the floor %s", next.Text('f'))
			}
		})
	}
}

func FuzzUtilisationRuleOptions(f *testing.F) {
	f.Add("", "", "", "")
	f.Add("0.8", "0.2", "0.01", "100")
	f.Add("1", "0", "", "")
	f.Add("abc", "1e3", "-1", "NaN")
	f.Add(".5", "1.", "0.0000001", "")
	f.Add("0.5", "0.125", "3", "2")
	f.Fuzz(func(t *testing.T, target, maxChange, floor, ceiling string) {
		rule := auction.UtilisationRule{Target: target, MaxChange: maxChange, Floor: floor, Ceiling: ceiling}
		if err := rule.Validate(); err != nil {
			if !errors.Is(err, auction.ErrInvalidRule) {
				t.Fatalf("Validate: %v does not wrap ErrInvalidRule", err)
			}
			return
		}
		m, _ := new(big.Rat).SetString(rule.MaxChange)
		if rule.MaxChange == "" {
			m = big.NewRat(1, 8)
		}
		for _, util := range []string{"0", "0.5", "1"} {
			got, err := rule.Next(dec(t, "1"), dec(t, util), 6)
			if err != nil {
				if !errors.Is(err, auction.ErrInvalidRule) {
					t.Fatalf("Next: %v does not wrap ErrInvalidRule", err)
				}
				return
			}
			if got.Sign() <= 0 {
				t.Fatalf("Next = %s, not positive", got.Text('f'))
			}
			if floor != "" || ceiling != "" {
				continue // a bound may move the price further to bring it inside
			}
			change := new(big.Rat).Sub(ratText(got), big.NewRat(1, 1))
			limit := new(big.Rat).Add(m, big.NewRat(1, 1_000_000))
			if change.Abs(change).Cmp(limit) > 0 {
				t.Fatalf("Next(1, %s) = %s changes by more than MaxChange %s", util, got.Text('f'), rule.MaxChange)
			}
		}
	})
}
