package bundle

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// Prices maps resource names to prices in credits per unit per second.
type Prices map[string]*apd.Decimal

// Cost returns Σ price × quantity × seconds for b at prices, computed in ctx.
// Give ctx Inexact and Rounded traps to make any rounding an error.
func Cost(ctx *apd.Context, b Bundle, prices Prices) (*apd.Decimal, error) {
	total := new(apd.Decimal)
	var secs, term apd.Decimal
	secs.SetInt64(b.Window.Seconds())
	for _, name := range b.Quantities.Names() {
		p, ok := prices[name]
		if !ok || p == nil {
			return nil, fmt.Errorf("%w: %q", ErrNoPrice, name)
		}
		term.SetInt64(b.Quantities[name])
		if _, err := ctx.Mul(&term, &term, &secs); err != nil {
			return nil, fmt.Errorf("bundle: cost of %q: %w", name, err)
		}
		if _, err := ctx.Mul(&term, &term, p); err != nil {
			return nil, fmt.Errorf("bundle: cost of %q: %w", name, err)
		}
		if _, err := ctx.Add(total, total, &term); err != nil {
			return nil, fmt.Errorf("bundle: cost of %q: %w", name, err)
		}
	}
	return total, nil
}
