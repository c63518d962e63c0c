package auction

import (
	"fmt"

	"github.com/scarcitylabs/scarcity/internal/exact"

	"github.com/cockroachdb/apd/v3"
	"github.com/scarcitylabs/scarcity/events"
)

// ReserveRule moves a resource's reserve price between rounds, from the
// utilisation the last round left.
type ReserveRule interface {
	// Next returns the reserve price that follows old, with scale decimal
	// places, given utilisation between 0 and 1.
	Next(old, utilisation *apd.Decimal, scale int32) (*apd.Decimal, error)
}

// Defaults of UtilisationRule.
const (
	DefaultTarget    = "0.5"
	DefaultMaxChange = "0.125"
)

// UtilisationRule moves a reserve price toward a target utilisation, like
// EIP-1559's base fee: up when the resource is busier than the target, down
// when it is idler. The zero value uses the defaults. Options are decimal
// strings as events.ParseDecimal accepts them.
type UtilisationRule struct {
	// Target is the target utilisation, in (0, 1); "" means DefaultTarget.
	Target string
	// MaxChange is the largest relative change per round, in (0, 1]; ""
	// means DefaultMaxChange.
	MaxChange string
	// Floor is the lowest price, positive; "" means one price tick,
	// 10^-scale. It must have at most scale decimal places.
	Floor string
	// Ceiling is the highest price, at least Floor; "" means none. It must
	// have at most scale decimal places.
	Ceiling string
}

var _ ReserveRule = UtilisationRule{}

// ruleParams are a UtilisationRule's parsed options; floor and ceiling are
// nil when unset.
type ruleParams struct {
	target, maxChange, floor, ceiling *apd.Decimal
}

// Validate reports whether u's options parse and are in range. Errors wrap
// ErrInvalidRule.
func (u UtilisationRule) Validate() error {
	_, err := u.params()
	return err
}

func (u UtilisationRule) params() (ruleParams, error) {
	var p ruleParams
	var err error
	one := apd.New(1, 0)
	if p.target, err = parseOption("Target", u.Target, DefaultTarget); err != nil {
		return p, err
	}
	if p.target.Sign() <= 0 || p.target.Cmp(one) >= 0 {
		return p, fmt.Errorf("%w: Target %s is not in (0, 1)", ErrInvalidRule, p.target.Text('f'))
	}
	if p.maxChange, err = parseOption("MaxChange", u.MaxChange, DefaultMaxChange); err != nil {
		return p, err
	}
	if p.maxChange.Sign() <= 0 || p.maxChange.Cmp(one) > 0 {
		return p, fmt.Errorf("%w: MaxChange %s is not in (0, 1]", ErrInvalidRule, p.maxChange.Text('f'))
	}
	if p.floor, err = parsePrice("Floor", u.Floor); err != nil {
		return p, err
	}
	if p.ceiling, err = parsePrice("Ceiling", u.Ceiling); err != nil {
		return p, err
	}
	if p.floor != nil && p.ceiling != nil && p.ceiling.Cmp(p.floor) < 0 {
		return p, fmt.Errorf("%w: Ceiling %s is below Floor %s", ErrInvalidRule, u.Ceiling, u.Floor)
	}
	return p, nil
}

// parseOption parses the option called name, or def when s is empty.
func parseOption(name, s, def string) (*apd.Decimal, error) {
	if s == "" {
		s = def
	}
	d, err := events.Decimal(s).Apd()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidRule, name, err)
	}
	return d, nil
}

// parsePrice parses a Floor or Ceiling: nil when s is empty, else a
// positive price within MaxDigits.
func parsePrice(name, s string) (*apd.Decimal, error) {
	if s == "" {
		return nil, nil
	}
	d, err := parseOption(name, s, "")
	if err != nil {
		return nil, err
	}
	if err := checkBounded(d); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidRule, name, err)
	}
	return d, nil
}

// Next returns the reserve price that follows old, given the utilisation u
// the last round left:
//
//	x = old × (1 + MaxChange × min(1, (u − Target)/Target))  if u >= Target
//	x = old × (1 − MaxChange × (Target − u)/Target)          if u < Target
//
// then x is clamped to [Floor, Ceiling] and rounded half to even to scale
// places, exactly, from its rational value. If rounding would leave the
// price unchanged although x moved, the price moves one tick toward x (as
// EIP-1559 moves its base fee by at least one wei), so that an idle market
// does reach the floor and a busy one leaves it. The result is never below
// one tick, 10^-scale.
//
// The relative change is capped at MaxChange (the cap binds only for targets
// below 0.5, where (u − Target)/Target can exceed 1), so a price within
// [Floor, Ceiling] changes by at most MaxChange × old, plus one tick of
// rounding. A price outside [Floor, Ceiling] is brought inside.
//
// old must be positive, within MaxDigits, with at most scale places; u must
// be in [0, 1]; scale in [0, MaxScale]. Errors wrap ErrInvalidArgument, or
// ErrInvalidRule for bad options.
func (u UtilisationRule) Next(old, util *apd.Decimal, scale int32) (*apd.Decimal, error) {
	p, err := u.params()
	if err != nil {
		return nil, err
	}
	if err := checkNextArgs(old, util, scale); err != nil {
		return nil, err
	}
	floor, ceiling, err := p.bounds(scale)
	if err != nil {
		return nil, err
	}
	num, den, err := p.fraction(old, util)
	if err != nil {
		return nil, err
	}
	return clampRound(old, num, den, floor, ceiling, scale)
}

// checkNextArgs validates the arguments of Next.
func checkNextArgs(old, util *apd.Decimal, scale int32) error {
	if scale < 0 || scale > MaxScale {
		return fmt.Errorf("%w: scale %d not in [0, %d]", ErrInvalidArgument, scale, MaxScale)
	}
	if err := checkBounded(old); err != nil {
		return fmt.Errorf("%w: price: %v", ErrInvalidArgument, err)
	}
	if !onScale(old, scale) {
		return fmt.Errorf("%w: price %s is finer than %d places", ErrInvalidArgument, old.Text('f'), scale)
	}
	if util == nil || util.Form != apd.Finite || util.Sign() < 0 || util.Cmp(apd.New(1, 0)) > 0 {
		return fmt.Errorf("%w: utilisation %v is not in [0, 1]", ErrInvalidArgument, util)
	}
	return nil
}

// bounds returns the floor and ceiling at scale; ceiling is nil when there
// is none.
func (p ruleParams) bounds(scale int32) (floor, ceiling *apd.Decimal, err error) {
	floor = tick(scale)
	if p.floor != nil {
		floor = p.floor
	}
	for _, b := range []*apd.Decimal{floor, p.ceiling} {
		if b != nil && !onScale(b, scale) {
			return nil, nil, fmt.Errorf("%w: bound %s is finer than %d places", ErrInvalidRule, b.Text('f'), scale)
		}
	}
	// A positive ceiling on the scale is at least one tick, and params
	// checked it against an explicit floor.
	return floor, p.ceiling, nil
}

// fraction returns the unrounded next price x as the exact fraction num/den.
func (p ruleParams) fraction(old, util *apd.Decimal) (num, den *apd.Decimal, err error) {
	num, den = new(apd.Decimal), new(apd.Decimal)
	var gap, step apd.Decimal
	if util.Cmp(p.target) >= 0 {
		if err := chain(op(exact.Context.Sub, &gap, util, p.target)); err != nil {
			return nil, nil, err
		}
		if gap.Cmp(p.target) >= 0 {
			// (u − Target)/Target >= 1: the change is capped at MaxChange.
			err := chain(op(exact.Context.Add, &step, apd.New(1, 0), p.maxChange), op(exact.Context.Mul, num, old, &step))
			return num, den.SetInt64(1), err
		}
		err := chain(op(exact.Context.Mul, &step, p.maxChange, &gap), op(exact.Context.Add, &step, p.target, &step),
			op(exact.Context.Mul, num, old, &step))
		return num, den.Set(p.target), err
	}
	err = chain(op(exact.Context.Sub, &gap, p.target, util), op(exact.Context.Mul, &step, p.maxChange, &gap),
		op(exact.Context.Sub, &step, p.target, &step), op(exact.Context.Mul, num, old, &step))
	return num, den.Set(p.target), err
}

// clampRound clamps num/den to [floor, ceiling] (no ceiling if nil), rounds
// it half to even to scale places, and moves one tick from old if rounding
// undid a change; never below one tick.
func clampRound(old, num, den, floor, ceiling *apd.Decimal, scale int32) (*apd.Decimal, error) {
	one := apd.New(1, 0)
	var oldNum, bound apd.Decimal
	if err := chain(op(exact.Context.Mul, &bound, floor, den)); err != nil {
		return nil, err
	}
	if num.Cmp(&bound) < 0 {
		return quoFloor(floor, one, scale)
	}
	if ceiling != nil {
		if err := chain(op(exact.Context.Mul, &bound, ceiling, den)); err != nil {
			return nil, err
		}
		if num.Cmp(&bound) > 0 {
			return quoFloor(ceiling, one, scale)
		}
	}
	n, err := quoHalfEven(num, den, scale)
	if err != nil {
		return nil, err
	}
	if err := chain(op(exact.Context.Mul, &oldNum, old, den)); err != nil {
		return nil, err
	}
	if dir := num.Cmp(&oldNum); dir != 0 && n.Cmp(old) == 0 {
		step := tick(scale)
		if dir < 0 {
			step.Negative = true
		}
		if _, err := exact.Context.Add(n, n, step); err != nil {
			return nil, err
		}
	}
	if n.Cmp(tick(scale)) < 0 {
		return quoFloor(tick(scale), one, scale)
	}
	return n, nil
}
