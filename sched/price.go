package sched

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/scarcitylabs/scarcity/internal/exact"
)

// Errors of the price table. Test for them with errors.Is.
var (
	// ErrUnknownModel reports a model the price table has no price for.
	ErrUnknownModel = errors.New("sched: unknown model")
	// ErrInvalidPrice reports a price, unit or credit amount that is
	// missing, negative, not finite or beyond MaxPriceDigits.
	ErrInvalidPrice = errors.New("sched: invalid price")
)

const (
	// MaxTokens is the most input or output tokens priced in one call.
	MaxTokens = 1_000_000_000_000
	// MaxPriceDigits bounds prices, units and credit amounts: at most this
	// many significant digits, below 10^MaxPriceDigits credits, and no digit
	// beyond MaxPriceScale decimal places.
	MaxPriceDigits = exact.MaxDigits // 34
	// MaxPriceScale is the most decimal places of a price or unit.
	MaxPriceScale = 18
)

// priceExact is the context of arithmetic that must not round: with no
// precision limit sums and products are exact, and any rounding is an
// error.
var priceExact = exact.Context

// ModelPrice is what one token of a model costs, in credits.
type ModelPrice struct {
	Input  *apd.Decimal
	Output *apd.Decimal
}

// PriceTable prices LLM calls per model and converts credits to integer
// units of the LLM spend resource. It is immutable and safe for concurrent
// use.
type PriceTable struct {
	unit   apd.Decimal
	prices map[string]ModelPrice
}

// NewPriceTable returns a table of prices whose spend unit is unit credits.
// Prices may be zero; unit must be positive. Prices and unit are copied.
// Errors wrap ErrInvalidPrice.
func NewPriceTable(unit *apd.Decimal, prices map[string]ModelPrice) (*PriceTable, error) {
	if err := checkPriceAmount(unit, false); err != nil {
		return nil, fmt.Errorf("%w: unit: %v", ErrInvalidPrice, err)
	}
	t := &PriceTable{prices: make(map[string]ModelPrice, len(prices))}
	t.unit.Set(unit)
	for model, p := range prices {
		if model == "" {
			return nil, fmt.Errorf("%w: empty model name", ErrInvalidPrice)
		}
		for _, d := range []*apd.Decimal{p.Input, p.Output} {
			if err := checkPriceAmount(d, true); err != nil {
				return nil, fmt.Errorf("%w: model %q: %v", ErrInvalidPrice, model, err)
			}
		}
		t.prices[model] = ModelPrice{Input: new(apd.Decimal).Set(p.Input), Output: new(apd.Decimal).Set(p.Output)}
	}
	return t, nil
}

// Models returns the priced models in name order.
func (t *PriceTable) Models() []string { return slices.Sorted(maps.Keys(t.prices)) }

// Cost returns input × the model's input price + output × its output price,
// in credits, exactly. Errors wrap ErrUnknownModel, or ErrInvalidQuantity
// for a token count below zero or above MaxTokens.
func (t *PriceTable) Cost(model string, input, output int64) (*apd.Decimal, error) {
	p, ok := t.prices[model]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownModel, model)
	}
	for _, n := range []int64{input, output} {
		if n < 0 || n > MaxTokens {
			return nil, fmt.Errorf("%w: %d tokens of %q", ErrInvalidQuantity, n, model)
		}
	}
	var in, out apd.Decimal
	in.SetInt64(input)
	out.SetInt64(output)
	cost := new(apd.Decimal)
	if _, err := priceExact.Mul(&in, &in, p.Input); err != nil {
		return nil, fmt.Errorf("sched: cost of %q: %w", model, err)
	}
	if _, err := priceExact.Mul(&out, &out, p.Output); err != nil {
		return nil, fmt.Errorf("sched: cost of %q: %w", model, err)
	}
	if _, err := priceExact.Add(cost, &in, &out); err != nil {
		return nil, fmt.Errorf("sched: cost of %q: %w", model, err)
	}
	return cost, nil
}

// CostUnits returns the cost of a call in spend units: Cost rounded up to a
// whole unit, as Units does.
func (t *PriceTable) CostUnits(model string, input, output int64) (int64, error) {
	cost, err := t.Cost(model, input, output)
	if err != nil {
		return 0, err
	}
	return t.Units(cost)
}

// Units converts credits to spend units, rounding up to a whole unit: a
// fraction of a unit counts as a whole one, so spend is never under-counted.
// Errors wrap ErrInvalidPrice for a negative or malformed amount, or
// ErrInvalidQuantity if the units do not fit an int64.
func (t *PriceTable) Units(credits *apd.Decimal) (int64, error) {
	return unitsCeil(credits, &t.unit)
}

// Credits returns units × the unit price, exactly.
func (t *PriceTable) Credits(units int64) *apd.Decimal {
	c := new(apd.Decimal).SetInt64(units)
	// A product of finite decimals is exact in priceExact.
	_, _ = priceExact.Mul(c, c, &t.unit)
	return c
}

// unitsCeil returns ⌈credits / unit⌉ for credits >= 0 and unit > 0. The
// quotient is first rounded up to enough significant digits to reach the
// units place, then up to an integer: two upward roundings whose first keeps
// every integer digit compose into the exact ceiling.
func unitsCeil(credits, unit *apd.Decimal) (int64, error) {
	if err := checkPriceAmount(credits, true); err != nil {
		return 0, fmt.Errorf("%w: credits: %v", ErrInvalidPrice, err)
	}
	precision := max(34, msdExponent(credits)-msdExponent(unit)+3)
	ctx := apd.BaseContext.WithPrecision(uint32(precision))
	ctx.Rounding = apd.RoundCeiling
	var q apd.Decimal
	if _, err := ctx.Quo(&q, credits, unit); err != nil {
		return 0, fmt.Errorf("sched: %s / %s: %w", credits.Text('f'), unit.Text('f'), err)
	}
	if _, err := ctx.Ceil(&q, &q); err != nil {
		return 0, fmt.Errorf("sched: ceiling of %s: %w", q.Text('f'), err)
	}
	n, err := q.Int64()
	if err != nil {
		return 0, fmt.Errorf("%w: %s credits are %s units", ErrInvalidQuantity, credits.Text('f'), q.Text('f'))
	}
	return n, nil
}

// checkPriceAmount reports whether d is a finite decimal, positive (or zero if
// zeroOK), within MaxPriceDigits and MaxPriceScale.
func checkPriceAmount(d *apd.Decimal, zeroOK bool) error {
	switch {
	case d == nil:
		return errors.New("missing")
	case d.Form != apd.Finite:
		return fmt.Errorf("%s is not finite", d)
	case d.Negative && !d.IsZero():
		return fmt.Errorf("%s is negative", d.Text('f'))
	case d.IsZero() && !zeroOK:
		return fmt.Errorf("%s is not positive", d.Text('f'))
	case d.IsZero():
		return nil
	}
	var r apd.Decimal
	r.Reduce(d)
	if r.NumDigits() > MaxPriceDigits || msdExponent(&r) >= MaxPriceDigits || r.Exponent < -MaxPriceScale {
		return fmt.Errorf("%s is beyond %d digits or %d decimal places", d.Text('f'), MaxPriceDigits, MaxPriceScale)
	}
	return nil
}

// msdExponent returns the exponent of d's most significant digit.
func msdExponent(d *apd.Decimal) int64 {
	return int64(d.Exponent) + d.NumDigits() - 1
}
