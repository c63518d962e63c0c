package exact

import "github.com/cockroachdb/apd/v3"

// Limits of the package's contexts.
const (
	// MaxDigits is the precision of a bounded amount: 34 significant
	// digits, as IEEE 754 decimal128 holds. The ledger's balances, the
	// auction's limits and prices and the scheduler's prices are bounded
	// by it.
	MaxDigits = 34
	// MaxExponent is the largest exponent of a result: apd's own limit.
	MaxExponent = apd.MaxExponent
	// MinExponent is the smallest exponent of a result: apd's own limit.
	MinExponent = apd.MinExponent
)

// Traps are the conditions that are errors in every context of the
// package: apd's default traps, and Inexact and Rounded, so that no result
// is ever rounded silently.
const Traps = apd.DefaultTraps | apd.Inexact | apd.Rounded

// Context is the exact context: no precision limit, so that additions,
// subtractions and products never round, and Traps trapped. Quo and the
// other operations that need a precision fail in it: use WithPrecision.
// Nobody may modify it.
var Context = &apd.Context{
	MaxExponent: MaxExponent,
	MinExponent: MinExponent,
	Traps:       Traps,
}

// WithPrecision returns a new copy of Context of precision significant
// digits, zero meaning none: a result that needs more is an error, never
// rounded.
func WithPrecision(precision uint32) *apd.Context {
	return Context.WithPrecision(precision)
}

// Finite reports whether every one of ds is present and finite: what a
// decoded state (a snapshot's accounts, holds, orders) must hold before any
// arithmetic runs on it.
func Finite(ds ...*apd.Decimal) bool {
	for _, d := range ds {
		if d == nil || d.Form != apd.Finite {
			return false
		}
	}
	return true
}
